import VideoCore
/// A loaded, validated "imlut" model (docs/imlut.md): upscales by any real scale from 1 to `maxScale` in each
/// axis. Everything that can be wrong is found by `init` or `makePlan`; rendering cannot fail.
public struct IMLUTModel: PlaneUpscaler {
    public let spec: IMLUTSpec
    /// The pre-stages as the fixed-scale engine runs them, with their tables laid out once for every plan.
    let preStages: [EngineStage]
    let preparedPreStages: [PreparedStage]

    public var name: String { spec.name }
    public var maxScale: Double { spec.maxScale }

    /// Largest real table value accepted (8-bit units): blended tables then fit the engine's int16 values in a
    /// unit of at most 1/16 of an 8-bit step.
    public static let maxTableMagnitude = 2047.0

    public init(_ spec: IMLUTSpec) throws(LUTFileError) {
        try spec.validate()
        for (l, lut) in spec.mix.enumerated() {
            let largest = lut.table.largestMagnitude
            guard largest <= Self.maxTableMagnitude else {
                throw .unsupported("mix.luts[\(l)]: table values reach \(largest), beyond +-\(Self.maxTableMagnitude)")
            }
        }
        var preStages: [EngineStage] = []
        for (s, stage) in spec.preStages.enumerated() {
            preStages.append(try EngineStage(stage, path: "pre_stages[\(s)]"))
        }
        self.preStages = preStages
        preparedPreStages = preStages.map { PreparedStage($0) }
        self.spec = spec
    }

    public static func load(path: String) throws(LUTFileError) -> IMLUTModel {
        guard path.lowercased().hasSuffix(".lut") else { throw .unknownExtension(path) }
        switch try LUTFile.readContents(path: path) {
        case let .imlut(spec): return try IMLUTModel(spec)
        case .srlut: throw .wrongKind(found: "srlut", expected: "imlut")
        }
    }

    /// Whether `output` / `input` lies in [1, maxScale] in both axes.
    public func serves(input: PlaneSize, output: PlaneSize) -> Bool {
        guard input.width > 0, input.height > 0 else { return false }
        let sx = Double(output.width) / Double(input.width), sy = Double(output.height) / Double(input.height)
        return sx >= 1 && sy >= 1 && sx <= spec.maxScale && sy <= spec.maxScale
    }

    public func makePlan(input: PlaneSize, output: PlaneSize, bitDepth: Int) throws(UpscaleError) -> any UpscalePlan {
        try IMLUTPlan(model: self, input: input, output: output, bitDepth: bitDepth)
    }

    /// A plan whose kernels are those of `kernels` rather than the active tier (tests check every tier).
    public func makePlan(input: PlaneSize, output: PlaneSize, bitDepth: Int, kernels: KernelTier) throws(UpscaleError) -> any UpscalePlan {
        try IMLUTPlan(model: self, input: input, output: output, bitDepth: bitDepth, kernels: kernels)
    }

    /// Weights of the scale bins at s = sqrt(sx * sy): piecewise linear between neighbours, clamped at the ends.
    static func binWeights(_ bins: [Double], s: Double) -> [Double] {
        var g = [Double](repeating: 0, count: bins.count)
        if s <= bins[0] {
            g[0] = 1
        } else if s >= bins[bins.count - 1] {
            g[bins.count - 1] = 1
        } else {
            let b = bins.lastIndex { $0 <= s }!
            let t = (s - bins[b]) / (bins[b + 1] - bins[b])
            g[b] = 1 - t
            g[b + 1] = t
        }
        return g
    }

    /// rho_r: where LUT-frame offset (dy, dx) lies in the image frame under rotation r.
    static func rotate(dy: Int, dx: Int, rotation: Int) -> (dy: Int, dx: Int) {
        switch rotation {
        case 0: (dy, dx)
        case 1: (-dx, dy)
        case 2: (-dy, -dx)
        default: (dx, -dy)
        }
    }
}

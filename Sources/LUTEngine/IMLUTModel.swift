import VideoCore
/// A loaded, validated "imlut" model (docs/imlut.md): upscales by any real scale from 1 to `maxScale` in each
/// axis. Everything that can be wrong is found by `init` or `makePlan`; rendering cannot fail.
public struct IMLUTModel: PlaneUpscaler {
    public let spec: IMLUTSpec

    public var name: String { spec.name }
    public var maxScale: Double { spec.maxScale }

    /// Largest real table value accepted: keeps every Float sum of a render finite.
    public static let maxTableMagnitude = 1.0e6

    public init(_ spec: IMLUTSpec) throws(LUTFileError) {
        try spec.validate()
        let named = spec.mix.enumerated().map { ("mix.luts[\($0)]", $1) } + (spec.refine ?? []).enumerated().map { ("refine.luts[\($0)]", $1) }
        for (path, lut) in named {
            let largest = lut.table.largestMagnitude
            guard largest <= Self.maxTableMagnitude else {
                throw .unsupported("\(path): table values reach \(largest), beyond +-\(Self.maxTableMagnitude)")
            }
        }
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

    /// The separable candidate kernels' weights on the 6 taps floor(u) - 2 ... floor(u) + 3 (normalised to sum 1;
    /// `constant` has none: its value is added as a bias). Bicubic and Lanczos-3 are the resampler's filters.
    static func tapWeights(_ interpolator: IMLUTSpec.Interpolator, u: Double) -> [Double] {
        let base = u.rounded(.down) - 2
        var w = [Double](repeating: 0, count: 6)
        switch interpolator {
        case .constant: return w
        case .nearest: w[Int((u + 0.5).rounded(.down) - base)] = 1
        case .bilinear:
            let f = u - u.rounded(.down)
            w[2] = 1 - f
            w[3] = f
        case .bicubic:
            for i in 1...4 { w[i] = ResamplingKernel.bicubic.weight(u - (base + Double(i))) }
        case .lanczos3:
            for i in 0..<6 { w[i] = ResamplingKernel.lanczos3.weight(u - (base + Double(i))) }
        }
        let sum = w.reduce(0, +)
        return w.map { $0 / sum }
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

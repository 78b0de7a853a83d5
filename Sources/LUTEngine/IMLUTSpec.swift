/// The contents of an "imlut" model file: arbitrary-scale LUT super-resolution after IM-LUT (docs/imlut.md).
///
/// Optional `preStages` (x1 srlut stages, a cascade) refine the LR plane first. K candidates evaluated on that
/// plane are mixed per output pixel with weights from `mix` luts (indexed by its neighbourhood, blended over
/// `scaleBins`, interpolated over a phase-node grid); the `constant` candidate makes its weight a residual. Every
/// lookup is on the LR grid. `validate()` enforces every rule, so a loaded model always renders.
public struct IMLUTSpec: Equatable, Sendable {
    public enum Interpolator: String, Sendable, CaseIterable {
        case constant, nearest, bilinear, bicubic, lanczos3

        /// The separable filter of the candidate (the resampler's); nil for `constant`.
        var kernel: ResamplingKernel? {
            switch self {
            case .constant: nil
            case .nearest: .nearest
            case .bilinear: .bilinear
            case .bicubic: .bicubic
            case .lanczos3: .lanczos3
            }
        }
    }

    public var name: String
    /// Largest output / input ratio served in either axis.
    public var maxScale: Double
    /// Scales (ascending, > 1) at which the tables are given; other scales blend the two neighbours.
    public var scaleBins: [Double]
    /// N_b of each scale bin: its phase grid has N_b x N_b nodes over [-0.5, 0.5]^2. A scale runs on the most nodes
    /// among the bins it blends (`planNodes`), a bin of fewer taken bilinearly at their places.
    public var phaseNodes: [Int]
    public var interpolators: [Interpolator]
    /// Stages of upscale 1 run on the LR plane in turn, each output rounded to the plane's depth; the mix and the
    /// candidates read the last one's output.
    public var preStages: [LUTModelSpec.Stage]
    /// Tables of mixing weights, bin after bin, N_b x N_b x K each: index binOffset(b) + (py * N_b + px) * K + k.
    public var mix: [LUTModelSpec.LUT]
    public var metadata: [JSONMember]

    public init(name: String, maxScale: Double, scaleBins: [Double], phaseNodes: [Int], interpolators: [Interpolator],
                preStages: [LUTModelSpec.Stage] = [], mix: [LUTModelSpec.LUT], metadata: [JSONMember] = []) {
        self.name = name
        self.maxScale = maxScale
        self.scaleBins = scaleBins
        self.phaseNodes = phaseNodes
        self.interpolators = interpolators
        self.preStages = preStages
        self.mix = mix
        self.metadata = metadata
    }

    /// Outputs of each mix table: the sum over bins of N_b x N_b x K.
    public var mixOutputs: Int { Self.mixOutputs(phaseNodes: phaseNodes, interpolators: interpolators.count) }

    /// The sum over bins of N_b x N_b x K (the reader checks the tables against it before the spec exists).
    static func mixOutputs(phaseNodes: some Collection<Int>, interpolators: Int) -> Int {
        phaseNodes.reduce(0) { $0 + $1 * $1 } * interpolators
    }

    /// Where bin b's values start in a mix table row.
    public func binOffset(_ b: Int) -> Int { Self.mixOutputs(phaseNodes: phaseNodes[..<b], interpolators: interpolators.count) }

    /// N of a plan at bin weights g: the most nodes among the bins with weight.
    func planNodes(binWeights g: [Double]) -> Int {
        zip(phaseNodes, g).filter { $0.1 != 0 }.map(\.0).max()!
    }

    /// (n, from) weights of a `from`-node axis, bilinearly, at each node of an n-node axis over the same span.
    static func nodeWeights(from: Int, to n: Int) -> [[Double]] {
        (0..<n).map { j in
            let place = Double(j) * Double(from - 1) / Double(n - 1)
            return (0..<from).map { max(0, 1 - abs(place - Double($0))) }
        }
    }

    /// The model's limits beyond the contract's: they bound every size a header can ask for.
    public static let maxBins = 16
    public static let maxPhaseNodes = 9
    public static let maxLUTs = 16
    public static let maxPreStages = 4
    public static let maxScaleLimit = 16.0
    /// N x N x K values per LR pixel at most: three 16-lane records of the engine's sums.
    public static let maxNodeValues = 48

    /// Set5 Y PSNR by scale from `metadata.set5_y_psnr`.
    public var set5PSNR: [(scale: Double, psnr: Double)] { Set5Figures.parse(metadata) }

    /// Checks every rule of docs/imlut.md that does not depend on byte placement.
    public func validate() throws(LUTFileError) {
        guard !name.isEmpty else { throw .badField("name: must not be empty") }
        guard (1...Self.maxBins).contains(scaleBins.count) else {
            throw .badField("scale_bins: \(scaleBins.count) bins, must be 1...\(Self.maxBins)")
        }
        for (i, bin) in scaleBins.enumerated() {
            guard bin.isFinite, bin > 1 else { throw .badField("scale_bins[\(i)]: \(bin), must be a finite number above 1") }
            guard i == 0 || bin > scaleBins[i - 1] else {
                throw .badField("scale_bins[\(i)]: \(bin), not above the previous bin \(scaleBins[i - 1])")
            }
        }
        guard maxScale.isFinite, maxScale >= scaleBins[scaleBins.count - 1], maxScale <= Self.maxScaleLimit else {
            throw .badField("max_scale: \(maxScale), must be at least the last bin \(scaleBins[scaleBins.count - 1]) and at most \(Self.maxScaleLimit)")
        }
        guard phaseNodes.count == scaleBins.count else {
            throw .badField("phase_nodes: \(phaseNodes.count) counts for \(scaleBins.count) scale bins")
        }
        for (b, n) in phaseNodes.enumerated() where !(2...Self.maxPhaseNodes).contains(n) {
            throw .badField("phase_nodes[\(b)]: \(n), must be 2...\(Self.maxPhaseNodes)")
        }
        guard !interpolators.isEmpty else { throw .badField("interpolators: must not be empty") }
        for (i, interpolator) in interpolators.enumerated() where interpolators[..<i].contains(interpolator) {
            throw .badField("interpolators[\(i)]: \"\(interpolator.rawValue)\" appears twice")
        }
        let most = phaseNodes.max()!, values = most * most * interpolators.count
        guard values <= Self.maxNodeValues else {
            throw .badField("phase_nodes, interpolators: \(most)x\(most) nodes x \(interpolators.count) interpolators = \(values) values per pixel, more than the \(Self.maxNodeValues) supported")
        }
        guard preStages.count <= Self.maxPreStages else {
            throw .badField("pre_stages: \(preStages.count) stages, at most \(Self.maxPreStages)")
        }
        for (s, stage) in preStages.enumerated() {
            try stage.validate(path: "pre_stages[\(s)]", upscale: 1, role: "a pre-stage (it keeps the LR size)")
        }
        guard (1...Self.maxLUTs).contains(mix.count) else { throw .badField("mix.luts: \(mix.count) luts, must be 1...\(Self.maxLUTs)") }
        for (l, lut) in mix.enumerated() { try lut.validate(path: "mix.luts[\(l)]", outputs: mixOutputs) }
    }
}

/// What a `.lut` file holds: one of the kinds the format knows.
public enum LUTFileContents: Equatable, Sendable {
    case srlut(LUTModelSpec)
    case imlut(IMLUTSpec)

    public var name: String {
        switch self {
        case let .srlut(spec): spec.name
        case let .imlut(spec): spec.name
        }
    }

    public func validate() throws(LUTFileError) {
        switch self {
        case let .srlut(spec): try spec.validate()
        case let .imlut(spec): try spec.validate()
        }
    }

    /// Every table in file order (srlut: stage by stage; imlut: pre-stages, then mix).
    var luts: [LUTModelSpec.LUT] {
        switch self {
        case let .srlut(spec): spec.stages.flatMap(\.luts)
        case let .imlut(spec): spec.preStages.flatMap(\.luts) + spec.mix
        }
    }

    /// Replaces the values of table `index` (in the order of `luts`).
    mutating func setValues(_ values: LUTModelSpec.Values, table index: Int) {
        switch self {
        case var .srlut(spec):
            Self.set(values, at: index, in: &spec.stages)
            self = .srlut(spec)
        case var .imlut(spec):
            let pre = spec.preStages.reduce(0) { $0 + $1.luts.count }
            if index < pre {
                Self.set(values, at: index, in: &spec.preStages)
            } else {
                spec.mix[index - pre].table.values = values
            }
            self = .imlut(spec)
        }
    }

    /// Sets the values of the `index`-th lut counted across `stages` in order.
    private static func set(_ values: LUTModelSpec.Values, at index: Int, in stages: inout [LUTModelSpec.Stage]) {
        var i = index
        for s in stages.indices {
            if i < stages[s].luts.count {
                stages[s].luts[i].table.values = values
                return
            }
            i -= stages[s].luts.count
        }
    }
}

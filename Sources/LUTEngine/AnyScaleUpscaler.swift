import VideoCore
/// Serves any output size from the models it is given: fixed integer-scale models and arbitrary-scale "imlut"
/// models.
///
/// For each request, every model that serves it as it is competes on the Set5 Y PSNR its metadata records
/// (`set5_y_psnr`): a fixed model when the output is its own scale in both axes (its full size, or cropped by
/// less than one block, as when an LR size was rounded up), an imlut model when both axes scale by 1...max_scale
/// (its figures interpolated linearly in scale). The higher figure wins (both kinds cost about the same, every
/// table lookup on the input grid); on a tie (within `tie` dB) or missing figures the fixed model serves. When none serves, a fixed model whose scale is the smallest at or above the one asked for (the largest
/// when none reaches it) is bridged by a resampler to the exact size; a downscale in both axes is the resampler
/// alone; with imlut models only, the widest is run to the nearest size it serves, then bridged.
public struct AnyScaleUpscaler: PlaneUpscaler {
    public let models: [LUTModel]
    public let anyScaleModels: [IMLUTModel]
    public let bridge: Resampler
    public let name: String

    /// dB of Set5 Y PSNR below which two figures are a tie: finer than Set5 (five images) can tell models apart.
    public static let tie = 0.01

    /// What serves one request.
    public enum Choice {
        case fixed(LUTModel)
        case anyScale(IMLUTModel)
        case resampler
    }

    /// `models` and `anyScale` must not both be empty; fixed models are tried in order of scale.
    public init(name: String, models: [LUTModel], anyScale: [IMLUTModel] = [], bridge: Resampler = Resampler(kernel: .lanczos3)) {
        precondition(!models.isEmpty || !anyScale.isEmpty, "an any-scale upscaler needs at least one model")
        self.name = name
        self.models = models.sorted { $0.scale < $1.scale }
        anyScaleModels = anyScale
        self.bridge = bridge
    }

    /// Whether `model` gives `output` from `input` without a resampler.
    static func isDirect(_ model: LUTModel, input: PlaneSize, output: PlaneSize) -> Bool {
        isDirect(scale: model.scale, input: input, output: output)
    }

    /// Whether a fixed model of scale `r` gives `output` from `input` as it is: its full size, or cropped by less
    /// than one block (an LR size rounded up).
    static func isDirect(scale r: Int, input: PlaneSize, output: PlaneSize) -> Bool {
        output.width <= input.width * r && output.width > input.width * r - r
            && output.height <= input.height * r && output.height > input.height * r - r
    }

    public func choice(input: PlaneSize, output: PlaneSize) -> Choice {
        switch Self.pick(among: models.map(\.facts) + anyScaleModels.map(\.facts), input: input, output: output) {
        case .resampler: .resampler
        case let .model(i): i < models.count ? .fixed(models[i]) : .anyScale(anyScaleModels[i - models.count])
        }
    }

    /// Which of `candidates` serves `input` -> `output` by the rules above (fixed models first, in order of scale),
    /// from what is known of each without its tables: a catalog chooses before it loads anything.
    public static func pick(among candidates: [ModelFacts], input: PlaneSize, output: PlaneSize) -> ModelFacts.Pick {
        let sx = Double(output.width) / Double(input.width), sy = Double(output.height) / Double(input.height)
        var best: (index: Int, figure: Double)? = nil
        var fixed: [(index: Int, scale: Int)] = [], anyScale: [(index: Int, maxScale: Double)] = []
        for (index, facts) in candidates.enumerated() {
            switch facts.reach {
            case let .fixed(scale): fixed.append((index, scale))
            case let .anyScale(maxScale): anyScale.append((index, maxScale))
            }
        }
        for (index, _) in fixed where candidates[index].serves(input: input, output: output) {
            let figure = candidates[index].figure(input: input, output: output) ?? -.infinity
            if best == nil || figure > best!.figure { best = (index, figure) }
        }
        let fixedFigure = best?.figure ?? -.infinity
        for (index, _) in anyScale where candidates[index].serves(input: input, output: output) {
            let figure = candidates[index].figure(input: input, output: output) ?? -.infinity
            guard figure > fixedFigure + tie || best == nil else { continue }
            if best == nil || figure > best!.figure { best = (index, figure) }
        }
        if let best { return .model(best.index) }
        if sx <= 1 && sy <= 1 { return .resampler }
        if !fixed.isEmpty {
            let needed = max(sx, sy)
            return .model((fixed.first { Double($0.scale) >= needed - 1e-9 } ?? fixed[fixed.count - 1]).index)
        }
        return .model(anyScale.max { $0.maxScale < $1.maxScale }!.index)
    }

    /// The upscaler's name and, when it differs, what runs for `input` -> `output` (e.g. "auto: lutscale-imlut"): a
    /// model's name, with the bridge when one finishes the size.
    public func describe(input: PlaneSize, output: PlaneSize) -> String {
        let picked = switch choice(input: input, output: output) {
        case .resampler: bridge.name
        case let .fixed(model): Self.isDirect(model, input: input, output: output) ? model.name : "\(model.name) + \(bridge.name)"
        case let .anyScale(model): model.serves(input: input, output: output) ? model.name : "\(model.name) + \(bridge.name)"
        }
        return picked == name ? name : "\(name): \(picked)"
    }

    public func makePlan(input: PlaneSize, output: PlaneSize, bitDepth: Int) throws(UpscaleError) -> any UpscalePlan {
        guard input.width > 0, input.height > 0 else {
            throw .unsupportedSize(input: input, output: output, reason: "empty plane")
        }
        switch choice(input: input, output: output) {
        case .resampler:
            return try bridge.makePlan(input: input, output: output, bitDepth: bitDepth)
        case let .fixed(model):
            if Self.isDirect(model, input: input, output: output) { return try model.makePlan(input: input, output: output, bitDepth: bitDepth) }
            let full = PlaneSize(width: input.width * model.scale, height: input.height * model.scale)
            return ChainedPlan(first: try model.makePlan(input: input, output: full, bitDepth: bitDepth),
                               second: try bridge.makePlan(input: full, output: output, bitDepth: bitDepth))
        case let .anyScale(model):
            if model.serves(input: input, output: output) { return try model.makePlan(input: input, output: output, bitDepth: bitDepth) }
            // The nearest size it serves, axis by axis.
            func clamp(_ out: Int, _ from: Int) -> Int { min(max(out, from), Int((model.maxScale * Double(from)).rounded(.down))) }
            let middle = PlaneSize(width: clamp(output.width, input.width), height: clamp(output.height, input.height))
            return ChainedPlan(first: try model.makePlan(input: input, output: middle, bitDepth: bitDepth),
                               second: try bridge.makePlan(input: middle, output: output, bitDepth: bitDepth))
        }
    }
}

/// What choosing among models needs to know of one, from the loaded model or from its file's header alone.
public struct ModelFacts: Sendable {
    public enum Reach: Sendable, Equatable {
        case fixed(scale: Int)
        case anyScale(maxScale: Double)
    }

    /// What `AnyScaleUpscaler.pick` chose: a candidate by index, or the resampler alone (a downscale).
    public enum Pick: Sendable, Equatable {
        case model(Int)
        case resampler
    }

    public let reach: Reach
    /// Set5 Y PSNR by scale, ascending (`Set5Figures`).
    public let set5: [(scale: Double, psnr: Double)]

    public init(reach: Reach, set5: [(scale: Double, psnr: Double)]) {
        self.reach = reach
        self.set5 = set5
    }

    /// Whether the model gives `output` from `input` as it is, without a resampler: a fixed model at its own scale
    /// (cropped by less than one block), an any-scale model within its range in both axes.
    public func serves(input: PlaneSize, output: PlaneSize) -> Bool {
        guard input.width > 0, input.height > 0 else { return false }
        switch reach {
        case let .fixed(scale): return AnyScaleUpscaler.isDirect(scale: scale, input: input, output: output)
        case let .anyScale(maxScale):
            let sx = Double(output.width) / Double(input.width), sy = Double(output.height) / Double(input.height)
            return sx >= 1 && sy >= 1 && sx <= maxScale && sy <= maxScale
        }
    }

    /// The Set5 figure for `input` -> `output`: a fixed model's at its scale, an any-scale model's interpolated at
    /// the geometric mean of the two axes' scales; nil without figures.
    public func figure(input: PlaneSize, output: PlaneSize) -> Double? {
        switch reach {
        case let .fixed(scale): return Set5Figures.at(Double(scale), set5)
        case .anyScale:
            let sx = Double(output.width) / Double(input.width), sy = Double(output.height) / Double(input.height)
            return Set5Figures.at((sx * sy).squareRoot(), set5)
        }
    }

    /// A file's facts from its contents (a header alone is enough).
    public init(_ contents: LUTFileContents) {
        switch contents {
        case let .srlut(spec): self.init(reach: .fixed(scale: spec.scale), set5: spec.set5PSNR)
        case let .imlut(spec): self.init(reach: .anyScale(maxScale: spec.maxScale), set5: spec.set5PSNR)
        }
    }
}

extension LUTModel {
    public var facts: ModelFacts { ModelFacts(.srlut(spec)) }
}

extension IMLUTModel {
    public var facts: ModelFacts { ModelFacts(.imlut(spec)) }
}

/// Set5 Y PSNR figures recorded in a model's metadata (`set5_y_psnr`: scale as a string -> dB).
public enum Set5Figures {
    /// The figures by scale, ascending; members that are not a positive scale with a number are ignored
    /// (metadata is free-form).
    public static func parse(_ metadata: [JSONMember]) -> [(scale: Double, psnr: Double)] {
        guard case let .object(members)? = metadata.first(where: { $0.key == "set5_y_psnr" })?.value else { return [] }
        return members.compactMap { member in
            guard let scale = Double(member.key), scale.isFinite, scale > 0, let psnr = member.value.numberValue, psnr.isFinite else { return nil }
            return (scale, psnr)
        }.sorted { $0.scale < $1.scale }
    }

    /// The figure at `scale`, linear between recorded scales and the nearest one outside them; nil without figures.
    public static func at(_ scale: Double, _ figures: [(scale: Double, psnr: Double)]) -> Double? {
        guard let first = figures.first, let last = figures.last else { return nil }
        if scale <= first.scale { return first.psnr }
        if scale >= last.scale { return last.psnr }
        let i = figures.lastIndex { $0.scale <= scale }!
        let (a, b) = (figures[i], figures[i + 1])
        return a.psnr + (b.psnr - a.psnr) * (scale - a.scale) / (b.scale - a.scale)
    }
}

extension LUTModelSpec {
    /// Set5 Y PSNR by scale from `metadata.set5_y_psnr`.
    public var set5PSNR: [(scale: Double, psnr: Double)] { Set5Figures.parse(metadata) }
}

/// Two plans one after the other through an intermediate plane.
struct ChainedPlan: UpscalePlan {
    let first: any UpscalePlan
    let second: any UpscalePlan

    var input: PlaneSize { first.input }
    var output: PlaneSize { second.output }
    var bitDepth: Int { first.bitDepth }
    var rowAlignment: Int { 1 }

    /// Any band needs intermediate rows that depend on the second filter's reach, so this computes the whole
    /// intermediate plane; `renderParallel` is the entry point that does so once per frame.
    func render(_ source: PlaneView, into destination: MutablePlaneView, rows: Range<Int>) {
        let middle = PlaneBuffer(size: first.output, bitDepth: bitDepth)
        first.render(source, into: middle.mutableView, rows: 0..<first.output.height)
        second.render(middle.view, into: destination, rows: rows)
    }

    func renderParallel(_ source: PlaneView, into destination: MutablePlaneView, workers: Int, alongside others: [@Sendable () -> Void],
                        scheduler: ItemScheduler) {
        let middle = PlaneBuffer(size: first.output, bitDepth: bitDepth)
        first.renderParallel(source, into: middle.mutableView, workers: workers)
        second.renderParallel(middle.view, into: destination, workers: workers, alongside: others, scheduler: scheduler)
    }
}

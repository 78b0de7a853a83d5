/// Serves any output size from fixed integer-scale models: the model whose scale is the smallest at or above the
/// one asked for (the largest when none reaches it), then a resampler from the model's size to the exact size.
///
/// An output a model gives directly (its full size, or cropped by less than one block, as when an LR size was
/// rounded up) skips the resampler.
public struct AnyScaleUpscaler: PlaneUpscaler {
    public let models: [LUTModel]
    public let bridge: Resampler
    public let name: String

    /// `models` must not be empty; they are tried in order of scale.
    public init(name: String, models: [LUTModel], bridge: Resampler = Resampler(kernel: .lanczos3)) {
        precondition(!models.isEmpty, "an any-scale upscaler needs at least one model")
        self.name = name
        self.models = models.sorted { $0.scale < $1.scale }
        self.bridge = bridge
    }

    /// The model that serves `input` -> `output`.
    public func model(input: PlaneSize, output: PlaneSize) -> LUTModel {
        let needed = max(Double(output.width) / Double(input.width), Double(output.height) / Double(input.height))
        return models.first { Double($0.scale) >= needed - 1e-9 } ?? models[models.count - 1]
    }

    public func makePlan(input: PlaneSize, output: PlaneSize, bitDepth: Int) throws(UpscaleError) -> any UpscalePlan {
        guard input.width > 0, input.height > 0 else {
            throw .unsupportedSize(input: input, output: output, reason: "empty plane")
        }
        let model = model(input: input, output: output)
        let r = model.scale
        let full = PlaneSize(width: input.width * r, height: input.height * r)
        let direct = output.width <= full.width && output.width > full.width - r
            && output.height <= full.height && output.height > full.height - r
        if direct { return try model.makePlan(input: input, output: output, bitDepth: bitDepth) }
        return ChainedPlan(first: try model.makePlan(input: input, output: full, bitDepth: bitDepth),
                           second: try bridge.makePlan(input: full, output: output, bitDepth: bitDepth))
    }
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

    func renderParallel(_ source: PlaneView, into destination: MutablePlaneView, workers: Int) {
        let middle = PlaneBuffer(size: first.output, bitDepth: bitDepth)
        first.renderParallel(source, into: middle.mutableView, workers: workers)
        second.renderParallel(middle.view, into: destination, workers: workers)
    }
}

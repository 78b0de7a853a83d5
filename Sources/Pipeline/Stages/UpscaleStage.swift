import LUTEngine
import Media
import VideoCore

/// Work-format frames -> frames at the output size (`FrameRenderer`). In preview, frames the sink would show too
/// late are skipped before they cost anything, and when the upscaler falls behind the source it steps down the
/// preview ladder to the next candidate.
struct UpscaleStage: Stage {
    let renderer: FrameRenderer
    let format: PixelFormat
    let output: PlaneSize
    let input: BoundedQueue<VideoFrame>
    let upscaled: BoundedQueue<VideoFrame>
    let pacing: PreviewPacing?
    let ladder: PreviewLadder?
    var name: String { "upscale" }

    func run(in job: JobBuilder) throws {
        defer { upscaled.finish() }
        let pool = try FramePool(format: format, width: output.width, height: output.height)
        var renderer = self.renderer
        var watch = ladder.map { KeepUpWatch(limit: $0.frameDuration) }
        let clock = ContinuousClock()
        while let frame = input.pop() {
            if let pacing, pacing.decide(pacing.number(of: frame)) == .drop { continue }
            let target = try pool.frame(propertiesOf: frame)
            let start = clock.now
            try renderer.render(frame, into: target)
            if let ladder, watch?.record(clock.now - start) == .stepDown,
               let next = ladder.stepDown(atFrame: pacing?.number(of: frame) ?? frame.pts ?? 0, mean: watch!.lastMean) {
                renderer = try renderer.with(upscaler: next)
            }
            guard upscaled.push(target) else { return }
        }
    }
}

/// Renders every plane of a frame at the output size: the upscaler on luma (and on every plane in `all` mode),
/// swscale on the others, whole or field by field (`fields`), as one set of work items on all cores per field. A
/// stream whose size changes midway keeps its output size: its planes are planned again.
struct FrameRenderer: Sendable {
    let upscaler: any PlaneUpscaler
    let fields: FieldSplit
    private var luma: any UpscalePlan
    private var others: [OtherPlaneMethod]
    private var work: [PlaneWork]
    /// Where the other planes run among the luma plane's bands, learnt frame by frame.
    private let scheduler = ItemScheduler()

    init(upscaler: any PlaneUpscaler, plans: PlanePlans, fields: FieldSplit = .frame) throws(PipelineError) {
        self.upscaler = upscaler
        self.fields = fields
        luma = plans.luma
        others = plans.others
        work = try PipelineError.wrap { try plans.others.map(PlaneWork.init) }
    }

    mutating func render(_ frame: VideoFrame, into target: VideoFrame) throws(PipelineError) {
        let size = try fields.sourceSize(0, of: frame)
        if size != luma.input {
            luma = try PipelineError.wrap { try upscaler.makePlan(input: size, output: luma.output, bitDepth: luma.bitDepth) }
            others = try others.enumerated().map { offset, method throws(PipelineError) in
                try method.replanned(from: fields.sourceSize(offset + 1, of: frame), upscaler: upscaler)
            }
            work = try PipelineError.wrap { try others.map(PlaneWork.init) }
        }
        fields.label(target)
        // One set of work items per field (one for a whole frame): the luma plane's row bands and each other
        // plane, on all cores.
        for (field, (source, destination)) in try fields.pairs(0, of: frame, into: target).enumerated() {
            let items = try PlaneWork.items(work, from: frame, into: target, fields: fields, field: field)
            withExtendedLifetime(frame) {
                luma.renderParallel(source.readOnly, into: destination, workers: activeProcessorCount, alongside: items,
                                    scheduler: scheduler)
            }
        }
    }

    /// The same planes planned with another upscaler (preview stepping down).
    func with(upscaler next: any PlaneUpscaler) throws(PipelineError) -> FrameRenderer {
        let luma = try PipelineError.wrap { try next.makePlan(input: self.luma.input, output: self.luma.output, bitDepth: self.luma.bitDepth) }
        let others = try others.map { method throws(PipelineError) in
            guard case let .upscaler(plan) = method else { return method }
            return try method.replanned(from: plan.input, upscaler: next)
        }
        return try FrameRenderer(upscaler: next, plans: PlanePlans(luma: luma, others: others), fields: fields)
    }
}

/// How the upscale stage brings one plane after the first to the output size.
enum PlaneWork: Sendable {
    case swscale(PlaneScaler)
    case upscaler(any UpscalePlan)

    /// The method ready to run; a scaler is made here so that each stage owns its own.
    init(_ method: OtherPlaneMethod) throws(MediaError) {
        switch method {
        case let .swscale(from, to, bitDepth): self = .swscale(try PlaneScaler(from: from, to: to, bitDepth: bitDepth))
        case let .upscaler(plan): self = .upscaler(plan)
        }
    }

    /// Field `field` (as `fields` splits them) of planes 1... of `source` into `target` as independent work items,
    /// one per plane, to run beside the luma plane's row bands (`renderParallel(alongside:)`): each scaler has its
    /// own plane, each plan is one thread's.
    static func items(_ work: [PlaneWork], from source: VideoFrame, into target: VideoFrame, fields: FieldSplit = .frame,
                      field: Int = 0) throws(PipelineError) -> [@Sendable () -> Void] {
        var items: [@Sendable () -> Void] = []
        for (offset, method) in work.enumerated() {
            let (from, to) = try fields.pairs(offset + 1, of: source, into: target)[field]
            switch method {
            case let .swscale(scaler): items.append { scaler.scale(from.readOnly, into: to) }
            case let .upscaler(plan): items.append { plan.renderParallel(from.readOnly, into: to, workers: 1) }
            }
        }
        return items
    }
}

extension VideoFrame {
    func mutablePlaneView(_ index: Int) throws(PipelineError) -> MutablePlaneView {
        guard let plane = plane(index) else { throw .media(.unsupported("plane \(index) of a \(format) frame")) }
        return plane
    }

    func planeView(_ index: Int) throws(PipelineError) -> PlaneView { try mutablePlaneView(index).readOnly }

    /// Views of planes the frame is known to have (frames from a pool of the stream's format).
    func pixelViews(_ count: Int) -> [PlaneView] {
        (0..<count).map { plane($0)!.readOnly }
    }

    func mutablePlaneViews(_ count: Int) throws(PipelineError) -> [MutablePlaneView] {
        var views: [MutablePlaneView] = []
        for plane in 0..<count { views.append(try mutablePlaneView(plane)) }
        return views
    }
}

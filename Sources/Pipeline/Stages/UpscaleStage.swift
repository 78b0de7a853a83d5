import Dispatch
import LUTEngine
import Media

/// Work-format frames -> frames at the output size: the upscaler on luma (and on every plane in `all` mode),
/// swscale on the others. A stream whose size changes midway keeps its output size: its planes are planned again.
struct UpscaleStage: Stage {
    let upscaler: any PlaneUpscaler
    let plans: PlanePlans
    let format: PixelFormat
    let output: PlaneSize
    let input: BoundedQueue<VideoFrame>
    let upscaled: BoundedQueue<VideoFrame>
    /// Preview: frames the sink would show too late are skipped before they cost anything.
    let pacing: PreviewPacing?
    var name: String { "upscale" }

    func run(in job: JobBuilder) throws {
        defer { upscaled.finish() }
        let pool = try FramePool(format: format, width: output.width, height: output.height)
        var luma = plans.luma, others = plans.others
        var work = try others.map(PlaneWork.init)
        while let frame = input.pop() {
            if let pacing, pacing.decide(frame.pts ?? 0) == .drop { continue }
            let source = try frame.planeView(0)
            if source.size != luma.input {
                luma = try PipelineError.wrap { try upscaler.makePlan(input: source.size, output: luma.output, bitDepth: luma.bitDepth) }
                others = try others.enumerated().map { offset, method throws(PipelineError) in
                    try method.replanned(from: frame.planeView(offset + 1).size, upscaler: upscaler)
                }
                work = try others.map(PlaneWork.init)
            }
            let target = try pool.frame(propertiesOf: frame)
            try luma.renderParallel(source, into: target.mutablePlaneView(0))
            try PlaneWork.run(work, from: frame, into: target)
            guard upscaled.push(target) else { return }
        }
    }
}

/// How the upscale stage brings one plane after the first to the output size.
enum PlaneWork {
    case swscale(PlaneScaler)
    case upscaler(any UpscalePlan)

    /// The method ready to run; a scaler is made here so that each stage owns its own.
    init(_ method: OtherPlaneMethod) throws(MediaError) {
        switch method {
        case let .swscale(from, to, bitDepth): self = .swscale(try PlaneScaler(from: from, to: to, bitDepth: bitDepth))
        case let .upscaler(plan): self = .upscaler(plan)
        }
    }

    /// Planes 1... of `source` into `target`: swscale planes side by side (one scaler each), upscaler planes
    /// each across all cores.
    static func run(_ work: [PlaneWork], from source: VideoFrame, into target: VideoFrame) throws(PipelineError) {
        var scaled: [(PlaneScaler, FramePlane, FramePlane)] = []
        for (offset, method) in work.enumerated() {
            let plane = offset + 1
            switch method {
            case let .upscaler(plan):
                try plan.renderParallel(source.planeView(plane), into: target.mutablePlaneView(plane))
            case let .swscale(scaler):
                scaled.append((scaler, try source.framePlane(plane), try target.framePlane(plane)))
            }
        }
        if scaled.count == 1 {
            scaled[0].0.scale(scaled[0].1, into: scaled[0].2)
        } else if !scaled.isEmpty {
            let jobs = UncheckedSendable(scaled)
            DispatchQueue.concurrentPerform(iterations: scaled.count) { i in
                let (scaler, from, to) = jobs.value[i]
                scaler.scale(from, into: to)
            }
        }
    }
}

/// Lets `concurrentPerform` workers read an array of jobs; each worker touches only its own element, and each
/// element has its own scaler and destination plane.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

extension VideoFrame {
    func framePlane(_ index: Int) throws(PipelineError) -> FramePlane {
        guard let plane = plane(index) else { throw .media(.unsupported("plane \(index) of a \(format) frame")) }
        return plane
    }

    func planeView(_ index: Int) throws(PipelineError) -> PlaneView { try framePlane(index).view }

    func mutablePlaneView(_ index: Int) throws(PipelineError) -> MutablePlaneView { try framePlane(index).mutableView }

    /// Views of planes the frame is known to have (frames from a pool of the stream's format).
    func pixelViews(_ count: Int) -> [PlaneView] {
        (0..<count).map { plane($0)!.view }
    }

    func mutablePlaneViews(_ count: Int) throws(PipelineError) -> [MutablePlaneView] {
        var views: [MutablePlaneView] = []
        for plane in 0..<count { views.append(try mutablePlaneView(plane)) }
        return views
    }
}

extension FramePlane {
    /// The engine's view of the plane; it does not keep the frame alive.
    var view: PlaneView {
        PlaneView(base: UnsafeRawPointer(base), size: PlaneSize(width: width, height: height), bytesPerRow: bytesPerRow, bitDepth: bitDepth)
    }

    var mutableView: MutablePlaneView {
        MutablePlaneView(base: base, size: PlaneSize(width: width, height: height), bytesPerRow: bytesPerRow, bitDepth: bitDepth)
    }
}

import Foundation
import LUTEngine
import Media
import RawVideo

/// What arrives on the input pipe.
public enum StreamInput: Sendable {
    /// YUV4MPEG2, recognised by its `YUV4MPEG2 ` magic.
    case y4m
    /// Headerless frames of a known format at a known rate.
    case raw(RawVideoFormat, frameRate: Y4MRatio)
}

/// Upscaling between pipes: y4m or raw frames in, y4m or raw frames out, frame for frame.
public struct StreamRequest: Sendable {
    public var input: StreamInput
    public var inputDescriptor: Int32
    public var outputDescriptor: Int32
    /// Headerless frames out instead of YUV4MPEG2.
    public var rawOutput: Bool
    public var size: SizeRequest
    public var upscaler: any PlaneUpscaler
    public var planes: PlaneMode
    /// Paced to the source frame rate; late frames are dropped instead of queued.
    public var preview: Bool

    public init(input: StreamInput, inputDescriptor: Int32 = STDIN_FILENO, outputDescriptor: Int32 = STDOUT_FILENO,
                rawOutput: Bool = false, size: SizeRequest, upscaler: any PlaneUpscaler, planes: PlaneMode = .luma,
                preview: Bool = false) {
        self.input = input
        self.inputDescriptor = inputDescriptor
        self.outputDescriptor = outputDescriptor
        self.rawOutput = rawOutput
        self.size = size
        self.upscaler = upscaler
        self.planes = planes
        self.preview = preview
    }
}

/// What a finished stream run did.
public struct StreamSummary: Sendable {
    public let framesRead: Int
    public let framesWritten: Int
    /// Preview only: frames skipped because the upscaler was behind the source clock.
    public let framesDropped: Int
    public let elapsed: Duration
    /// The consumer closed the output pipe before the input ended.
    public let consumerClosed: Bool
}

/// One pipe-to-pipe upscale: `init` reads the input header (y4m) and plans every plane; `run` reads, upscales and
/// writes on three threads joined by bounded queues, with the plane plans of the file pipeline.
public final class StreamJob {
    public let inputFormat: RawVideoFormat
    public let outputFormat: RawVideoFormat
    public let frameRate: Y4MRatio
    /// What upscales the luma plane, e.g. "lanczos3" or "auto: lutscale-imlut".
    public let upscalerName: String
    private let reader: FrameReader
    private let writer: FrameWriter
    private let workFormat: PixelFormat
    private let lumaPlan: any UpscalePlan
    private let otherPlanes: [OtherPlaneMethod]
    private let preview: Bool
    private var started = false

    public init(_ request: StreamRequest) throws(PipelineError) {
        // Frames are large: fewer, larger pipe transfers cost both sides less CPU.
        enlargePipeBuffer(request.inputDescriptor)
        enlargePipeBuffer(request.outputDescriptor)
        let reader: FrameReader
        var header: Y4MHeader
        switch request.input {
        case .y4m:
            do {
                let y4m = try Y4MReader(fileDescriptor: request.inputDescriptor)
                reader = .y4m(y4m)
                header = y4m.header
            } catch .badMagic(let found) {
                throw .invalidRequest("the input is not YUV4MPEG2 (it starts with \"\(found)\"); for headerless frames pass --raw-size WxH --pix-fmt F --fps N")
            } catch {
                throw .stream(error)
            }
        case let .raw(format, rate):
            reader = .raw(RawVideoReader(fileDescriptor: request.inputDescriptor, format: format))
            header = Y4MHeader(format: format, frameRate: rate)
        }
        let input = header.format
        guard let workFormat = PixelFormat(name: input.pixelFormat.ffmpegName) else {
            throw .media(.unsupported("pixel format \(input.pixelFormat)"))
        }
        let alignment = (x: 1 << workFormat.chromaShift.x, y: 1 << workFormat.chromaShift.y)
        let size = try OutputGeometry.resolve(request.size, width: input.width, height: input.height,
                                              alignment: alignment, formatName: workFormat.name)
        let output = try PipelineError.wrap { try RawVideoFormat(width: size.width, height: size.height, pixelFormat: input.pixelFormat) }

        let depth = input.pixelFormat.bitDepth
        let planes = (0..<max(1, input.planeCount))
        let plans = try PlanePlans(upscaler: request.upscaler, mode: request.planes, bitDepth: depth,
                                   input: planes.map(input.planeSize), output: planes.map(output.planeSize))

        // Every header tag but the size is carried over (rate, interlacing, aspect, siting, range, X tags).
        header.format = output
        if request.rawOutput {
            writer = .raw(RawVideoWriter(fileDescriptor: request.outputDescriptor, format: output))
        } else {
            writer = .y4m(try PipelineError.wrap { try Y4MWriter(fileDescriptor: request.outputDescriptor, header: header) })
        }
        self.reader = reader
        self.inputFormat = input
        self.outputFormat = output
        // FFmpeg reads a y4m stream without a rate as 25 fps.
        self.frameRate = header.frameRate ?? Y4MRatio(25, 1)
        self.upscalerName = request.upscaler.describe(input: plans.luma.input, output: plans.luma.output)
        self.workFormat = workFormat
        self.lumaPlan = plans.luma
        self.otherPlanes = plans.others
        self.preview = request.preview
    }

    /// Runs until the input ends, the consumer closes the output, or `stop` is requested. `progress` is called
    /// on the writing thread after every frame.
    public func run(stop: StopSignal = StopSignal(), progress: @escaping @Sendable (JobProgress) -> Void = { _ in }) throws(PipelineError) -> StreamSummary {
        precondition(!started, "a StreamJob runs once")
        started = true
        let clock = ContinuousClock()
        let start = clock.now
        let stages = StageGroup()
        stop.onAbort { stages.fail(.aborted) }
        // Preview keeps a single frame waiting at each step so that latency cannot build up.
        let depth = preview ? 1 : 4
        let readQueue = stages.queue(BoundedQueue<VideoFrame>(highWatermark: depth, lowWatermark: depth / 2))
        let writeQueue = stages.queue(BoundedQueue<VideoFrame>(highWatermark: max(1, depth / 2), lowWatermark: 0))
        let read = FrameCounter(), written = FrameCounter(), dropped = FrameCounter()
        let closed = Flag()
        let readError = ReadFailure()
        let schedule = preview ? PreviewSchedule(frameRate: frameRate) : nil

        let reader = self.reader, input = inputFormat, workFormat = self.workFormat
        stages.spawn("read") {
            defer { readQueue.finish() }
            let pool = try FramePool(format: workFormat, width: input.width, height: input.height)
            while !stop.isStopRequested {
                let frame = try pool.frame()
                let result: FrameReadResult
                do {
                    result = try reader.read(into: frame.mutablePlaneViews(input.planeCount))
                } catch {
                    // A cut-short or garbled input: every complete frame before it is still written, then the run
                    // fails with this error.
                    readError.record(error)
                    return
                }
                guard result == .frame else { return }
                // The frame number rides in pts: the preview schedule is by frame number.
                frame.pts = Int64(read.increment() - 1)
                guard readQueue.push(frame) else { return }
            }
        }

        let lumaPlan = self.lumaPlan, otherPlanes = self.otherPlanes, output = outputFormat
        stages.spawn("upscale") {
            defer { writeQueue.finish() }
            let pool = try FramePool(format: workFormat, width: output.width, height: output.height)
            let methods = try otherPlanes.map(PlaneWork.init)
            while let frame = readQueue.pop() {
                // A frame whose successor is already due is not worth upscaling: skipping it is how preview catches
                // up. One only just late is still shown (a moment late beats a frame missing).
                if let schedule, schedule.isLate(frame.pts ?? 0, now: clock.now) {
                    _ = dropped.increment()
                    continue
                }
                let target = try pool.frame()
                target.pts = frame.pts
                try lumaPlan.renderParallel(frame.planeView(0), into: target.mutablePlaneView(0))
                try PlaneWork.run(methods, from: frame, into: target)
                guard writeQueue.push(target) else { return }
            }
        }

        let writer = self.writer
        stages.spawn("write") {
            do {
                while let frame = writeQueue.pop() {
                    if let schedule { schedule.wait(until: frame.pts ?? 0, clock: clock) }
                    try writer.write(frame, planes: output.planeCount)
                    progress(JobProgress(frames: written.increment(), totalFrames: nil, elapsed: clock.now - start))
                }
                guard !stages.hasFailed else { return }
                try writer.finish()
            } catch RawVideoError.consumerClosed {
                // Not a failure: the reader of our output has what it wanted. The other stages stop at their next push.
                closed.set()
                readQueue.cancel()
                writeQueue.cancel()
            }
        }

        if let error = stages.wait() ?? (closed.value ? nil : readError.error) { throw error }
        return StreamSummary(framesRead: read.value, framesWritten: written.value, framesDropped: dropped.value,
                             elapsed: clock.now - start, consumerClosed: closed.value)
    }
}

/// The two input framings behind one call.
private enum FrameReader: @unchecked Sendable {
    // Sound as the readers' own Sendable conformances: the job hands its reader to the read stage, its only user.
    case y4m(Y4MReader<FileDescriptorByteSource>)
    case raw(RawVideoReader<FileDescriptorByteSource>)

    func read(into planes: [MutablePlaneView]) throws(RawVideoError) -> FrameReadResult {
        switch self {
        case let .y4m(reader): try reader.readFrame(into: planes)
        case let .raw(reader): try reader.readFrame(into: planes)
        }
    }
}

private enum FrameWriter: @unchecked Sendable {
    // Sound as `FrameReader`: used by the write stage only.
    case y4m(Y4MWriter<FileDescriptorByteSink>)
    case raw(RawVideoWriter<FileDescriptorByteSink>)

    func write(_ frame: VideoFrame, planes count: Int) throws(RawVideoError) {
        // Views do not retain the frame: it is kept alive until its planes are written.
        defer { withExtendedLifetime(frame) {} }
        let planes = frame.pixelViews(count)
        switch self {
        case let .y4m(writer): try writer.writeFrame(planes)
        case let .raw(writer): try writer.writeFrame(planes)
        }
    }

    /// A y4m stream of no frames still gets its header.
    func finish() throws(RawVideoError) {
        if case let .y4m(writer) = self { try writer.finish() }
    }
}

/// When each preview frame is due: the first frame written starts the clock (so the time the first frame takes,
/// plans warming up, counts against no frame), and frame n is due n frame durations after frame 0.
final class PreviewSchedule: @unchecked Sendable {
    // `origin` is guarded by `lock`; the write stage sets it, the upscale stage reads it.
    private let lock = NSLock()
    private var origin: ContinuousClock.Instant?
    private let frameDuration: Duration

    init(frameRate: Y4MRatio) {
        let rate = frameRate.numerator > 0 && frameRate.denominator > 0 ? Double(frameRate.numerator) / Double(frameRate.denominator) : 25
        frameDuration = .seconds(1 / rate)
    }

    /// True when the next frame's display time has already passed; nothing is late before the first frame is shown.
    func isLate(_ frame: Int64, now: ContinuousClock.Instant) -> Bool {
        guard let start = lock.withLock({ origin }) else { return false }
        return now > start + frameDuration * Double(frame + 1)
    }

    /// When the frame is due; the first frame asked about is due `now`, and the schedule counts from it.
    func due(_ frame: Int64, now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        lock.withLock {
            let start = origin ?? now - frameDuration * Double(frame)
            origin = start
            return start + frameDuration * Double(frame)
        }
    }

    /// Sleeps until the frame is due.
    func wait(until frame: Int64, clock: ContinuousClock) {
        let now = clock.now
        let target = due(frame, now: now)
        if target > now { Thread.sleep(forTimeInterval: Double((target - now) / .milliseconds(1)) / 1000) }
    }
}

/// A one-way flag set on one thread and read after the threads are joined.
private final class Flag: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var isSet = false
    func set() { lock.withLock { isSet = true } }
    var value: Bool { lock.withLock { isSet } }
}

extension VideoFrame {
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

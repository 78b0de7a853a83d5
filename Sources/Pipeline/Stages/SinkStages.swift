import Foundation
import Media
import RawVideo
import VideoCore

/// What the muxer gets: packets from every encoder and the source (copied streams), and one `.end` from each.
enum MuxItem: Sendable {
    case packet(Packet, stream: Int, timeBase: Rational)
    case end
}

/// Frames -> packets for the muxer, for one stream.
struct EncodeStage: Stage {
    let encoder: VideoEncoder
    let frames: BoundedQueue<VideoFrame>
    let muxing: BoundedQueue<MuxItem>
    let stream: Int
    let count: FrameCounter
    let progress: @Sendable (Int) -> Void
    /// Preview: each frame waits for its time before the encoder gets it.
    var pacing: PreviewPacing? = nil
    var name: String { "encode" }

    func run(in job: JobBuilder) throws {
        defer { muxing.push(.end) }
        let timeBase = encoder.settings.timeBase
        // Frame durations by pts, for encoders that leave packet durations empty (the last frame needs one).
        var durations: [Int64: Int64] = [:]
        func drain() throws -> Bool {
            while case let .item(packet) = try encoder.receive() {
                if let pts = packet.pts, let duration = durations.removeValue(forKey: pts), packet.duration == 0 {
                    packet.duration = duration
                }
                guard muxing.push(.packet(packet, stream: stream, timeBase: timeBase)) else { return false }
            }
            return true
        }
        while let frame = frames.pop() {
            if let pacing { pacing.wait(until: pacing.number(of: frame)) }
            if let pts = frame.pts, frame.duration > 0 { durations[pts] = frame.duration }
            while try encoder.send(frame) == .mustReceiveFirst {
                guard try drain() else { return }
            }
            progress(count.increment())
            guard try drain() else { return }
        }
        guard !job.hasFailed else { return }
        try encoder.sendEndOfStream()
        _ = try drain()
    }
}

/// Packets -> the container, once every producer has sent its `.end`. Writing a pipe (`closed` given), a reader
/// that goes away (a player closed) ends the job without a failure, as it does a frame pipe's.
struct MuxSink: Stage {
    let muxer: Muxer
    let packets: BoundedQueue<MuxItem>
    let producers: Int
    var closed: Flag? = nil
    var name: String { "mux" }

    func run(in job: JobBuilder) throws {
        do {
            try mux(job)
        } catch let error as MediaError where error.isClosedPipe && closed != nil {
            closed?.set()
            job.cancelQueues()
        }
    }

    private func mux(_ job: JobBuilder) throws {
        try muxer.writeHeader()
        var ends = 0
        while ends < producers, let item = packets.pop() {
            switch item {
            case .end: ends += 1
            case let .packet(packet, stream, timeBase): try muxer.write(packet, timeBase: timeBase, stream: stream)
            }
        }
        guard !job.hasFailed else { return }
        try muxer.finish()
    }
}

/// Frames -> y4m or headerless frames on a pipe, paced to the source clock in preview. A consumer that closes the
/// pipe ends the job without a failure.
struct PipeSink: Stage {
    let writer: FrameWriter
    let planes: Int
    let frames: BoundedQueue<VideoFrame>
    let pacing: PreviewPacing?
    let count: FrameCounter
    let closed: Flag
    let progress: @Sendable (Int) -> Void
    var name: String { "write" }

    func run(in job: JobBuilder) throws {
        do {
            try write(job)
        } catch .consumerClosed {
            // Not a failure: the reader of our output has what it wanted. The other stages stop at their next push.
            closed.set()
            job.cancelQueues()
        }
    }

    private func write(_ job: JobBuilder) throws(RawVideoError) {
        while let frame = frames.pop() {
            if let pacing { pacing.wait(until: pacing.number(of: frame)) }
            try writer.write(frame, planes: planes)
            progress(count.increment())
        }
        guard !job.hasFailed else { return }
        try writer.finish()
    }
}

/// The two pipe framings behind one call.
enum FrameWriter: @unchecked Sendable {
    // Sound as `FrameReader`: used by the sink stage only.
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

/// Preview pacing shared by the upscale stage (which skips frames) and the sink (which waits for each frame's
/// time); frames carry their number in pts, or (`timeBase`) their time.
struct PreviewPacing: Sendable {
    enum Action: Equatable { case upscale, drop }

    let schedule: PreviewSchedule
    let dropped: FrameCounter
    /// The time base of the frames' pts, when they are a file stream's timestamps rather than frame numbers.
    var timeBase: Rational? = nil
    let clock = ContinuousClock()

    /// The frame's number on the schedule: its pts, or its time in frame durations.
    func number(of frame: VideoFrame) -> Int64 {
        guard let pts = frame.pts else { return 0 }
        guard let timeBase else { return pts }
        return Int64((Double(pts) * timeBase.doubleValue / schedule.frameSeconds).rounded())
    }

    /// A frame whose successor is already due is not worth upscaling: skipping it is how preview catches up. One only
    /// just late is still shown (a moment late beats a frame missing).
    func decide(_ frame: Int64) -> Action {
        guard schedule.isLate(frame, now: clock.now) else { return .upscale }
        _ = dropped.increment()
        return .drop
    }

    func wait(until frame: Int64) { schedule.wait(until: frame, clock: clock) }
}

/// When each preview frame is due: the first frame written starts the clock (so the time the first frame takes,
/// plans warming up, counts against no frame), and frame n is due n frame durations after frame 0.
final class PreviewSchedule: @unchecked Sendable {
    // `origin` is guarded by `lock`; the sink sets it, the upscale stage reads it.
    private let lock = NSLock()
    private var origin: ContinuousClock.Instant?
    private let frameDuration: Duration
    let frameSeconds: Double

    init(frameRate: Rational) {
        let rate = frameRate.isValid ? frameRate.doubleValue : 25
        frameSeconds = 1 / rate
        frameDuration = .seconds(frameSeconds)
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

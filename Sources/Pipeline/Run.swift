import Foundation
import LUTEngine
import Media

/// How far a running job is; handed to the progress callback after every encoded frame.
public struct JobProgress: Sendable {
    public let frames: Int
    /// Frames expected in all, when the input says.
    public let totalFrames: Int?
    public let elapsed: Duration
}

/// What a finished job did.
public struct Summary: Sendable {
    public let frames: Int
    public let elapsed: Duration
    /// True when a stop request ended the input early (the file holds what was read until then).
    public let stoppedEarly: Bool
    public let outputBytes: Int64
    /// Damage in the input: packets the demuxer flagged (decoded anyway), packets the decoder rejected (skipped),
    /// frames it returned with concealed errors, and why reading stopped before the end of the file, if it did.
    public let corruptPackets: Int
    public let brokenPackets: Int
    public let damagedFrames: Int
    public let readError: String?
}

extension Summary {
    /// One line on the input damage that was skipped, like the ffmpeg CLI's decode errors; nil for a clean input.
    public var damageReport: String? {
        var parts: [String] = []
        if corruptPackets > 0 { parts.append("\(corruptPackets) corrupt packet\(corruptPackets == 1 ? "" : "s") in the video stream") }
        if brokenPackets > 0 { parts.append("skipped \(brokenPackets) broken packet\(brokenPackets == 1 ? "" : "s")") }
        if damagedFrames > 0 { parts.append("\(damagedFrames) frame\(damagedFrames == 1 ? "" : "s") decoded with errors") }
        if let readError { parts.append("reading stopped early (\(readError))") }
        return parts.isEmpty ? nil : "damaged input: " + parts.joined(separator: ", ") + "; the output holds the frames that decoded"
    }
}

extension UpscaleJob {
    /// Runs the stages, each on its own thread joined by bounded queues, and gives the output its final name.
    ///
    /// On any error, or an abort, the temporary file is removed and nothing appears under the output name.
    /// `progress` is called on the encoding thread.
    public func run(stop: StopSignal = StopSignal(), progress: @escaping @Sendable (JobProgress) -> Void = { _ in }) throws(PipelineError) -> Summary {
        precondition(!started, "an UpscaleJob runs once")
        started = true
        let clock = ContinuousClock()
        let start = clock.now
        let stages = StageGroup()
        stop.onAbort { stages.fail(.aborted) }

        // Depths: packets are small; frames at the output size are large, so only a few wait at each step.
        let muxing = stages.queue(BoundedQueue<MuxItem>(highWatermark: 64))
        let encodedFrames = FrameCounter()
        let packets = lanes.map { _ in stages.queue(BoundedQueue<Packet>(highWatermark: 16)) }
        let laneOf = Dictionary(uniqueKeysWithValues: lanes.enumerated().map { ($1.inputStream, $0) })
        let readError = ReadFailure()

        let demuxer = self.demuxer, copiedStreams = self.copiedStreams
        stages.spawn("demux") {
            defer {
                for queue in packets { queue.finish() }
                muxing.push(.end)
            }
            while !stop.isStopRequested {
                // A read error (a truncated or garbled file) ends the input, as in the ffmpeg CLI: what was read
                // so far is still upscaled and the summary reports it.
                let next: Demuxer.ReadResult
                do {
                    next = try demuxer.read()
                } catch {
                    readError.record(error)
                    return
                }
                guard case let .packet(packet) = next else { return }
                if let lane = laneOf[packet.streamIndex] {
                    guard packets[lane].push(packet) else { return }
                } else if let copy = copiedStreams[packet.streamIndex] {
                    guard muxing.push(.packet(packet, stream: copy.output, timeBase: copy.timeBase)) else { return }
                }
            }
        }
        let total = lanes[0].estimatedFrameCount
        for (number, lane) in lanes.enumerated() {
            // Progress and the frame count follow the main stream.
            let report: @Sendable (Int) -> Void = { frames in
                if number == 0 { progress(JobProgress(frames: frames, totalFrames: total, elapsed: clock.now - start)) }
            }
            spawnStages(of: lane, packets: packets[number], muxing: muxing, stages: stages, stop: stop,
                        encodedFrames: number == 0 ? encodedFrames : FrameCounter(), progress: report)
        }

        let muxer = self.muxer, laneCount = lanes.count
        stages.spawn("mux") {
            try muxer.writeHeader()
            var ends = 0
            // Producers: the demuxer (copied streams) and each stream's encoder send one `.end`.
            while ends < 1 + laneCount, let item = muxing.pop() {
                switch item {
                case .end: ends += 1
                case let .packet(packet, stream, timeBase): try muxer.write(packet, timeBase: timeBase, stream: stream)
                }
            }
            guard !stages.hasFailed else { return }
            try muxer.finish()
        }

        // A stop before the first frame leaves nothing worth keeping (a file without video does not play), and
        // damage that left no frame at all is an error, not an empty file. Damage is counted on the main stream.
        let failure = stages.wait()
        let decoder = lanes[0].decoder
        var noFrames: PipelineError?
        if encodedFrames.value == 0 {
            if stop.isStopRequested {
                noFrames = .aborted
            } else if decoder.brokenPackets > 0 || readError.message != nil {
                let cause = readError.message.map { "; \($0)" } ?? ""
                noFrames = .invalidRequest("no frame of the input could be decoded (\(decoder.brokenPackets) broken packets\(cause))")
            } else {
                // A header without frames (a y4m header line alone): a file without video plays as nothing.
                noFrames = .invalidRequest("the input holds no video frames (a header-only file?); nothing written")
            }
        }
        if let error = failure ?? noFrames {
            output.discard()
            throw error
        }
        try output.commit()
        var info = stat()
        let bytes = output.writesFile && stat(output.path, &info) == 0 ? Int64(info.st_size) : 0
        return Summary(frames: encodedFrames.value, elapsed: clock.now - start,
                       stoppedEarly: stop.isStopRequested, outputBytes: bytes,
                       corruptPackets: decoder.corruptPackets, brokenPackets: decoder.brokenPackets,
                       damagedFrames: decoder.damagedFrames, readError: readError.message)
    }

    /// Decode -> upscale luma -> chroma -> encode for one video stream, each on its own thread.
    private func spawnStages(of lane: VideoLane, packets: BoundedQueue<Packet>, muxing: BoundedQueue<MuxItem>, stages: StageGroup,
                             stop: StopSignal, encodedFrames: FrameCounter, progress: @escaping @Sendable (Int) -> Void) {
        let decoded = stages.queue(BoundedQueue<VideoFrame>(highWatermark: 4, lowWatermark: 2))
        let upscaled = stages.queue(BoundedQueue<FramePair>(highWatermark: 2, lowWatermark: 1))
        let finished = stages.queue(BoundedQueue<VideoFrame>(highWatermark: 4, lowWatermark: 2))
        let decoder = lane.decoder, workFormat = lane.workFormat, workColor = lane.workColor
        stages.spawn("decode") {
            defer { decoded.finish() }
            var normaliser = FrameNormaliser(format: workFormat, color: workColor)
            /// Hands on every frame the decoder has ready; false when the pipeline was cancelled.
            func drain() throws -> Bool {
                while case let .item(frame) = try decoder.receive() {
                    guard decoded.push(try normaliser.normalise(frame)) else { return false }
                }
                return true
            }
            while let packet = packets.pop() {
                // On a stop, packets queued but not yet decoded are dropped (releasing the demuxer, which may
                // be blocked on the full queue); frames already decoded still go through.
                if stop.isStopRequested {
                    packets.cancel()
                    break
                }
                while try decoder.send(packet) == .mustReceiveFirst {
                    guard try drain() else { return }
                }
                guard try drain() else { return }
            }
            guard !stages.hasFailed else { return }
            try decoder.sendEndOfStream()
            _ = try drain()
        }

        let upscaler = self.upscaler, initialLumaPlan = lane.lumaPlan, fields = lane.fields
        let width = lane.outputWidth, height = lane.outputHeight
        stages.spawn("upscale-luma") {
            defer { upscaled.finish() }
            let pool = try FramePool(format: workFormat, width: width, height: height)
            var lumaPlan = initialLumaPlan
            while let frame = decoded.pop() {
                let target = try pool.frame(propertiesOf: frame)
                fields.label(target)
                for (source, destination) in try fields.pairs(0, of: frame, into: target) {
                    // A stream whose size changes midway keeps its output size: the upscaler is planned again.
                    if source.view.size != lumaPlan.input {
                        lumaPlan = try upscaler.makePlan(input: source.view.size, output: lumaPlan.output, bitDepth: lumaPlan.bitDepth)
                    }
                    try lumaPlan.renderParallel(source.view, into: destination.mutableView)
                }
                guard upscaled.push(FramePair(source: frame, target: target)) else { return }
            }
        }

        let otherPlanes = lane.otherPlanes, postConversions = lane.postConversions
        let inputWidth = lane.inputWidth, inputHeight = lane.inputHeight
        let encoderFormat = lane.encoder.settings.pixelFormat
        stages.spawn("scale-chroma") {
            defer { finished.finish() }
            var planned = otherPlanes, (width0, height0) = (inputWidth, inputHeight)
            var methods = try planned.map(PlaneWork.init)
            var (format, color) = (workFormat, workColor)
            let converters = try postConversions.map { step throws(MediaError) in
                defer { (format, color) = (step.format, step.color) }
                return try FrameConverter(width: width, height: height, format: format, color: color,
                                          toWidth: width, height: height, format: step.format, color: step.color)
            }
            while let pair = upscaled.pop() {
                if pair.source.width != width0 || pair.source.height != height0 {
                    (width0, height0) = (pair.source.width, pair.source.height)
                    planned = try planned.enumerated().map { offset, method throws(PipelineError) in
                        try method.replanned(from: fields.sourceSize(offset + 1, of: pair.source), upscaler: upscaler)
                    }
                    methods = try planned.map(PlaneWork.init)
                }
                try PlaneWork.run(methods, from: pair.source, into: pair.target, fields: fields)
                var output = pair.target
                for converter in converters { output = try converter.convert(output) }
                if converters.isEmpty { output.format = encoderFormat }
                guard finished.push(output) else { return }
            }
        }

        let encoder = lane.encoder, videoOutputStream = lane.outputStream
        let encoderTimeBase = encoder.settings.timeBase, frameCounter = encodedFrames
        stages.spawn("encode") {
            defer { muxing.push(.end) }
            // Frame durations by pts, for encoders that leave packet durations empty (the last frame needs one).
            var durations: [Int64: Int64] = [:]
            func drain() throws -> Bool {
                while case let .item(packet) = try encoder.receive() {
                    if let pts = packet.pts, let duration = durations.removeValue(forKey: pts), packet.duration == 0 {
                        packet.duration = duration
                    }
                    guard muxing.push(.packet(packet, stream: videoOutputStream, timeBase: encoderTimeBase)) else { return false }
                }
                return true
            }
            while let frame = finished.pop() {
                if let pts = frame.pts, frame.duration > 0 { durations[pts] = frame.duration }
                while try encoder.send(frame) == .mustReceiveFirst {
                    guard try drain() else { return }
                }
                progress(frameCounter.increment())
                guard try drain() else { return }
            }
            guard !stages.hasFailed else { return }
            try encoder.sendEndOfStream()
            _ = try drain()
        }

    }
}

/// A decoded frame and the frame its upscaled planes go into, between the luma and chroma stages.
struct FramePair: Sendable {
    let source: VideoFrame
    let target: VideoFrame
}

enum MuxItem: Sendable {
    case packet(Packet, stream: Int, timeBase: Rational)
    /// One producer is done.
    case end
}

/// How the chroma stage brings one plane to the output size.
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

    /// Planes 1... of `source` into `target` (field by field as `fields` says): swscale planes side by side (one
    /// scaler each, its fields one after the other), upscaler planes each across all cores.
    static func run(_ work: [PlaneWork], from source: VideoFrame, into target: VideoFrame, fields: FieldSplit = .frame) throws(PipelineError) {
        var scaled: [(PlaneScaler, [(FramePlane, FramePlane)])] = []
        for (offset, method) in work.enumerated() {
            let pairs = try fields.pairs(offset + 1, of: source, into: target)
            switch method {
            case let .upscaler(plan):
                for (from, to) in pairs { plan.renderParallel(from.view, into: to.mutableView) }
            case let .swscale(scaler):
                scaled.append((scaler, pairs))
            }
        }
        let jobs = UncheckedSendable(scaled)
        DispatchQueue.concurrentPerform(iterations: scaled.count) { i in
            let (scaler, pairs) = jobs.value[i]
            for (from, to) in pairs { scaler.scale(from, into: to) }
        }
    }
}

/// Lets `concurrentPerform` workers read an array of scaler jobs; each worker touches only its own element, and
/// each element has its own scaler and destination plane.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Brings decoded frames to the work format, and gives every frame a usable, increasing timestamp.
struct FrameNormaliser: Sendable {
    let format: PixelFormat
    let color: ColorInfo
    private var converter: FrameConverter?
    private var converterInput: (format: PixelFormat, width: Int, height: Int)?
    private var lastPts: Int64?
    private var lastDuration: Int64 = 1

    init(format: PixelFormat, color: ColorInfo) {
        self.format = format
        self.color = color
    }

    mutating func normalise(_ frame: VideoFrame) throws(MediaError) -> VideoFrame {
        // Encoders need strictly increasing timestamps; only broken inputs make these fix-ups do anything.
        if let last = lastPts, frame.pts.map({ $0 <= last }) ?? true {
            frame.pts = last + max(1, lastDuration)
        } else if frame.pts == nil {
            frame.pts = 0
        }
        lastPts = frame.pts
        if frame.duration > 0 { lastDuration = frame.duration }

        if let plain = frame.format.withoutJPEGRange {
            frame.format = plain
            var color = frame.color
            color.isFullRange = true
            frame.color = color
        }
        // Only the layout is converted (RGB, semi-planar): a frame of another size keeps it, for the upscaler to re-plan.
        if frame.format == format { return frame }
        if converterInput.map({ $0.format != frame.format || $0.width != frame.width || $0.height != frame.height }) ?? true {
            converter = try FrameConverter(width: frame.width, height: frame.height, format: frame.format, color: frame.color,
                                           toWidth: frame.width, height: frame.height, format: format, color: color)
            converterInput = (frame.format, frame.width, frame.height)
        }
        return try converter!.convert(frame)
    }
}

extension VideoFrame {
    func framePlane(_ index: Int) throws(PipelineError) -> FramePlane {
        guard let plane = plane(index) else { throw .media(.unsupported("plane \(index) of a \(format) frame")) }
        return plane
    }

    func planeView(_ index: Int) throws(PipelineError) -> PlaneView { try framePlane(index).view }

    func mutablePlaneView(_ index: Int) throws(PipelineError) -> MutablePlaneView { try framePlane(index).mutableView }
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

/// Frames encoded so far, read by the summary after the threads are joined.
final class FrameCounter: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var count = 0
    func increment() -> Int { lock.withLock { count += 1; return count } }
    var value: Int { lock.withLock { count } }
}

/// Why the input stopped early, if it did, recorded by the reading stage (which then ends the input normally, so
/// that what was read still goes through); read after the threads are joined.
final class ReadFailure: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var recorded: PipelineError?
    func record(_ error: any Error) { lock.withLock { recorded = PipelineError(error) } }
    var error: PipelineError? { lock.withLock { recorded } }
    var message: String? { error?.description }
}

/// The stage threads of one run: starts them, records the first failure, cancels every queue on failure so that
/// blocked stages return, and joins them.
final class StageGroup: @unchecked Sendable {
    // `failure` and `cancellers` are guarded by `lock`; `group` is thread-safe.
    private let lock = NSLock()
    private var failure: PipelineError?
    private var cancellers: [@Sendable () -> Void] = []
    private let group = DispatchGroup()

    /// Registers a queue for cancellation on failure.
    func queue<Element>(_ queue: BoundedQueue<Element>) -> BoundedQueue<Element> {
        lock.withLock { cancellers.append { queue.cancel() } }
        return queue
    }

    var hasFailed: Bool { lock.withLock { failure != nil } }

    func fail(_ error: PipelineError) {
        let cancel = lock.withLock {
            if failure == nil { failure = error }
            return cancellers
        }
        for c in cancel { c() }
    }

    func spawn(_ name: String, _ body: @escaping @Sendable () throws -> Void) {
        group.enter()
        let thread = Thread { [self] in
            defer { group.leave() }
            do {
                try body()
            } catch {
                fail(PipelineError(error))
            }
        }
        thread.name = "lutscale-\(name)"
        thread.start()
    }

    /// Waits for every stage; the first failure, if any.
    func wait() -> PipelineError? {
        group.wait()
        return lock.withLock { failure }
    }
}

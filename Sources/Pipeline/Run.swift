import Foundation
import LUTEngine
import Media
import VideoCore

/// How far a running job is; handed to the progress callback after every encoded frame.
public struct JobProgress: Sendable {
    public let frames: Int
    /// Frames expected in all, when the input says.
    public let totalFrames: Int?
    public let elapsed: Duration
    /// Frames an earlier, interrupted run had done (a resumed job): rates and ETA count the frames after them.
    public var resumedFrames: Int = 0
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
    /// Preview only: frames of the main stream skipped because the upscaler was behind the source clock.
    public var framesDropped = 0
    /// The reader of the output pipe went away before the input ended (the job stopped there, not failed).
    public var consumerClosed = false
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
    /// Runs the stages (source -> per video stream: decode -> upscale -> convert -> encode -> mux sink), each on its
    /// own thread joined by bounded queues, and gives the output its final name.
    ///
    /// On any error, or an abort, the temporary file is removed and nothing appears under the output name.
    /// `progress` is called on the encoding thread.
    public func run(stop: StopSignal = StopSignal(), progress: @escaping @Sendable (JobProgress) -> Void = { _ in }) throws(PipelineError) -> Summary {
        precondition(!started, "an UpscaleJob runs once")
        started = true
        var segment: Segment?
        switch segmentWork {
        case let .join(pieces)?: return try runJoin(pieces, stop: stop, progress: progress)
        case let .piece(piece)?:
            segment = piece
            try PipelineError.wrap { try demuxer.seek(stream: lanes[0].inputStream, toKeyframeAtOrBefore: piece.startPts) }
        case nil: break
        }
        let clock = ContinuousClock()
        let start = clock.now
        let job = JobBuilder(stop: stop)
        let muxing: BoundedQueue<MuxItem> = job.queue(.muxing)
        let encodedFrames = FrameCounter()
        let readError = ReadFailure()
        let total = segment?.count ?? lanes[0].estimatedFrameCount
        // Preview paces the main stream by its timestamps; its other streams keep up through the muxer's interleaving.
        let dropped = FrameCounter()
        let main = lanes[0].encoder.settings
        let pacing = preview ? PreviewPacing(schedule: PreviewSchedule(frameRate: main.frameRate), dropped: dropped, timeBase: main.timeBase) : nil
        var decoders: [Int: BoundedQueue<Packet>] = [:]
        for (number, lane) in lanes.enumerated() {
            let packets: BoundedQueue<Packet> = job.queue(.packets)
            decoders[lane.inputStream] = packets
            let decoded: BoundedQueue<VideoFrame> = job.queue(.frames)
            let upscaled: BoundedQueue<VideoFrame> = job.queue(.frames)
            let converted: BoundedQueue<VideoFrame> = job.queue(.frames)
            job.add(DecodeStage(decoder: lane.decoder, packets: packets, frames: decoded, format: lane.workFormat, color: lane.workColor))
            var toUpscale = decoded
            if let segment, number == 0 {
                toUpscale = job.queue(.frames)
                job.add(TrimStage(segment: segment, input: decoded, output: toUpscale, packets: packets))
            }
            var renderer = try FrameRenderer(upscaler: upscaler, plans: lane.plans, fields: lane.fields)
            if number == 0, let ladder { renderer = try renderer.with(upscaler: ladder.chosen) }
            job.add(UpscaleStage(renderer: renderer, format: lane.workFormat,
                                 output: PlaneSize(width: lane.outputWidth, height: lane.outputHeight),
                                 input: toUpscale, upscaled: upscaled, pacing: number == 0 ? pacing : nil, ladder: number == 0 ? ladder : nil))
            job.add(ConvertStage(steps: lane.postConversions, format: lane.workFormat, color: lane.workColor,
                                 size: PlaneSize(width: lane.outputWidth, height: lane.outputHeight), encoderFormat: lane.encoder.settings.pixelFormat,
                                 input: upscaled, converted: converted))
            // Progress and the frame count follow the main stream.
            let report: @Sendable (Int) -> Void = { frames in
                if number == 0 { progress(JobProgress(frames: frames, totalFrames: total, elapsed: clock.now - start)) }
            }
            job.add(EncodeStage(encoder: lane.encoder, frames: converted, muxing: muxing, stream: lane.outputStream,
                                count: number == 0 ? encodedFrames : FrameCounter(), progress: report, pacing: number == 0 ? pacing : nil))
        }
        job.add(DemuxSource(demuxer: demuxer, decoders: decoders, copied: copiedStreams, muxing: muxing, readError: readError))
        // Producers: the source (copied streams) and each stream's encoder.
        let closed = Flag()
        job.add(MuxSink(muxer: muxer, packets: muxing, producers: 1 + lanes.count, closed: output.isStream ? closed : nil))

        // A stop before the first frame leaves nothing worth keeping (a file without video does not play), and
        // damage that left no frame at all is an error, not an empty file. Damage is counted on the main stream.
        let failure = job.wait()
        let decoder = lanes[0].decoder
        var noFrames: PipelineError?
        if encodedFrames.value == 0 && !closed.value {
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
        let bytes = try output.commit()
        return Summary(frames: encodedFrames.value, elapsed: clock.now - start,
                       stoppedEarly: stop.isStopRequested, outputBytes: bytes,
                       corruptPackets: decoder.corruptPackets, brokenPackets: decoder.brokenPackets,
                       damagedFrames: decoder.damagedFrames, readError: readError.message, framesDropped: dropped.value,
                       consumerClosed: closed.value)
    }
}

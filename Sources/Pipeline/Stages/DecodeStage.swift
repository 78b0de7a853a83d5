import Media

/// Packets of one stream -> frames in the work format with usable, increasing timestamps.
struct DecodeStage: Stage {
    let decoder: VideoDecoder
    let packets: BoundedQueue<Packet>
    let frames: BoundedQueue<VideoFrame>
    let format: PixelFormat
    let color: ColorInfo
    /// A frame pipe's source: frames carry their number in pts (the preview schedule counts frames), counted here.
    var numbering: FrameCounter? = nil
    var name: String { "decode" }

    func run(in job: JobBuilder) throws {
        defer { frames.finish() }
        var normaliser = FrameNormaliser(format: format, color: color)
        /// Hands on every frame the decoder has ready; false when the job was cancelled.
        func drain() throws -> Bool {
            while case let .item(decoded) = try decoder.receive() {
                let frame = try normaliser.normalise(decoded)
                if let numbering { frame.pts = Int64(numbering.increment() - 1) }
                guard frames.push(frame) else { return false }
            }
            return true
        }
        while let packet = packets.pop() {
            // On a stop, packets queued but not yet decoded are dropped (releasing the source, which may be blocked
            // on the full queue); frames already decoded still go through.
            if job.stop.isStopRequested {
                packets.cancel()
                break
            }
            while try decoder.send(packet) == .mustReceiveFirst {
                guard try drain() else { return }
            }
            guard try drain() else { return }
        }
        guard !job.hasFailed else { return }
        try decoder.sendEndOfStream()
        _ = try drain()
    }
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

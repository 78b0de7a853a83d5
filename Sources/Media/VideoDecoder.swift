import CFFmpeg

/// Decodes one video stream of a `Demuxer`'s file; owns its codec context.
///
/// Not thread-safe; `@unchecked Sendable` so the decode stage can take it over whole (see `Packet`).
public final class VideoDecoder: @unchecked Sendable {
    private let codec: CodecContext
    public let streamIndex: Int
    /// Packets the decoder rejected and frames it could not return: skipped, as the ffmpeg CLI does, so a damaged
    /// file still yields the frames that decode.
    public private(set) var brokenPackets = 0
    /// Packets the demuxer flagged as damaged; the decoder still gets them (as in the ffmpeg CLI).
    public private(set) var corruptPackets = 0
    /// Frames returned with concealed errors (FFmpeg's corrupt flag or decode error flags).
    public private(set) var damagedFrames = 0

    public init(demuxer: Demuxer, streamIndex: Int) throws(MediaError) {
        let stream = demuxer.stream(streamIndex)
        let parameters = stream.pointee.codecpar!
        guard let decoder = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw .unsupported("no decoder for \(String(cString: avcodec_get_name(parameters.pointee.codec_id))) in \(demuxer.path)")
        }
        codec = try CodecContext(codec: decoder)
        self.streamIndex = streamIndex
        try MediaError.check(avcodec_parameters_to_context(codec.pointer, parameters), "configuring the decoder")
        codec.pointer.pointee.pkt_timebase = stream.pointee.time_base
        codec.pointer.pointee.thread_count = 0
        try MediaError.check(avcodec_open2(codec.pointer, decoder, nil), "opening the \(String(cString: decoder.pointee.name)) decoder")
    }

    public func send(_ packet: Packet) throws(MediaError) -> SendResult {
        let code = avcodec_send_packet(codec.pointer, packet.pointer)
        if code == lutscale_averror_eagain() { return .mustReceiveFirst }
        if packet.isCorrupt { corruptPackets += 1 }
        if Self.isDamage(code) {
            brokenPackets += 1
            return .accepted
        }
        try MediaError.check(code, "decoding a packet")
        return .accepted
    }

    /// No more packets: the decoder then hands out the frames it still holds, then `.endOfStream`.
    public func sendEndOfStream() throws(MediaError) {
        let code = avcodec_send_packet(codec.pointer, nil)
        if code == lutscale_averror_eof() { return }
        try MediaError.check(code, "flushing the decoder")
    }

    /// The next decoded frame; its `pts` is FFmpeg's best-effort timestamp in the stream's time base.
    public func receive() throws(MediaError) -> ReceiveResult<VideoFrame> {
        let frame = try VideoFrame()
        var code = avcodec_receive_frame(codec.pointer, frame.pointer)
        // A failed frame does not stop the ones behind it (frame threads hold several): ask again, boundedly.
        var retries = 0
        while Self.isDamage(code), retries < 64 {
            brokenPackets += 1
            retries += 1
            code = avcodec_receive_frame(codec.pointer, frame.pointer)
        }
        if code == lutscale_averror_eagain() { return .needsInput }
        if code == lutscale_averror_eof() { return .endOfStream }
        try MediaError.check(code, "decoding a frame")
        if frame.pointer.pointee.flags & AV_FRAME_FLAG_CORRUPT != 0 || frame.pointer.pointee.decode_error_flags != 0 {
            damagedFrames += 1
        }
        frame.pointer.pointee.pts = frame.pointer.pointee.best_effort_timestamp
        return .item(frame)
    }

    /// Errors that mean damaged input rather than a failing decoder: everything but running out of memory.
    private static func isDamage(_ code: Int32) -> Bool {
        code < 0 && code != lutscale_averror_eagain() && code != lutscale_averror_eof()
            && code != lutscale_averror_enomem()
    }
}

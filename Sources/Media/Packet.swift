import CFFmpeg

/// One compressed packet; owns its AVPacket and frees it in deinit.
///
/// Not thread-safe. It is `@unchecked Sendable` so that whole ownership can pass from one pipeline stage to the
/// next through a queue: the sender never touches it again, so only one thread ever uses the AVPacket at a time.
public final class Packet: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() throws(MediaError) {
        guard let packet = av_packet_alloc() else { throw .outOfMemory("packet") }
        pointer = packet
    }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&packet)
    }

    /// Index of the stream this packet belongs to in the file it came from (or goes to).
    public var streamIndex: Int { Int(pointer.pointee.stream_index) }
    /// Presentation timestamp in its stream's time base; nil when the packet has none.
    public var pts: Int64? {
        pointer.pointee.pts == lutscale_nopts_value() ? nil : pointer.pointee.pts
    }
    /// The demuxer found this packet damaged (e.g. an MPEG-TS continuity error); it is decoded all the same.
    public var isCorrupt: Bool { pointer.pointee.flags & AV_PKT_FLAG_CORRUPT != 0 }
    public var duration: Int64 {
        get { pointer.pointee.duration }
        set { pointer.pointee.duration = newValue }
    }
}

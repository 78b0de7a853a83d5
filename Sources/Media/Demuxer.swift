import CFFmpeg
import VideoCore
#if canImport(Glibc)
import Glibc
#endif

/// What a stream carries.
public enum StreamKind: Sendable, Equatable {
    case video, audio, subtitle, data, attachment, other
}

/// Facts about one stream of an input file.
public struct StreamInfo: Sendable {
    public let index: Int
    public let kind: StreamKind
    public let codecName: String
    public let timeBase: Rational
    /// A cover image stored as a video stream with one packet (mp3, m4a): not video to upscale.
    public let isAttachedPicture: Bool
    public let width: Int
    public let height: Int
    /// The decoder's output format as probed (video only).
    public let pixelFormat: PixelFormat?
    public let color: ColorInfo
    public let sampleAspectRatio: Rational
    public let averageFrameRate: Rational
    /// The container's frame count, or duration x frame rate when it has none; nil when neither is known.
    public let estimatedFrameCount: Int?
}

/// Reads packets from a media file; owns the AVFormatContext.
///
/// Not thread-safe; `@unchecked Sendable` so the demux stage can take it over whole (see `Packet`).
public final class Demuxer: @unchecked Sendable {
    let context: UnsafeMutablePointer<AVFormatContext>
    public let path: String
    public let streams: [StreamInfo]

    public enum ReadResult {
        case packet(Packet)
        case endOfFile
    }

    public init(path: String) throws(MediaError) {
        var context: UnsafeMutablePointer<AVFormatContext>?
        let opened = avformat_open_input(&context, path, nil, nil)
        // FFmpeg's words for an empty file vary by the format its name suggests ("Invalid argument" for .y4m).
        var info = stat()
        if opened < 0, stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size == 0 { throw .emptyFile(path) }
        try MediaError.check(opened, "opening \(path)")
        guard let context else { throw .outOfMemory("format context") }
        self.context = context
        self.path = path
        do {
            try MediaError.check(avformat_find_stream_info(context, nil), "reading stream information of \(path)")
        } catch {
            var owned: UnsafeMutablePointer<AVFormatContext>? = context
            avformat_close_input(&owned)
            throw error
        }
        let formatDuration = context.pointee.duration
        streams = (0..<Int(context.pointee.nb_streams)).map { i in
            Self.describe(context.pointee.streams[i]!, formatDuration: formatDuration)
        }
    }

    deinit {
        var owned: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&owned)
    }

    /// The main video stream: FFmpeg's pick, skipping cover pictures.
    public func bestVideoStream() throws(MediaError) -> Int {
        let index = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        guard index >= 0, !streams[Int(index)].isAttachedPicture else { throw .noVideoStream(path: path) }
        return Int(index)
    }

    /// Stops reading packets of all streams not in `wanted` (the demuxer skips them cheaply).
    public func discardStreams(except wanted: Set<Int>) {
        for i in 0..<Int(context.pointee.nb_streams) where !wanted.contains(i) {
            context.pointee.streams[i]!.pointee.discard = AVDISCARD_ALL
        }
    }

    /// The next packet of a wanted stream, or the end of the file.
    public func read() throws(MediaError) -> ReadResult {
        let packet = try Packet()
        while true {
            let code = av_read_frame(context, packet.pointer)
            if code == lutscale_averror_eof() { return .endOfFile }
            if code == lutscale_averror_eagain() { continue }
            try MediaError.check(code, "reading \(path)")
            return .packet(packet)
        }
    }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> { context.pointee.streams[index]! }

    private static func describe(_ stream: UnsafeMutablePointer<AVStream>, formatDuration: Int64) -> StreamInfo {
        let parameters = stream.pointee.codecpar!
        let p = parameters.pointee
        let kind: StreamKind = switch p.codec_type {
        case AVMEDIA_TYPE_VIDEO: .video
        case AVMEDIA_TYPE_AUDIO: .audio
        case AVMEDIA_TYPE_SUBTITLE: .subtitle
        case AVMEDIA_TYPE_DATA: .data
        case AVMEDIA_TYPE_ATTACHMENT: .attachment
        default: .other
        }
        let timeBase = Rational(stream.pointee.time_base)
        let frameRate = Rational(stream.pointee.avg_frame_rate)
        var frameCount: Int? = stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil
        if frameCount == nil, kind == .video, frameRate.isValid {
            let seconds: Double? = if stream.pointee.duration != lutscale_nopts_value(), stream.pointee.duration > 0 {
                Double(stream.pointee.duration) * timeBase.doubleValue
            } else if formatDuration != lutscale_nopts_value(), formatDuration > 0 {
                Double(formatDuration) / Double(AV_TIME_BASE)
            } else {
                nil
            }
            // A damaged header can claim any duration: an estimate past 2^53 frames means nothing and would trap.
            if let seconds, case let frames = (seconds * frameRate.doubleValue).rounded(), frames < 0x1p53 {
                frameCount = max(1, Int(frames))
            }
        }
        let format = p.codec_type == AVMEDIA_TYPE_VIDEO ? PixelFormat(rawValue: p.format) : nil
        return StreamInfo(
            index: Int(stream.pointee.index),
            kind: kind,
            codecName: String(cString: avcodec_get_name(p.codec_id)),
            timeBase: timeBase,
            isAttachedPicture: stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0,
            width: Int(p.width),
            height: Int(p.height),
            pixelFormat: format,
            color: ColorInfo(parameters),
            sampleAspectRatio: Rational(p.sample_aspect_ratio),
            averageFrameRate: frameRate,
            estimatedFrameCount: frameCount
        )
    }
}

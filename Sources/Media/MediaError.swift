import CFFmpeg

/// What went wrong in the media layer, with FFmpeg's own words where it gave any.
public enum MediaError: Error, CustomStringConvertible, Sendable {
    /// An FFmpeg call failed: what we were doing, FFmpeg's code and its message.
    case ffmpeg(operation: String, code: Int32, message: String)
    case noVideoStream(path: String)
    case emptyFile(String)
    case unsupported(String)
    case outOfMemory(String)
    case unknownCodec(String)
    case unknownContainer(String)

    public var description: String {
        switch self {
        case let .ffmpeg(operation, _, message): "\(operation): \(message)"
        case let .noVideoStream(path): "\(path): no video stream"
        case let .emptyFile(path): "\(path) is empty (0 bytes)"
        case let .unsupported(what): "unsupported: \(what)"
        case let .outOfMemory(what): "out of memory allocating a \(what)"
        case let .unknownCodec(name): "unknown encoder '\(name)' (`ffmpeg -encoders` lists them)"
        case let .unknownContainer(name): "cannot tell the output container from '\(name)': use an extension such as .mp4, .mkv, .mov, .webm or .png"
        }
    }

    /// FFmpeg's text for an error code (what av_err2str gives in C).
    public static func message(for code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(AV_ERROR_MAX_STRING_SIZE))
        return buffer.withUnsafeMutableBufferPointer { String(cString: lutscale_err2str(code, $0.baseAddress, $0.count)) }
    }

    static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(MediaError) {
        if code < 0 { throw .ffmpeg(operation: operation(), code: code, message: message(for: code)) }
    }
}

/// How much FFmpeg's own log says on stderr.
public enum MediaLog {
    /// Errors only (the default for a tool that prints its own messages), or nothing at all when `quiet`.
    public static func configure(quiet: Bool) {
        av_log_set_level(quiet ? AV_LOG_QUIET : AV_LOG_ERROR)
    }
}

import CFFmpeg
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// The reader of a pipe we write went away (EPIPE): for a stream output, the end of the job rather than a failure.
    public var isClosedPipe: Bool {
        if case let .ffmpeg(_, code, _) = self { return code == -EPIPE }
        return false
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

/// How much is said on stderr, in the FFmpeg CLI's levels (`-loglevel`), quietest first.
public enum LogLevel: String, Sendable, CaseIterable, Comparable {
    case quiet, error, warning, info, verbose, debug

    public static func < (a: LogLevel, b: LogLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// How much FFmpeg's libraries, and the encoder libraries that log on their own (x265), say on stderr.
public enum MediaLog {
    /// The libraries speak of errors only up to `info` (lutscale's own default: its progress and notes are enough),
    /// and everything they say at `verbose` and `debug`.
    public static func configure(_ level: LogLevel) {
        let libraries: Int32 = switch level {
        case .quiet: AV_LOG_QUIET
        case .error, .info: AV_LOG_ERROR
        case .warning: AV_LOG_WARNING
        case .verbose: AV_LOG_INFO
        case .debug: AV_LOG_DEBUG
        }
        av_log_set_level(libraries)
    }

    /// x265's own `log-level` for the libraries' current level: libx265 prints to stderr itself, past av_log.
    static var x265Level: String {
        switch av_log_get_level() {
        case ..<AV_LOG_ERROR: "none"
        case ..<AV_LOG_WARNING: "error"
        case ..<AV_LOG_INFO: "warning"
        case ..<AV_LOG_DEBUG: "info"
        default: "debug"
        }
    }
}

/// Everything that can go wrong reading or writing y4m and rawvideo streams.
///
/// Frame numbers are 0-based; byte offsets count from the first byte of the stream.
public enum RawVideoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended before the first byte of a y4m header.
    case emptyInput
    /// The stream does not start with `YUV4MPEG2`; `found` is the start of the line, escaped.
    case badMagic(found: String)
    /// No newline within the first `limit` bytes of the stream header.
    case headerTooLong(limit: Int)
    /// The input ended inside the stream header.
    case truncatedHeader(byteCount: Int)
    /// A required header tag (`W` or `H`) is absent.
    case missingTag(String)
    /// A header tag whose value cannot be parsed.
    case badTag(tag: String, value: String, reason: String)
    /// A `C` tag (or `XYSCSS`) that names no supported layout.
    case unsupportedColorspace(String)
    /// A pixel format name (FFmpeg spelling) that this module does not read or write.
    case unknownPixelFormat(String)
    /// The pixel format has no y4m `C` tag (FFmpeg's muxer refuses it too).
    case notRepresentableInY4M(pixelFormat: String)
    /// Width or height zero or above the limit; refused before anything is allocated.
    case badDimensions(width: Int, height: Int, limit: Int)
    /// Something other than `FRAME` where a frame header should start.
    case badFrameMarker(frame: Int, offset: Int, found: String)
    /// No newline within `limit` bytes after `FRAME`.
    case frameHeaderTooLong(frame: Int, offset: Int, limit: Int)
    /// The input ended inside a frame header.
    case truncatedFrameHeader(frame: Int, offset: Int)
    /// The input ended inside a frame's samples; `offset` is where the frame (its header, for y4m) started.
    case truncatedFrame(frame: Int, offset: Int, expectedBytes: Int, missingBytes: Int)
    /// The caller's plane views do not match the stream's layout.
    case planeMismatch(String)
    /// A header value that cannot be written (an `X` tag with a space, a ratio out of range...).
    case invalidHeader(String)
    /// `read(2)` failed with this errno (EINTR is retried, never reported).
    case readFailed(errno: Int32)
    /// `write(2)` failed with this errno (EINTR is retried; EPIPE is `consumerClosed`).
    case writeFailed(errno: Int32)
    /// The reading end of the output pipe was closed (EPIPE). Not a failure of ours: the caller should stop
    /// producing frames and exit cleanly. Only reported when the process ignores SIGPIPE.
    case consumerClosed

    public var description: String {
        switch self {
        case .emptyInput:
            return "input is empty: expected a YUV4MPEG2 header"
        case let .badMagic(found):
            return "not a YUV4MPEG2 stream: it starts with \"\(found)\""
        case let .headerTooLong(limit):
            return "YUV4MPEG2 header has no newline within its first \(limit) bytes"
        case let .truncatedHeader(byteCount):
            return "input ended inside the YUV4MPEG2 header after \(byteCount) bytes"
        case let .missingTag(tag):
            return "YUV4MPEG2 header has no \(tag) tag"
        case let .badTag(tag, value, reason):
            return "YUV4MPEG2 header tag \(tag)\"\(value)\": \(reason)"
        case let .unsupportedColorspace(value):
            return "unsupported YUV4MPEG2 colorspace \"\(value)\""
        case let .unknownPixelFormat(name):
            return "unsupported pixel format \"\(name)\" (supported: \(RawPixelFormat.all.map(\.ffmpegName).joined(separator: ", ")))"
        case let .notRepresentableInY4M(pixelFormat):
            return "pixel format \(pixelFormat) has no YUV4MPEG2 colorspace tag"
        case let .badDimensions(width, height, limit):
            return "frame size \(width)x\(height) refused: width and height must be 1...\(limit)"
        case let .badFrameMarker(frame, offset, found):
            return "expected FRAME for frame \(frame) at byte \(offset), found \"\(found)\""
        case let .frameHeaderTooLong(frame, offset, limit):
            return "frame \(frame) header at byte \(offset) has no newline within \(limit) bytes"
        case let .truncatedFrameHeader(frame, offset):
            return "input ended inside the header of frame \(frame) at byte \(offset)"
        case let .truncatedFrame(frame, offset, expectedBytes, missingBytes):
            return "frame \(frame) starting at byte \(offset) is truncated: \(missingBytes) of its \(expectedBytes) sample bytes are missing"
        case let .planeMismatch(detail):
            return "plane buffers do not match the stream: \(detail)"
        case let .invalidHeader(detail):
            return "cannot write YUV4MPEG2 header: \(detail)"
        case let .readFailed(code):
            return "read failed: \(errnoText(code))"
        case let .writeFailed(code):
            return "write failed: \(errnoText(code))"
        case .consumerClosed:
            return "the consumer closed the output pipe"
        }
    }
}

/// Bytes as text for error messages: printable ASCII kept, everything else as `\xNN`, at most `limit` bytes.
func escapedForMessage<C: Collection<UInt8>>(_ bytes: C, limit: Int = 24) -> String {
    var text = ""
    for byte in bytes.prefix(limit) {
        if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "\"") {
            text.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            let hex = String(byte, radix: 16, uppercase: true)
            text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    if bytes.count > limit { text += "..." }
    return text
}

import VideoCore

/// The `I` tag.
public enum Y4MInterlacing: UInt8, Hashable, Sendable {
    case progressive = 0x70       // p
    case topFieldFirst = 0x74     // t
    case bottomFieldFirst = 0x62  // b
    case mixed = 0x6D             // m: per-frame, given in each FRAME header
}

/// Where 4:2:0 chroma samples sit, as the 8-bit 4:2:0 `C` tags say.
public enum Y4MChromaSiting: String, Hashable, Sendable {
    case center = "420jpeg"
    case left = "420mpeg2"
    case topLeft = "420paldv"
}

/// `XCOLORRANGE=FULL|LIMITED`, as FFmpeg writes and reads it.
public enum Y4MColorRange: String, Hashable, Sendable {
    case full = "FULL"
    case limited = "LIMITED"
}

/// A YUV4MPEG2 stream header.
///
/// Parsing follows FFmpeg 5.1's demuxer where it is lenient on purpose (tags in any order, repeated tags: last
/// wins, unknown tag letters ignored, a missing `C` means 4:2:0 `420jpeg`, `XYSCSS` used when `C` is absent) and
/// is strict where FFmpeg silently guesses (a malformed `W`, `H`, `F`, `I` or `C` is an error, not a default).
/// Serializing writes what FFmpeg's muxer writes: `W H F I A C XYSCSS XCOLORRANGE`, then the other `X` tags.
public struct Y4MHeader: Hashable, Sendable {
    /// Longest header line accepted, newline included (FFmpeg accepts 96; `X` tags may need more).
    public static let maxLength = 4096

    public var format: RawVideoFormat
    /// `nil`: `F` absent or `F0:0` (unknown). FFmpeg assumes 25:1 then.
    public var frameRate: Rational?
    /// `nil`: `I` absent or `I?`.
    public var interlacing: Y4MInterlacing?
    /// `nil`: `A` absent or a zero term (`A0:0`, unknown).
    public var pixelAspect: Rational?
    /// Only meaningful for 8-bit 4:2:0; `nil` when the stream did not say (no `C` tag).
    public var chromaSiting: Y4MChromaSiting?
    public var colorRange: Y4MColorRange?
    /// Other `X` tags, without their `X`, in stream order (`XYSCSS` and `XCOLORRANGE` are typed fields instead).
    public var extensions: [String]

    public init(format: RawVideoFormat, frameRate: Rational? = nil, interlacing: Y4MInterlacing? = nil,
                pixelAspect: Rational? = nil, chromaSiting: Y4MChromaSiting? = nil,
                colorRange: Y4MColorRange? = nil, extensions: [String] = []) {
        self.format = format
        self.frameRate = frameRate
        self.interlacing = interlacing
        self.pixelAspect = pixelAspect
        self.chromaSiting = chromaSiting
        self.colorRange = colorRange
        self.extensions = extensions
    }

    /// Parses a header line without its newline.
    public static func parse<Bytes: Collection<UInt8>>(
        line: Bytes, maxDimension: Int = RawVideoFormat.defaultMaxDimension
    ) throws(RawVideoError) -> Y4MHeader {
        let tokens = line.split(separator: 0x20, omittingEmptySubsequences: true)
        guard let magic = tokens.first, magic.elementsEqual("YUV4MPEG2".utf8) else {
            throw .badMagic(found: escapedForMessage(line))
        }
        var width: Int?
        var height: Int?
        var frameRate: Rational?
        var interlacing: Y4MInterlacing?
        var pixelAspect: Rational?
        var colorspace: (format: RawPixelFormat, siting: Y4MChromaSiting?)?
        var yscss: (format: RawPixelFormat, siting: Y4MChromaSiting?)?
        var colorRange: Y4MColorRange?
        var extensions: [String] = []

        for token in tokens.dropFirst() {
            let tag = token.first!
            let value = token.dropFirst()
            let text = String(decoding: value, as: UTF8.self)
            func bad(_ reason: String) -> RawVideoError {
                .badTag(tag: String(UnicodeScalar(tag)), value: escapedForMessage(value, limit: 40), reason: reason)
            }
            switch tag {
            case UInt8(ascii: "W"), UInt8(ascii: "H"):
                // Saturates instead of overflowing; anything over the limit is refused below.
                guard let number = parseDecimal(value), number > 0 else { throw bad("expected a positive integer") }
                // Refused here, where the digits as written can be quoted (the number saturated at 2^40).
                guard number <= maxDimension else { throw bad("over the limit of \(maxDimension)") }
                if tag == UInt8(ascii: "W") { width = number } else { height = number }
            case UInt8(ascii: "F"):
                guard let ratio = parseRatio(value) else { throw bad("expected numerator:denominator") }
                switch (ratio.numerator, ratio.denominator) {
                case (0, 0): frameRate = nil
                case (0, _), (_, 0): throw bad("a frame rate needs both terms positive (F0:0 means unknown)")
                default: frameRate = ratio
                }
            case UInt8(ascii: "I"):
                guard value.count == 1 else { throw bad("expected one of p t b m ?") }
                if value.first == UInt8(ascii: "?") {
                    interlacing = nil
                } else if let mode = Y4MInterlacing(rawValue: value.first!) {
                    interlacing = mode
                } else {
                    throw bad("expected one of p t b m ?")
                }
            case UInt8(ascii: "A"):
                guard let ratio = parseRatio(value) else { throw bad("expected numerator:denominator") }
                pixelAspect = ratio.numerator == 0 || ratio.denominator == 0 ? nil : ratio
            case UInt8(ascii: "C"):
                guard let parsed = RawPixelFormat.fromY4MColorspace(text) else {
                    throw .unsupportedColorspace(escapedForMessage(value, limit: 40))
                }
                colorspace = parsed
            case UInt8(ascii: "X"):
                if text.hasPrefix("YSCSS=") {
                    // An unknown XYSCSS is ignored, as FFmpeg does: C is the authoritative tag.
                    yscss = RawPixelFormat.fromXYSCSS(String(text.dropFirst(6))) ?? yscss
                } else if text == "COLORRANGE=FULL" {
                    colorRange = .full
                } else if text == "COLORRANGE=LIMITED" {
                    colorRange = .limited
                } else if !value.isEmpty, let tag = String(validating: value, as: UTF8.self) {
                    // Kept only when valid UTF-8, so that writing it back gives the same bytes; others are ignored.
                    extensions.append(tag)
                }
            default:
                continue  // Unknown tags are ignored, as FFmpeg does.
            }
        }
        guard let width else { throw .missingTag("W") }
        guard let height else { throw .missingTag("H") }
        let chosen = colorspace ?? yscss
        let format = try RawVideoFormat(width: width, height: height, pixelFormat: chosen?.format ?? .yuv420p,
                                        maxDimension: maxDimension)
        return Y4MHeader(format: format, frameRate: frameRate, interlacing: interlacing, pixelAspect: pixelAspect,
                         chromaSiting: chosen?.siting, colorRange: colorRange, extensions: extensions)
    }

    /// The header line, newline included. Throws for a format without a `C` tag, a ratio with a term that is not
    /// positive, an `X` tag that is empty or holds a space or newline (it would split the tag), or a
    /// line longer than `maxLength` (no reader of ours would take it back).
    public func serialized() throws(RawVideoError) -> [UInt8] {
        guard let tag = format.pixelFormat.y4mColorspace else {
            throw .notRepresentableInY4M(pixelFormat: format.pixelFormat.ffmpegName)
        }
        let colorspace = format.pixelFormat == .yuv420p ? (chromaSiting ?? .center).rawValue : tag
        for ratio in [frameRate, pixelAspect].compactMap({ $0 }) {
            guard ratio.isValid else { throw .invalidHeader("ratio \(ratio.y4m) must have both terms positive") }
        }
        for ext in extensions {
            guard !ext.isEmpty, !ext.utf8.contains(where: { $0 == 0x20 || $0 == 0x0A }) else {
                throw .invalidHeader("X tag \"\(ext)\" must be non-empty without spaces or newlines")
            }
        }
        var line = "YUV4MPEG2 W\(format.width) H\(format.height) F\(frameRate?.y4m ?? "0:0")"
        line += " I" + (interlacing.map { String(UnicodeScalar($0.rawValue)) } ?? "?")
        line += " A\(pixelAspect?.y4m ?? "0:0") C\(colorspace)"
        if format.pixelFormat.chroma != .gray { line += " XYSCSS=" + colorspace.uppercased() }
        if let colorRange { line += " XCOLORRANGE=" + colorRange.rawValue }
        for ext in extensions { line += " X" + ext }
        line += "\n"
        guard line.utf8.count <= Y4MHeader.maxLength else {
            throw .invalidHeader("the header line is \(line.utf8.count) bytes, over the \(Y4MHeader.maxLength)-byte limit")
        }
        return Array(line.utf8)
    }
}

/// Digits only, saturating at 2^40 so a long number cannot overflow (every limit is far below).
func parseDecimal<Bytes: Collection<UInt8>>(_ digits: Bytes) -> Int? {
    guard !digits.isEmpty else { return nil }
    var value = 0
    for byte in digits {
        guard byte >= 0x30 && byte <= 0x39 else { return nil }
        value = min(value * 10 + Int(byte - 0x30), 1 << 40)
    }
    return value
}

/// `n:d` with both terms in 0...Int32.max (FFmpeg's fields are 32-bit).
func parseRatio<Bytes: Collection<UInt8>>(_ text: Bytes) -> Rational? {
    let parts = text.split(separator: UInt8(ascii: ":"), maxSplits: 1, omittingEmptySubsequences: false)
    guard parts.count == 2, let n = parseDecimal(parts[0]), let d = parseDecimal(parts[1]),
          n <= Int(Int32.max), d <= Int(Int32.max) else { return nil }
    return Rational(Int32(n), Int32(d))
}

extension Rational {
    /// `n:d`, as the `F` and `A` tags write a ratio.
    var y4m: String { "\(numerator):\(denominator)" }
}

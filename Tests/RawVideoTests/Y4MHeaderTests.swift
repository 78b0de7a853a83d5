import Testing
import VideoCore
@testable import RawVideo

@Suite struct Y4MHeaderTests {
    private func parse(_ line: String) throws -> Y4MHeader {
        try Y4MHeader.parse(line: Array(line.utf8))
    }

    private func parseError(_ line: String) -> RawVideoError? {
        do {
            _ = try Y4MHeader.parse(line: Array(line.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesWhatFFmpegWrites() throws {
        let header = try parse("YUV4MPEG2 W64 H48 F30000:1001 It A4:3 C420mpeg2 XYSCSS=420MPEG2 XCOLORRANGE=FULL")
        #expect(header.format == (try RawVideoFormat(width: 64, height: 48, pixelFormat: .yuv420p)))
        #expect(header.frameRate == Rational(30000, 1001))
        #expect(header.interlacing == .topFieldFirst)
        #expect(header.pixelAspect == Rational(4, 3))
        #expect(header.chromaSiting == .left)
        #expect(header.colorRange == .full)
        #expect(header.extensions.isEmpty)
    }

    /// The C tags FFmpeg 5.1 writes for each pix_fmt (seen with `ffmpeg -f yuv4mpegpipe -strict -1`).
    @Test(arguments: [
        ("420jpeg", "yuv420p"), ("420mpeg2", "yuv420p"), ("420paldv", "yuv420p"), ("420", "yuv420p"),
        ("422", "yuv422p"), ("444", "yuv444p"), ("411", "yuv411p"), ("mono", "gray"),
        ("420p10", "yuv420p10le"), ("422p10", "yuv422p10le"), ("444p10", "yuv444p10le"), ("mono10", "gray10le"),
        ("420p9", "yuv420p9le"), ("444p12", "yuv444p12le"), ("422p14", "yuv422p14le"), ("420p16", "yuv420p16le"),
        ("mono9", "gray9le"), ("mono12", "gray12le"), ("mono16", "gray16le"),
    ])
    func colorspaceTags(tag: String, pixFmt: String) throws {
        let header = try parse("YUV4MPEG2 W8 H6 C\(tag)")
        #expect(header.format.pixelFormat.ffmpegName == pixFmt)
        #expect(header.format.pixelFormat == (try RawPixelFormat(ffmpegName: pixFmt)))
    }

    @Test func missingColorspaceMeans420jpegOrXYSCSS() throws {
        let plain = try parse("YUV4MPEG2 W8 H6 F25:1")
        #expect(plain.format.pixelFormat == .yuv420p)
        #expect(plain.chromaSiting == nil)
        #expect(try parse("YUV4MPEG2 W8 H6 XYSCSS=444P10").format.pixelFormat == .yuv444p10le)
        // C wins over XYSCSS, in either order.
        #expect(try parse("YUV4MPEG2 W8 H6 XYSCSS=444 C422").format.pixelFormat == .yuv422p)
    }

    @Test func unknownTagsAreKeptOrIgnored() throws {
        let header = try parse("YUV4MPEG2  W8 H6 Q9 XFOO=bar XCOLORRANGE=LIMITED Xlutscale=1  ")
        #expect(header.extensions == ["FOO=bar", "lutscale=1"])
        #expect(header.colorRange == .limited)
        let text = String(decoding: try header.serialized(), as: UTF8.self)
        #expect(text == "YUV4MPEG2 W8 H6 F0:0 I? A0:0 C420jpeg XYSCSS=420JPEG XCOLORRANGE=LIMITED XFOO=bar Xlutscale=1\n")
        #expect(try parse(String(text.dropLast())).extensions == header.extensions)
    }

    @Test func extensionsThatCannotRoundTripAreIgnoredOrRefused() throws {
        // Found by the fuzzer: an X tag that is not UTF-8 grew into a longer line when written back.
        let line = Array("YUV4MPEG2 W8 H6 XOK=1 X".utf8) + [0xFF, 0xFE, 0x36] + Array(" Xé=2".utf8)
        #expect(try Y4MHeader.parse(line: line).extensions == ["OK=1", "é=2"])
        let format = try RawVideoFormat(width: 8, height: 6, pixelFormat: .yuv420p)
        let long = Y4MHeader(format: format, extensions: [String(repeating: "x", count: Y4MHeader.maxLength)])
        let error = #expect(throws: RawVideoError.self) { _ = try long.serialized() }
        #expect(error?.description.contains("over the \(Y4MHeader.maxLength)-byte limit") == true)
    }

    @Test func serializesLikeFFmpeg() throws {
        // Byte for byte what `ffmpeg ... -f yuv4mpegpipe -pix_fmt yuv422p` / `gray` / `yuv420p10le` write.
        let cases = [
            "YUV4MPEG2 W64 H48 F5:1 Ip A1:1 C420jpeg XYSCSS=420JPEG",
            "YUV4MPEG2 W64 H48 F5:1 Ip A1:1 C422 XYSCSS=422 XCOLORRANGE=LIMITED",
            "YUV4MPEG2 W64 H48 F5:1 Ip A1:1 Cmono XCOLORRANGE=FULL",
            "YUV4MPEG2 W64 H48 F5:1 Ip A1:1 C420p10 XYSCSS=420P10 XCOLORRANGE=LIMITED",
            "YUV4MPEG2 W64 H48 F30000:1001 Ib A0:0 C420paldv XYSCSS=420PALDV",
            "YUV4MPEG2 W63 H47 F5:1 Ip A188:189 C444p16 XYSCSS=444P16 XCOLORRANGE=LIMITED",
        ]
        for line in cases {
            #expect(String(decoding: try parse(line).serialized(), as: UTF8.self) == line + "\n")
        }
    }

    @Test func refusesMalformedHeaders() {
        #expect(parseError("YUV4MPEG2 H48 F25:1") == .missingTag("W"))
        #expect(parseError("YUV4MPEG2 W48") == .missingTag("H"))
        #expect(parseError("YUV4MPEG W8 H6") == .badMagic(found: "YUV4MPEG W8 H6"))
        #expect(parseError("YUV4MPEG2X W8 H6") == .badMagic(found: "YUV4MPEG2X W8 H6"))
        for bad in ["W", "W-3", "W0", "W12a", "W 8"] {
            #expect(parseError("YUV4MPEG2 \(bad) H6") != nil, "\(bad)")
        }
        for bad in ["F25", "Fx:1", "F25:", "F:1", "F0:1", "F25:0", "F1:2:3", "F99999999999:1", "F-25:1"] {
            guard case .badTag(tag: "F", _, _)? = parseError("YUV4MPEG2 W8 H6 \(bad)") else {
                Issue.record("\(bad) was not refused as a bad F tag")
                continue
            }
        }
        for bad in ["Ix", "Ipp", "I"] {
            guard case .badTag(tag: "I", _, _)? = parseError("YUV4MPEG2 W8 H6 \(bad)") else {
                Issue.record("\(bad) was not refused as a bad I tag")
                continue
            }
        }
        for bad in ["C420foo", "C444alpha", "Cmono14", "C", "Crgb", "C420p11"] {
            guard case .unsupportedColorspace? = parseError("YUV4MPEG2 W8 H6 \(bad)") else {
                Issue.record("\(bad) was not refused as an unsupported colorspace")
                continue
            }
        }
        #expect(parseError("YUV4MPEG2 W8 H6 A1") != nil)
        #expect(parseError("YUV4MPEG2 W8 H6 A0:0") == nil)
    }

    @Test func refusesAbsurdSizesBeforeAllocating() {
        let limit = "over the limit of 16384"
        #expect(parseError("YUV4MPEG2 W100000 H100000") == .badTag(tag: "W", value: "100000", reason: limit))
        #expect(parseError("YUV4MPEG2 W16 H16385") == .badTag(tag: "H", value: "16385", reason: limit))
        #expect(parseError("YUV4MPEG2 W16384 H16384 C444p16") == nil)
        // Digits past any limit saturate instead of overflowing, and the message quotes them as written.
        let long = "99999999999999999999999999"
        #expect(parseError("YUV4MPEG2 W\(long) H2") == .badTag(tag: "W", value: long, reason: limit))
        #expect(throws: RawVideoError.badTag(tag: "W", value: "100", reason: "over the limit of 64")) {
            _ = try Y4MHeader.parse(line: Array("YUV4MPEG2 W100 H100".utf8), maxDimension: 64)
        }
    }

    @Test func serializerRefusesWhatItCannotWrite() throws {
        let format = try RawVideoFormat(width: 8, height: 6, pixelFormat: RawPixelFormat(chroma: .gray, bitDepth: 14)!)
        #expect(throws: RawVideoError.notRepresentableInY4M(pixelFormat: "gray14le")) {
            _ = try Y4MHeader(format: format).serialized()
        }
        let plain = try RawVideoFormat(width: 8, height: 6, pixelFormat: .yuv420p)
        #expect(throws: RawVideoError.self) { _ = try Y4MHeader(format: plain, extensions: ["A B"]).serialized() }
        #expect(throws: RawVideoError.self) { _ = try Y4MHeader(format: plain, frameRate: Rational(0, 1)).serialized() }
    }

    @Test func pixelFormatNamesAndSizes() throws {
        for format in RawPixelFormat.all {
            #expect(try RawPixelFormat(ffmpegName: format.ffmpegName) == format)
            if let tag = format.y4mColorspace {
                #expect(RawPixelFormat.fromY4MColorspace(tag)?.format == format)
            }
        }
        #expect(throws: RawVideoError.unknownPixelFormat("rgb24")) { _ = try RawPixelFormat(ffmpegName: "rgb24") }
        // Odd sizes round chroma up, as FFmpeg does (63x47 4:2:0: 2961 + 2 * 32 * 24 bytes).
        let odd = try RawVideoFormat(width: 63, height: 47, pixelFormat: .yuv420p)
        #expect(odd.planeSizes.map(\.description) == ["63x47", "32x24", "32x24"])
        #expect(odd.frameByteCount == 63 * 47 + 2 * 32 * 24)
        let deep = try RawVideoFormat(width: 64, height: 48, pixelFormat: .yuv422p10le)
        #expect(deep.frameByteCount == 2 * (64 * 48 + 2 * 32 * 48))
        #expect(try RawVideoFormat(width: 5, height: 3, pixelFormat: RawPixelFormat(ffmpegName: "yuv411p")).planeSize(1).width == 2)
        #expect(try RawVideoFormat(width: 64, height: 48, pixelFormat: .gray16le).frameByteCount == 2 * 64 * 48)
        #expect(throws: RawVideoError.badDimensions(width: 0, height: 4, limit: 16384)) {
            _ = try RawVideoFormat(width: 0, height: 4, pixelFormat: .gray)
        }
    }
}

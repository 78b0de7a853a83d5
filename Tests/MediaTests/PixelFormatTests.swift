import Testing
import VideoCore
@testable import Media

@Suite struct PixelFormatTests {
    @Test func describesCommonFormats() throws {
        let yuv420p10 = try #require(PixelFormat(name: "yuv420p10le"))
        #expect(yuv420p10.bitDepth == 10)
        #expect(yuv420p10.planeCount == 3)
        #expect(yuv420p10.chromaShift == (1, 1))
        #expect(yuv420p10.isPlanarWithPlainSamples)
        #expect(yuv420p10.planeSize(1, width: 321, height: 241) == PlaneSize(width: 161, height: 121))
        #expect(yuv420p10.planeSize(0, width: 321, height: 241) == PlaneSize(width: 321, height: 241))
        #expect(!PixelFormat.rgb24.isPlanarWithPlainSamples)
        #expect(PixelFormat.gbrp.planeSize(2, width: 7, height: 5) == PlaneSize(width: 7, height: 5))
        #expect(PixelFormat(name: "no-such-format") == nil)
    }

    @Test(arguments: [
        ("yuv420p", "yuv420p"), ("nv12", "yuv420p"), ("p010le", "yuv420p10le"), ("yuyv422", "yuv422p"),
        ("rgb24", "gbrp"), ("rgba", "gbrap"), ("rgb48be", "gbrp16le"), ("pal8", "gbrap"), ("gray", "gray"),
        ("ya8", "yuva444p"), ("yuv444p12be", "yuv444p12le"), ("bgr0", "gbrp"),
    ])
    func planarEquivalent(input: String, expected: String) throws {
        let format = try #require(PixelFormat(name: input))
        #expect(format.planarEquivalent?.name == expected)
    }

    @Test func jpegRangeFormatsMapToPlainOnes() {
        #expect(PixelFormat(name: "yuvj420p")?.withoutJPEGRange == .yuv420p)
        #expect(PixelFormat.yuv420p.withoutJPEGRange == nil)
    }
}

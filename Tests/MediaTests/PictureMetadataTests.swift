import Foundation
import TestSupport
import Testing
import VideoCore
@testable import Media

/// What a video stream says about its pictures, from its container and from its first frame's bitstream.
@Suite struct PictureMetadataTests {
    /// HDR10 sent only as HEVC SEI comes back as stream side data, exact enough to hand x265 the same parameters.
    @Test func hdr10FromTheFirstFrame() throws {
        let scratch = try Scratch()
        let path = scratch.path("hdr.mkv")
        try Fixtures.hdr10(path)
        let demuxer = try Demuxer(path: path)
        let picture = demuxer.pictureMetadata(of: try demuxer.bestVideoStream())
        #expect(picture.fieldOrder == .progressive)
        let parameters = picture.sideData.compactMap(\.x265Parameter)
        #expect(parameters == ["master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)", "max-cll=1000,400"])
        let settings = EncoderSettings(codecName: "libx265", width: 64, height: 48, pixelFormat: .yuv420p, timeBase: Rational(1, 25),
                                       frameRate: Rational(25, 1), sampleAspectRatio: Rational(1, 1), color: .unspecified,
                                       options: ["x265-params": "bframes=0"], sideData: picture.sideData)
        #expect(picture.sideData.allSatisfy(settings.carries))
        #expect(settings.optionsForOpening["x265-params"]?.hasSuffix("bframes=0:" + parameters.joined(separator: ":")) == true)
    }

    @Test func rotationFromTheContainer() throws {
        let scratch = try Scratch()
        let path = scratch.path("rot.mp4")
        try Fixtures.rotatedMP4(path)
        let demuxer = try Demuxer(path: path)
        let picture = demuxer.pictureMetadata(of: try demuxer.bestVideoStream())
        #expect(picture.sideData.compactMap(\.rotation) == [-90])
        // A display matrix's translation is in pixels; its rotation is not.
        #expect(picture.sideData.map { $0.scaled(x: 2, y: 3).rotation } == [-90])
    }

    @Test(arguments: [("tt", FieldOrder.topFieldFirst), ("bb", .bottomFieldFirst), ("progressive", .progressive)])
    func fieldOrderFromTheContainer(flag: String, order: FieldOrder) throws {
        let scratch = try Scratch()
        let path = scratch.path("fields.mkv")
        try Fixtures.clip(path, size: "64x48", frames: 2, audio: nil, extra: ["-c:v", "ffv1", "-field_order", flag])
        let demuxer = try Demuxer(path: path)
        #expect(demuxer.pictureMetadata(of: try demuxer.bestVideoStream()).fieldOrder == order)
    }

    /// A FIFO cannot be read twice: the probe leaves it alone and gives what the container says.
    @Test func aFIFOIsNotReadTwice() throws {
        let scratch = try Scratch()
        let clip = scratch.path("clip.nut"), fifo = scratch.path("fifo")
        try Fixtures.clip(clip, size: "64x48", frames: 2, audio: nil)
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = Thread { try? Data(contentsOf: URL(fileURLWithPath: clip)).write(to: URL(fileURLWithPath: fifo)) }
        writer.start()
        let demuxer = try Demuxer(path: fifo)
        #expect(demuxer.pictureMetadata(of: try demuxer.bestVideoStream()).sideData.isEmpty)
        while case .packet = try demuxer.read() {}
    }
}

import Foundation
import TestSupport
import Testing
import VideoCore
@testable import Media

@Suite struct DemuxDecodeTests {
    @Test func readsStreamsAndDecodesEveryFrameWithItsTimestamp() throws {
        let scratch = try Scratch()
        let clip = scratch.path("clip.mkv")
        try Fixtures.clip(clip, size: "96x64", frames: 12, rate: 24)
        let demuxer = try Demuxer(path: clip)
        let video = try demuxer.bestVideoStream()
        let info = demuxer.streams[video]
        #expect(info.width == 96 && info.height == 64)
        #expect(info.pixelFormat == .yuv420p)
        #expect(demuxer.streams.map(\.kind).sorted { "\($0)" < "\($1)" } == [.audio, .video])

        let decoder = try VideoDecoder(demuxer: demuxer, streamIndex: video)
        var times: [Double] = []
        func drain() throws {
            while case let .item(frame) = try decoder.receive() {
                #expect(frame.width == 96 && frame.height == 64)
                let chroma = try #require(frame.plane(1))
                #expect(chroma.size.width == 48 && chroma.size.height == 32 && chroma.bitDepth == 8)
                times.append(Double(try #require(frame.pts)) * info.timeBase.doubleValue)
            }
        }
        while case let .packet(packet) = try demuxer.read() {
            guard packet.streamIndex == video else { continue }
            while try decoder.send(packet) == .mustReceiveFirst { try drain() }
            try drain()
        }
        try decoder.sendEndOfStream()
        try drain()
        let expected = try Fixtures.frameTimes(clip).map { try #require(Double($0)) }
        #expect(times.count == 12)
        #expect(zip(times, expected).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func missingInputIsAClearError() {
        #expect {
            _ = try Demuxer(path: "/nonexistent/clip.mp4")
        } throws: { error in
            "\(error)".contains("/nonexistent/clip.mp4") && "\(error)".contains("No such file")
        }
    }
}

@Suite struct EncodeMuxTests {
    /// Frames made here, encoded and muxed, come back with their sizes, count and timestamps.
    @Test func encodesAndMuxesFramesThatFFprobeReadsBack() throws {
        let scratch = try Scratch()
        let path = scratch.path("made.mkv")
        let muxer = try Muxer(formatFor: path, writingTo: path)
        #expect(muxer.formatName == "matroska")
        let settings = EncoderSettings(codecName: "libx264", width: 64, height: 48, pixelFormat: .yuv420p,
                                       timeBase: Rational(1, 1000), frameRate: Rational(25, 1),
                                       sampleAspectRatio: Rational(1, 1), color: ColorInfo.unspecified,
                                       options: ["preset": "ultrafast"])
        let encoder = try VideoEncoder(settings: settings, globalHeader: muxer.needsGlobalHeader)
        // A stand-in input stream to take the video stream's metadata from.
        let source = scratch.path("source.mkv")
        try Fixtures.clip(source, size: "64x48", frames: 1, audio: nil)
        let demuxer = try Demuxer(path: source)
        let stream = try muxer.addVideoStream(encoder: encoder, replacing: 0, of: demuxer)
        try muxer.writeHeader()
        let times: [Int64] = [0, 40, 100, 120, 200]
        func drain() throws {
            while case let .item(packet) = try encoder.receive() {
                try muxer.write(packet, timeBase: settings.timeBase, stream: stream)
            }
        }
        for (i, pts) in times.enumerated() {
            let frame = try VideoFrame(format: .yuv420p, width: 64, height: 48)
            for p in 0..<3 {
                let plane = try #require(frame.plane(p))
                for y in 0..<plane.size.height {
                    plane.base.advanced(by: y * plane.bytesPerRow).initializeMemory(as: UInt8.self, repeating: UInt8(40 * i + y), count: plane.size.width)
                }
            }
            frame.pts = pts
            while try encoder.send(frame) == .mustReceiveFirst { try drain() }
            try drain()
        }
        try encoder.sendEndOfStream()
        try drain()
        try muxer.finish()
        let probed = try Fixtures.videoStream(path)
        #expect(probed["width"] == "64" && probed["height"] == "48" && probed["nb_read_frames"] == "5")
        #expect(try Fixtures.frameTimes(path) == ["0.000000", "0.040000", "0.100000", "0.120000", "0.200000"])
    }

    @Test func unknownEncoderAndContainerAreClearErrors() {
        #expect(throws: MediaError.self) { _ = try EncoderInfo(name: "no-such-codec") }
        #expect {
            _ = try EncoderInfo(name: "no-such-codec")
        } throws: { "\($0)".contains("no-such-codec") }
        #expect {
            _ = try Muxer(formatFor: "/tmp/out.unknownext", writingTo: "/tmp/out.unknownext")
        } throws: { "\($0)".contains(".mp4") }
        #expect(throws: MediaError.self) { _ = try EncoderInfo(name: "aac") }
    }

    /// Audio and video timestamps the muxer would refuse are repaired as ffmpeg's own muxing loop repairs them: a
    /// dts after its pts (libx265 at 12 bits now and then returned an uninitialised one on a busy machine) and a dts
    /// that goes back. Every packet is written with its pts, dts never decreasing (Matroska allows equal ones).
    @Test func brokenTimestampsAreRepairedAsFFmpegDoes() throws {
        let scratch = try Scratch()
        let source = scratch.path("source.mkv"), path = scratch.path("out.mkv")
        try Fixtures.clip(source, size: "64x48", frames: 6, audio: nil, extra: ["-c:v", "ffv1"])
        let demuxer = try Demuxer(path: source)
        let muxer = try Muxer(formatFor: path, writingTo: path)
        let stream = try muxer.addCopiedStream(from: demuxer, index: 0)
        try muxer.writeHeader()
        var count = 0
        while case let .packet(packet) = try demuxer.read() {
            let dts = packet.pointer.pointee.dts
            if count == 0 { packet.pointer.pointee.dts = 9_187_201_950_435_737_472 }   // the value libx265 gave
            if count == 3 { packet.pointer.pointee.dts = dts / 2 }                      // backwards
            try muxer.write(packet, timeBase: demuxer.streams[0].timeBase, stream: stream)
            count += 1
        }
        try muxer.finish()
        let times = try Fixtures.ffprobe(["-v", "error", "-show_entries", "packet=pts,dts", "-of", "csv=p=0", path])
            .split(separator: "\n").map { $0.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
        #expect(count == 6 && times.count == 6 && times.allSatisfy { $0.count == 2 }, "\(times)")
        let dts = times.map { $0[1] }
        #expect(zip(dts, dts.dropFirst()).allSatisfy { $0 <= $1 } && dts[0] == 0, "\(times)")
        // The packets left alone keep their times.
        #expect([1, 2, 4, 5].allSatisfy { times[$0] == [40 * $0, 40 * $0] }, "\(times)")
    }

    @Test func encoderFormatChoice() throws {
        let x264 = try EncoderInfo(name: "libx264")
        #expect(x264.bestPixelFormat(for: .yuv444p) == .yuv444p)
        #expect(x264.bestPixelFormat(for: try #require(PixelFormat(name: "yuv420p10le"))).name == "yuv420p10le")
        #expect(x264.hasOption("crf") && x264.hasOption("preset"))
        let png = try EncoderInfo(name: "png")
        #expect(png.bestPixelFormat(for: .yuv420p) == .rgb24)
        #expect(!png.hasOption("crf"))
        #expect(try EncoderInfo(name: "mjpeg").isJPEG)
    }
}

@Suite struct ScalerTests {
    @Test func planeScalerKeepsAFlatPlaneFlat() throws {
        let source = try VideoFrame(format: .yuv420p, width: 40, height: 30)
        let target = try VideoFrame(format: .yuv420p, width: 90, height: 68)
        let from = try #require(source.plane(1)), to = try #require(target.plane(1))
        for y in 0..<from.size.height { from.base.advanced(by: y * from.bytesPerRow).initializeMemory(as: UInt8.self, repeating: 77, count: from.size.width) }
        let scaler = try PlaneScaler(from: from.size, to: to.size, bitDepth: 8)
        scaler.scale(from.readOnly, into: to)
        for y in 0..<to.size.height {
            let row = UnsafeBufferPointer(start: to.base.advanced(by: y * to.bytesPerRow).assumingMemoryBound(to: UInt8.self), count: to.size.width)
            #expect(row.allSatisfy { $0 == 77 })
        }
    }

    /// Limited to full range at the same size and format (what JPEG output needs) really rescales the samples.
    @Test func rangeChangeWithinOneFormatIsApplied() throws {
        let frame = try VideoFrame(format: .yuv444p, width: 64, height: 16)
        for p in 0..<3 {
            let plane = try #require(frame.plane(p))
            for y in 0..<16 {
                let value: UInt8 = p > 0 ? 128 : y < 8 ? 16 : 235
                plane.base.advanced(by: y * plane.bytesPerRow).initializeMemory(as: UInt8.self, repeating: value, count: 64)
            }
        }
        var limited = ColorInfo.unspecified
        limited.isFullRange = false
        var full = limited
        full.isFullRange = true
        let converter = try FrameConverter(width: 64, height: 16, format: .yuv444p, color: limited,
                                           toWidth: 64, height: 16, format: .yuv444p, color: full)
        let converted = try converter.convert(frame)
        let luma = try #require(converted.plane(0))
        withExtendedLifetime(converted) {
            #expect(luma.base.load(as: UInt8.self) <= 1)
            #expect(luma.base.load(fromByteOffset: 15 * luma.bytesPerRow, as: UInt8.self) >= 254)
        }
    }

    /// RGB -> 16-bit YUV 4:4:4 -> RGB (the luma path for RGB input) gives the same pixels back.
    @Test func rgbThroughYUV444p16RoundTrips() throws {
        let width = 33, height = 17
        let rgb = try VideoFrame(format: .rgb24, width: width, height: height)
        let packed = try #require(rgb.packedPlane0)
        for y in 0..<height {
            for x in 0..<width * 3 {
                packed.base.storeBytes(of: UInt8((x * 37 + y * 91) & 255), toByteOffset: y * packed.bytesPerRow + x, as: UInt8.self)
            }
        }
        let yuvFormat = try #require(PixelFormat(name: "yuv444p16le"))
        let color = ColorInfo.unspecified.asYUVFromRGB()
        let toYUV = try FrameConverter(width: width, height: height, format: .rgb24, color: .unspecified,
                                       toWidth: width, height: height, format: yuvFormat, color: color)
        let back = try FrameConverter(width: width, height: height, format: yuvFormat, color: color,
                                      toWidth: width, height: height, format: .rgb24, color: .unspecified)
        let result = try back.convert(try toYUV.convert(rgb))
        let out = try #require(result.packedPlane0)
        var worst = 0
        withExtendedLifetime((rgb, result)) {
            for y in 0..<height {
                for x in 0..<width * 3 {
                    let a = Int(packed.base.load(fromByteOffset: y * packed.bytesPerRow + x, as: UInt8.self))
                    let b = Int(out.base.load(fromByteOffset: y * out.bytesPerRow + x, as: UInt8.self))
                    worst = max(worst, abs(a - b))
                }
            }
        }
        #expect(worst <= 1)
    }
}

@Suite struct FramePoolTests {
    @Test func poolFramesHaveTheirPlanesAndReuseReleasedBuffers() throws {
        let format = try #require(PixelFormat(name: "yuv420p10le"))
        let pool = try FramePool(format: format, width: 101, height: 37)
        let source = try VideoFrame(format: format, width: 8, height: 8)
        source.pts = 1234
        var first: UnsafeMutableRawPointer?
        do {
            let frame = try pool.frame(propertiesOf: source)
            #expect(frame.width == 101 && frame.height == 37 && frame.format == format && frame.pts == 1234)
            let luma = try #require(frame.plane(0)), chroma = try #require(frame.plane(2))
            #expect(luma.size.width == 101 && luma.size.height == 37 && luma.bitDepth == 10 && luma.bytesPerRow % 64 == 0)
            #expect(chroma.size.width == 51 && chroma.size.height == 19 && chroma.bytesPerRow >= 102)
            // The last row of the last plane ends inside the buffer.
            chroma.base.advanced(by: (chroma.size.height - 1) * chroma.bytesPerRow).initializeMemory(as: UInt8.self, repeating: 1, count: 102)
            first = luma.base
        }
        let again = try pool.frame(propertiesOf: source)
        #expect(again.plane(0)?.base == first)
    }
}

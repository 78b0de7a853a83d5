import Foundation
import Testing
import VideoCore
@testable import RawVideo

/// Both directions against the real `ffmpeg` CLI: its streams through our reader and writer on pipes, and back
/// into ffmpeg, frame-exact.
@Suite struct FFmpegInteropTests {
    static let pixelFormats = ["yuv420p", "yuv422p", "yuv444p", "gray", "yuv420p10le", "yuv422p10le", "yuv444p10le",
                               "gray10le", "gray16le"]

    /// ffmpeg's own hashes of the decoded test pattern in `pixFmt`.
    private func directHashes(_ pixFmt: String, size: String = "64x48") throws -> [String] {
        frameHashes(try ffmpegOutput(testPatternInput(size: size) + ["-pix_fmt", pixFmt, "-f", "framemd5", "-"]))
    }

    /// Producer ffmpeg -> our reader (pipe) -> our writer (pipe) -> consumer ffmpeg; returns the consumer's output.
    private func relay<Reader, Writer>(
        producer producerArguments: [String], consumer consumerArguments: [String],
        makeReader: (Int32) throws -> Reader, read: (Reader, [PlaneBuffer]) throws -> FrameReadResult,
        format: (Reader) -> RawVideoFormat, makeWriter: (Reader, Int32) throws -> Writer,
        write: (Writer, [PlaneBuffer]) throws -> Void, finish: (Writer) throws -> Void = { _ in }
    ) throws -> (frames: Int, output: [UInt8]) {
        signal(SIGPIPE, SIG_IGN)
        let producer = try Child("ffmpeg", ["-nostdin", "-v", "error"] + producerArguments)
        producer.closeStdin()
        let consumer = try Child("ffmpeg", ["-v", "error"] + consumerArguments)
        let consumerOutput = Drain(fileDescriptor: consumer.stdoutFD)
        let reader = try makeReader(producer.stdoutFD)
        let writer = try makeWriter(reader, consumer.stdinFD)
        let planes = format(reader).makePlaneBuffers()
        var frames = 0
        while try read(reader, planes) == .frame {
            try write(writer, planes)
            frames += 1
        }
        try finish(writer)
        consumer.closeStdin()
        try producer.finish()
        let output = consumerOutput.wait()
        try consumer.finish()
        return (frames, output)
    }

    @Test(arguments: pixelFormats)
    func y4mThroughPipes(pixFmt: String) throws {
        let (frames, output) = try relay(
            producer: testPatternInput() + ["-f", "yuv4mpegpipe", "-strict", "-1", "-pix_fmt", pixFmt, "-"],
            consumer: ["-f", "yuv4mpegpipe", "-i", "-", "-f", "framemd5", "-"],
            makeReader: { try Y4MReader(fileDescriptor: $0) }, read: { try $0.readFrame(into: $1) },
            format: \.format, makeWriter: { try Y4MWriter(fileDescriptor: $1, header: $0.header) },
            write: { try $0.writeFrame($1) }, finish: { try $0.finish() })
        #expect(frames == 7)
        let hashes = frameHashes(output)
        #expect(hashes.count == 7)
        #expect(hashes == (try directHashes(pixFmt)))
    }

    @Test(arguments: pixelFormats + ["yuv420p@37x23", "yuv444p10le@37x23"])
    func y4mRewrittenByteForByte(spec: String) throws {
        // Header and frames come out exactly as ffmpeg wrote them (same tags, same order, same samples).
        let parts = spec.split(separator: "@").map(String.init)
        let scale = parts.count > 1 ? ["-vf", "scale=" + parts[1].replacingOccurrences(of: "x", with: ":")] : []
        let original = try ffmpegOutput(testPatternInput() + scale + ["-f", "yuv4mpegpipe", "-strict", "-1", "-pix_fmt", parts[0], "-"])
        let reader = try Y4MReader(source: MemoryByteSource(original))
        #expect(reader.format.pixelFormat.ffmpegName == parts[0])
        let writer = try Y4MWriter(sink: MemoryByteSink(), header: reader.header)
        let planes = reader.format.makePlaneBuffers()
        while try reader.readFrame(into: planes) == .frame {
            try writer.writeFrame(planes)
        }
        #expect(reader.framesRead == 7)
        #expect(writer.sink.bytes == original)
    }

    @Test(arguments: pixelFormats)
    func ffmpegDecodesOurY4M(pixFmt: String) throws {
        // Odd size: chroma planes round up; 9x5 also gives padded rows in our plane buffers.
        let format = try RawVideoFormat(width: 9, height: 5, pixelFormat: RawPixelFormat(ffmpegName: pixFmt))
        let stream = try syntheticY4M(format: format, frames: 3)
        let decoded = try toolOutput(["-f", "yuv4mpegpipe", "-i", "-", "-f", "rawvideo", "-pix_fmt", pixFmt, "-"], input: stream)
        var expected: [UInt8] = []
        let planes = format.makePlaneBuffers()
        for frame in 0..<3 {
            fillPattern(planes, seed: frame)
            for plane in planes {
                let rowBytes = plane.size.width * plane.view.bytesPerSample
                for row in 0..<plane.size.height {
                    expected += UnsafeRawBufferPointer(start: plane.view.base + row * plane.bytesPerRow, count: rowBytes)
                }
            }
        }
        #expect(decoded == expected)
    }

    @Test func ffmpegAcceptsUnknownFieldsAndExtensions() throws {
        // What we write when nothing is known: F0:0 I? A0:0, plus an X tag of our own.
        let format = try RawVideoFormat(width: 6, height: 4, pixelFormat: .yuv420p)
        let writer = try Y4MWriter(sink: MemoryByteSink(), header: Y4MHeader(format: format, extensions: ["LUTSCALE=1"]))
        let planes = format.makePlaneBuffers()
        fillPattern(planes, seed: 5)
        try writer.writeFrame(planes)
        #expect(writer.sink.bytes.starts(with: "YUV4MPEG2 W6 H4 F0:0 I? A0:0 C420jpeg XYSCSS=420JPEG XLUTSCALE=1\n".utf8))
        let decoded = try toolOutput(["-f", "yuv4mpegpipe", "-i", "-", "-f", "rawvideo", "-"], input: writer.sink.bytes)
        #expect(decoded.map(Int.init) == planes.flatMap(\.samples))
    }

    @Test(arguments: pixelFormats)
    func rawvideoThroughPipes(pixFmt: String) throws {
        let format = try RawVideoFormat(width: 64, height: 48, pixelFormat: RawPixelFormat(ffmpegName: pixFmt))
        let (frames, output) = try relay(
            producer: testPatternInput() + ["-f", "rawvideo", "-pix_fmt", pixFmt, "-"],
            consumer: ["-f", "rawvideo", "-pix_fmt", pixFmt, "-s", "64x48", "-r", "5", "-i", "-", "-f", "framemd5", "-"],
            makeReader: { RawVideoReader(fileDescriptor: $0, format: format) }, read: { try $0.readFrame(into: $1) },
            format: \.format, makeWriter: { RawVideoWriter(fileDescriptor: $1, format: $0.format) },
            write: { try $0.writeFrame($1) })
        #expect(frames == 7)
        let hashes = frameHashes(output)
        #expect(hashes.count == 7)
        #expect(hashes == (try directHashes(pixFmt)))
    }

    @Test func rawvideoOddSizeByteForByte() throws {
        let format = try RawVideoFormat(width: 37, height: 23, pixelFormat: .yuv420p10le)
        let original = try ffmpegOutput(testPatternInput() + ["-vf", "scale=37:23", "-f", "rawvideo", "-pix_fmt", "yuv420p10le", "-"])
        #expect(original.count == 7 * format.frameByteCount)
        let reader = RawVideoReader(source: MemoryByteSource(original, maxReadSize: 1000), format: format, bufferSize: 4096)
        let writer = RawVideoWriter(sink: MemoryByteSink(maxWriteSize: 777), format: format, bufferSize: 4096)
        let planes = format.makePlaneBuffers()
        while try reader.readFrame(into: planes) == .frame {
            try writer.writeFrame(planes)
        }
        #expect(reader.framesRead == 7)
        #expect(writer.sink.bytes == original)
    }

    @Test(arguments: [("pc", "yuv420p", Y4MColorRange.full), ("tv", "yuv420p", .limited), ("pc", "yuv444p10le", .full)])
    func colorRangeRoundTrip(ffmpegRange: String, pixFmt: String, range: Y4MColorRange) throws {
        let original = try ffmpegOutput(testPatternInput(frames: 2) + ["-color_range", ffmpegRange, "-f", "yuv4mpegpipe",
                                                                       "-strict", "-1", "-pix_fmt", pixFmt, "-"])
        let reader = try Y4MReader(source: MemoryByteSource(original))
        #expect(reader.header.colorRange == range)
        let writer = try Y4MWriter(sink: MemoryByteSink(), header: reader.header)
        let planes = reader.format.makePlaneBuffers()
        while try reader.readFrame(into: planes) == .frame {
            try writer.writeFrame(planes)
        }
        let probed = try toolOutput(["-f", "yuv4mpegpipe", "-i", "-", "-show_entries", "stream=color_range", "-of", "csv=p=0"],
                                    input: writer.sink.bytes, tool: "ffprobe")
        #expect(String(decoding: probed, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == ffmpegRange)
    }

    @Test func emptyStdinIsReportedAsSuch() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        close(fds[1])
        defer { close(fds[0]) }
        #expect(throws: RawVideoError.emptyInput) { _ = try Y4MReader(fileDescriptor: fds[0]) }
        let format = try RawVideoFormat(width: 4, height: 4, pixelFormat: .gray)
        let raw = RawVideoReader(fileDescriptor: fds[0], format: format)
        #expect(try raw.readFrame(into: format.makePlaneBuffers()) == .endOfStream)
    }
}

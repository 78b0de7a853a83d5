import Foundation
import TestSupport
import Testing

/// `lutscale - -o -` between real `ffmpeg` processes, as shell pipelines.
@Suite struct StreamTests {
    /// Runs `script` under bash with pipefail, `$LUTSCALE` set to the built binary, in `directory`.
    static func shell(_ script: String, in directory: Scratch) throws -> Fixtures.ToolResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "set -o pipefail; " + script]
        process.currentDirectoryURL = directory.url
        var environment = ProcessInfo.processInfo.environment
        environment["LUTSCALE"] = CLITests.binary
        process.environment = environment
        return try Fixtures.collect(process)
    }

    static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    static func headerLine(_ path: String) throws -> String {
        let data = try bytes(path)
        return String(decoding: data.prefix(while: { $0 != 0x0A }), as: UTF8.self)
    }

    static let ff = "ffmpeg -nostdin -v error"

    /// y4m from ffmpeg through lutscale into ffmpeg again: exact frame count and size, the header tags carried,
    /// and the same pixels as the file pipeline gives for the same input.
    @Test(arguments: [
        ("yuv420p", "25", "", 7, "--scale 2", "W320 H240 F25:1 Ip A1:1 C420jpeg XYSCSS=420JPEG"),
        ("yuv420p10le", "30000/1001", "-color_range pc -strict -1", 4, "--size 240x180",
         "W240 H180 F30000:1001 Ip A1:1 C420p10 XYSCSS=420P10 XCOLORRANGE=FULL"),
    ])
    func y4mBothWaysMatchesTheFilePipeline(pixelFormat: String, rate: String, extra: String, frames: Int,
                                            size: String, tags: String) throws {
        let scratch = try Scratch()
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=\(rate)", "-frames:v", "\(frames)",
                             "-pix_fmt", pixelFormat] + extra.split(separator: " ").map(String.init) + ["-f", "yuv4mpegpipe", scratch.path("in.y4m")])
        let piped = try Self.shell("""
            \(Self.ff) -i in.y4m -f yuv4mpegpipe -strict -1 - | "$LUTSCALE" - -o - \(size) --model bicubic | tee out.y4m \
              | \(Self.ff) -f yuv4mpegpipe -i - -f rawvideo piped.raw
            """, in: scratch)
        #expect(piped.status == 0, "\(piped.errors)")
        #expect(piped.output.isEmpty)
        #expect(piped.errors.contains("\(frames) frames 160x120 \(pixelFormat)"))
        #expect(try Self.headerLine(scratch.path("out.y4m")) == "YUV4MPEG2 " + tags)
        let video = try Fixtures.videoStream(scratch.path("out.y4m"))
        let (width, height) = size == "--scale 2" ? ("320", "240") : ("240", "180")
        #expect(video["width"] == width && video["height"] == height && video["nb_read_frames"] == "\(frames)")
        #expect(video["pix_fmt"] == pixelFormat)

        let file = try CLITests.lutscale([scratch.path("in.y4m"), "-o", scratch.path("file.nut"), "--codec", "rawvideo",
                                          "--model", "bicubic", "-q"] + size.split(separator: " ").map(String.init))
        #expect(file.status == 0, "\(file.errors)")
        try Fixtures.ffmpeg(["-i", scratch.path("file.nut"), "-f", "rawvideo", scratch.path("file.raw")])
        let pipedPixels = try Self.bytes(scratch.path("piped.raw")), filePixels = try Self.bytes(scratch.path("file.raw"))
        let bytesPerSample = pixelFormat.hasSuffix("10le") ? 2 : 1
        let frameBytes = Int(width)! * Int(height)! * 3 / 2 * bytesPerSample
        #expect(pipedPixels.count == frames * frameBytes)
        #expect(pipedPixels == filePixels)
    }

    /// Interlaced y4m (`It`, `Ib`) is upscaled field by field and stays interlaced with its field order in the
    /// header, as the file job does; `--deinterlace` makes it progressive (`Ip`) from the field shown first. The lines
    /// alternate white and black by field, so any mixing of the fields shows as grey.
    @Test(arguments: [("tt", "It", false), ("bb", "Ib", false), ("tt", "Ip", true), ("bb", "Ip", true)])
    func interlacedY4MIsUpscaledPerField(order: String, tag: String, deinterlace: Bool) throws {
        let scratch = try Scratch()
        let result = try Self.shell("""
            \(Self.ff) -f lavfi -i "nullsrc=s=64x48:r=25,format=gray,geq=lum='if(mod(Y\\,2)\\,16\\,235)'" -frames:v 3 \
              -pix_fmt yuv420p -field_order \(order) -f yuv4mpegpipe - \
              | "$LUTSCALE" - -o - --scale 2 --model bicubic \(deinterlace ? "--deinterlace" : "") | tee out.y4m \
              | \(Self.ff) -f yuv4mpegpipe -i - -f rawvideo -pix_fmt gray out.gray
            """, in: scratch)
        #expect(result.status == 0, "\(result.errors)")
        let header = try Self.headerLine(scratch.path("out.y4m"))
        #expect(header.contains("W128 H96") && header.contains(" \(tag) "), "\(header)")
        #expect(result.errors.contains(deinterlace ? "deinterlaced, the \(order == "tt" ? "top" : "bottom") field" : "upscaled field by field"),
                "\(result.errors)")
        // Every frame read to the end (a reader that stopped after one would make tee's write fail with SIGPIPE).
        let gray = [UInt8](try Self.bytes(scratch.path("out.gray")))
        #expect(gray.count == 3 * 128 * 96)
        let rows = stride(from: 0, to: gray.count, by: 128).map { gray[$0..<min($0 + 128, gray.count)] }
        // Kept: each field stays its own colour. Deinterlaced: the field shown first (white top, black bottom) fills all.
        let white = { (row: Int) in deinterlace ? order == "tt" : row % 96 % 2 == 0 }
        #expect(rows.enumerated().allSatisfy { line, row in row.allSatisfy { white(line) ? $0 > 230 : $0 < 21 } })
    }

    /// Headerless frames in and out (`--raw-size`, `--raw`): the same pixels as the y4m path.
    @Test(arguments: [("yuv420p", 3), ("yuv420p10le", 3), ("gray", 1)])
    func rawvideoBothWays(pixelFormat: String, planesFactor: Int) throws {
        let scratch = try Scratch()
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-frames:v", "5", "-pix_fmt", pixelFormat,
                             "-f", "rawvideo", scratch.path("in.raw")])
        let raw = try Self.shell("""
            cat in.raw | "$LUTSCALE" - -o - --raw-size 96x64 --pix-fmt \(pixelFormat) --fps 25 --scale 2 --model bicubic --raw -q > out.raw
            """, in: scratch)
        #expect(raw.status == 0, "\(raw.errors)")
        let y4m = try Self.shell("""
            \(Self.ff) -f rawvideo -pix_fmt \(pixelFormat) -s 96x64 -r 25 -i in.raw -f yuv4mpegpipe -strict -1 - \
              | "$LUTSCALE" - -o - --scale 2 --model bicubic -q | \(Self.ff) -f yuv4mpegpipe -i - -f rawvideo y4m.raw
            """, in: scratch)
        #expect(y4m.status == 0, "\(y4m.errors)")
        let out = try Self.bytes(scratch.path("out.raw"))
        let samples = 192 * 128 * (planesFactor == 1 ? 2 : 3) / 2
        #expect(out.count == 5 * samples * (pixelFormat.hasSuffix("10le") ? 2 : 1))
        #expect(out == (try Self.bytes(scratch.path("y4m.raw"))))
        // ffmpeg reads our raw output back as the same number of frames.
        let probe = try Fixtures.ffprobe(["-f", "rawvideo", "-pixel_format", pixelFormat, "-video_size", "192x128", "-count_frames",
                                          "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", scratch.path("out.raw")])
        #expect(probe.trimmingCharacters(in: .whitespacesAndNewlines) == "5")
    }

    @Test func shortLastRawFrameNamesItsOffset() throws {
        let scratch = try Scratch()
        let result = try Self.shell("""
            \(Self.ff) -f lavfi -i testsrc2=size=64x48 -frames:v 2 -pix_fmt yuv420p -f rawvideo - | head -c 5000 \
              | "$LUTSCALE" - -o - --raw-size 64x48 --pix-fmt yuv420p --fps 25 --scale 2 --model bicubic --raw > /dev/null
            """, in: scratch)
        #expect(result.status != 0)
        #expect(result.errors.contains("frame 1 starting at byte 4608 is truncated: 4216 of its 4608 sample bytes are missing"),
                "\(result.errors)")
    }

    @Test func refusesInputThatIsNotY4MUnlessRawOptionsAreGiven() throws {
        let scratch = try Scratch()
        let result = try Self.shell("""
            printf 'P5 not a video' | "$LUTSCALE" - -o - --scale 2
            """, in: scratch)
        #expect(result.status != 0)
        #expect(result.errors.contains("not YUV4MPEG2") && result.errors.contains("--raw-size"), "\(result.errors)")
        #expect(result.output.isEmpty)
        let partial = try Self.shell(#""$LUTSCALE" - -o - --scale 2 --raw-size 64x48 < /dev/null"#, in: scratch)
        #expect(partial.status != 0 && partial.errors.contains("--pix-fmt"), "\(partial.errors)")
        // Into a file, stdin is read as a container (SourceSinkTests): nothing on it is an error naming it.
        let halfPipe = try Self.shell(#""$LUTSCALE" - -o out.mp4 --scale 2 < /dev/null"#, in: scratch)
        #expect(halfPipe.status != 0 && halfPipe.errors.contains("pipe:0"), "\(halfPipe.errors)")
    }

    /// `| head -c 1000`: lutscale sees EPIPE, ends cleanly and says so; no crash, no hang.
    @Test func consumerClosingEarlyEndsCleanly() throws {
        let scratch = try Scratch()
        let result = try Self.shell("""
            \(Self.ff) -f lavfi -i testsrc2=size=64x48 -frames:v 60 -pix_fmt yuv420p -f yuv4mpegpipe - 2>/dev/null \
              | "$LUTSCALE" - -o - --scale 2 --model bicubic | head -c 1000 > head.bin; echo "status ${PIPESTATUS[1]}" >&2
            """, in: scratch)
        #expect(result.errors.contains("status 0"), "\(result.errors)")
        #expect(result.errors.contains("the consumer closed the output"))
        #expect(try Self.bytes(scratch.path("head.bin")).count == 1000)
    }

    /// Preview drops frames instead of queueing them: what was written plus what was dropped is every input frame,
    /// and the report says how many were dropped.
    @Test func previewAccountsForEveryFrame() throws {
        let scratch = try Scratch()
        let result = try Self.shell("""
            \(Self.ff) -f lavfi -i testsrc2=size=64x48:rate=50 -frames:v 12 -pix_fmt yuv420p -f yuv4mpegpipe - \
              | "$LUTSCALE" - -o - --scale 2 --preview > out.y4m
            """, in: scratch)
        #expect(result.status == 0, "\(result.errors)")
        let summary = try #require(result.errors.split(separator: "\n").last.map(String.init))
        let written = try #require(Int(summary.split(separator: " ")[1]))
        let dropped = try #require(summary.firstRange(of: " frames dropped").map { range in
            Int(summary[..<range.lowerBound].split(separator: " ").last!)
        } ?? nil, "\(summary)")
        #expect(written + dropped == 12)
        #expect(written >= 1)
        #expect(try Fixtures.videoStream(scratch.path("out.y4m"))["nb_read_frames"] == "\(written)")
    }

    /// `--stream-size` / `--stream-scale` on a file with two video streams (`-map 0 -map 1`), and their refusals.
    @Test func perStreamSizesThroughTheCLI() throws {
        let scratch = try Scratch()
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48", "-f", "lavfi", "-i", "testsrc=size=80x60", "-map", "0", "-map", "1",
                             "-frames:v", "3", "-t", "0.12", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", scratch.path("two.mkv")])
        let result = try CLITests.lutscale([scratch.path("two.mkv"), "-o", scratch.path("out.mkv"), "--scale", "2",
                                            "--stream-size", "1=160x120", "--model", "bicubic"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.errors.contains("stream 1: 80x60 -> 160x120"))
        let streams = try Fixtures.ffprobe(["-count_frames", "-select_streams", "v", "-show_entries", "stream=width,height,nb_read_frames",
                                            "-of", "csv=p=0", scratch.path("out.mkv")])
        #expect(streams.split(separator: "\n") == ["128,96,3", "160,120,3"])
        let notVideo = try CLITests.lutscale([scratch.path("two.mkv"), "-o", scratch.path("bad.mkv"), "--scale", "2", "--stream-scale", "2=3"])
        #expect(notVideo.status != 0 && notVideo.errors.contains("stream 2 of"), "\(notVideo.errors)")
        let piped = try Self.shell(#""$LUTSCALE" - -o - --scale 2 --stream-scale 0=3 < /dev/null"#, in: scratch)
        #expect(piped.status != 0 && piped.errors.contains("one video stream"), "\(piped.errors)")
    }
}

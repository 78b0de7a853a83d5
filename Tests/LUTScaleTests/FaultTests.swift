import Foundation
import TestSupport
import Testing

/// Issue #20, second round: arithmetic at the limits, broken stderr, signals, outputs that are not plain files,
/// output formats, model files that lie.
@Suite struct FaultTests {
    /// A 64x48, 2-frame clip in a fresh scratch directory.
    static func smallClip() throws -> (Scratch, String) {
        let scratch = try Scratch()
        let input = scratch.path("in.mp4")
        try Fixtures.clip(input, size: "64x48", frames: 2, audio: nil)
        return (scratch, input)
    }

    // MARK: 1. no size computation traps

    /// A size over the limit is refused as such; the chroma hint is never a size that would be refused too.
    @Test(arguments: [("16383x16383", "too large", "try"), ("8191x8193", "try 8190x8192", "too large")])
    func sizeHintIsAcceptable(size: String, message: String, absent: String) throws {
        let (scratch, input) = try Self.smallClip()
        let outcome = try RobustnessTests.lutscale([input, "-o", scratch.path("out.mp4"), "--size", size])
        try RobustnessTests.expectRefused(outcome, mentioning: message, in: scratch, files: ["in.mp4"])
        #expect(!outcome.errors.contains(absent), "\(outcome.errors)")
    }

    /// x264 takes a CRF up to 51 at 8 bits (refused above, instead of clamped without a word) and up to 63 at 10.
    @Test func crfRangeFollowsTheBitDepth() throws {
        let scratch = try Scratch()
        let input = scratch.path("in10.mkv")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "2", "-pix_fmt", "yuv420p10le", "-c:v", "ffv1", input])
        let outcome = try RobustnessTests.lutscale([input, "-o", scratch.path("out.mkv"), "--scale", "2", "--crf", "60", "--model", "bicubic"])
        #expect(outcome.status == 0, "\(outcome.errors)")
        #expect(try Fixtures.videoStream(scratch.path("out.mkv"))["pix_fmt"] == "yuv420p10le")
    }

    @Test func evalRefusesAHugeScale() throws {
        let scratch = try Scratch()
        for dir in ["hr", "lr"] {
            try FileManager.default.createDirectory(atPath: scratch.path(dir), withIntermediateDirectories: false)
            try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=16x16", "-frames:v", "1", scratch.path("\(dir)/a.png")])
        }
        let outcome = try RobustnessTests.lutscale(["eval", "--hr", scratch.path("hr"), "--lr", scratch.path("lr"),
                                                    "--scale", "1e300", "--model", "bicubic"])
        #expect(outcome.status != 0 && !outcome.signalled && outcome.errors.contains("too large"), "\(outcome.errors)")
    }

    /// A y4m width past any Int the parser keeps is quoted as written, not as the saturated number.
    @Test func y4mHugeWidthQuotedAsWritten() throws {
        let scratch = try Scratch()
        try Data("YUV4MPEG2 W100000000000000000000 H2 F25:1\nFRAME\n".utf8).write(to: URL(fileURLWithPath: scratch.path("bad.y4m")))
        let result = try StreamTests.shell(#""$LUTSCALE" - -o - --scale 2 < bad.y4m"#, in: scratch)
        #expect(result.status == 1, "\(result.errors)")
        #expect(result.errors.contains("W\"100000000000000000000\": over the limit of 16384"), "\(result.errors)")
    }

    // MARK: 2. a broken stderr loses messages, not the work

    /// stderr closed, full, or a pipe whose reader is gone: the job finishes (exit 0, every frame, no leftover),
    /// and a closed descriptor 2 is not handed to the output file (whose frames would then hold our messages).
    @Test(arguments: ["2>&-", "2>/dev/full", "2>&1 >/dev/null | (exit 0)"])
    func brokenStderr(redirection: String) throws {
        let (scratch, _) = try Self.smallClip()
        let result = try StreamTests.shell(#""$LUTSCALE" in.mp4 -o out.mkv --scale 2 "# + redirection, in: scratch)
        #expect(result.status == 0, "status \(result.status)")
        #expect(try RobustnessTests.frameCount(scratch.path("out.mkv")) == 2)
        #expect(try RobustnessTests.listing(scratch) == ["in.mp4", "out.mkv"])
    }

    // MARK: 3, 4. signals

    /// Starts `lutscale arguments` with stdin and stdout on /dev/null and stderr collected.
    static func start(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        return (process, errors)
    }

    /// Waits up to `seconds` for `process` to end; kills it if it does not. True when it ended by itself.
    static func ends(_ process: Process, within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        let ended = !process.isRunning
        if !ended { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return ended
    }

    /// Output to a FIFO nobody reads: open() blocks for ever, so the first signal's graceful stop cannot finish;
    /// the second ends the process promptly, with 128 + the signal.
    @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
    func secondSignalEndsAStuckJob(signal: Int32) throws {
        let (scratch, input) = try Self.smallClip()
        let fifo = scratch.path("out.fifo")
        try #require(mkfifo(fifo, 0o600) == 0)
        let (process, errors) = try Self.start([input, "-o", fifo, "--scale", "2", "--model", "bicubic", "--format", "matroska"])
        // Signal once a thread sleeps in the FIFO's open() (the kernel's wait_for_partner).
        let tasks = "/proc/\(process.processIdentifier)/task"
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, !((try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []).contains(where: {
            (try? String(contentsOfFile: "\(tasks)/\($0)/wchan", encoding: .utf8)) == "wait_for_partner"
        }) {
            usleep(20_000)
        }
        kill(process.processIdentifier, signal)
        Thread.sleep(forTimeInterval: 0.3)
        kill(process.processIdentifier, signal)
        #expect(Self.ends(process, within: 5))
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 128 + signal, "\(text)")
        #expect(text.contains("aborted"), "\(text)")
        #expect(try RobustnessTests.listing(scratch) == ["in.mp4", "out.fifo"])
    }

    // MARK: 9, 13. model files: checked by kind and header before being read

    /// A 4 GB sparse file named .npy (noise-free zeros, or a valid header over far too much data) is refused from its
    /// first bytes: under a 3 GiB address-space limit, reading it whole would abort. A directory or a FIFO named
    /// like a model is refused by what it is (and the FIFO without waiting for a writer).
    @Test(arguments: ["zeros.npy", "header.npy", "dir.npy", "fifo.npy", "longer.lut"])
    func modelFileRefusedByItsHeader(name: String) throws {
        let (scratch, input) = try Self.smallClip()
        let model = scratch.path(name)
        let message: String
        switch name {
        case "zeros.npy", "header.npy":
            let header = "{'descr': '|i1', 'fortran_order': False, 'shape': (83521, 1, 2, 2), }"
            let padded = header + String(repeating: " ", count: 63 - (10 + header.utf8.count) % 64) + "\n"
            let preamble = name == "zeros.npy" ? Data() : Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(padded.utf8.count), 0] + Array(padded.utf8))
            try preamble.write(to: URL(fileURLWithPath: model))
            try #require(truncate(model, 4 << 30) == 0)
            message = name == "zeros.npy" ? "magic" : "data bytes"
        case "dir.npy":
            try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: false)
            message = "is a directory"
        case "fifo.npy":
            try #require(mkfifo(model, 0o600) == 0)
            message = "not a regular file"
        default:
            try (RobustnessTests.damagedModel { bytes, _ in bytes.append(0) }).write(to: URL(fileURLWithPath: model))
            message = "but the file has"
        }
        let outcome = try RobustnessTests.lutscale([input, "-o", scratch.path("out.mp4"), "--scale", "2", "--model", model],
                                                   setup: "ulimit -v 3145728")
        try RobustnessTests.expectRefused(outcome, mentioning: message, in: scratch, files: ["in.mp4", name])
        #expect(outcome.errors.contains("model \(model): "), "\(outcome.errors)")
    }

    // MARK: 6, 10, 11, 12. outputs

    /// Names up to NAME_MAX (255 bytes, multi-byte characters included) work: the temporary name is shortened.
    @Test(arguments: [String(repeating: "a", count: 245) + ".mkv", String(repeating: "é", count: 125) + ".mkv"])
    func longOutputName(name: String) throws {
        let (scratch, input) = try Self.smallClip()
        let outcome = try RobustnessTests.lutscale([input, "-o", scratch.path(name), "--scale", "2", "--model", "bicubic"])
        #expect(outcome.status == 0, "\(outcome.errors)")
        #expect(try RobustnessTests.listing(scratch) == ["in.mp4", name].sorted())
    }

    /// The null container writes nothing: the path is neither created nor touched, and the run succeeds.
    @Test func nullFormatWritesNothing() throws {
        let (scratch, input) = try Self.smallClip()
        let kept = Data("precious".utf8)
        try kept.write(to: URL(fileURLWithPath: scratch.path("old.mp4")))
        for name in ["new.mp4", "old.mp4"] {
            let outcome = try RobustnessTests.lutscale([input, "-o", scratch.path(name), "--scale", "2", "--format", "null"])
            #expect(outcome.status == 0, "\(outcome.errors)")
        }
        #expect(try RobustnessTests.listing(scratch) == ["in.mp4", "old.mp4"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path("old.mp4"))) == kept)
    }

    /// /dev/stdout (a link to whatever the shell opened, a file or a pipe), /dev/null and a FIFO with a reader
    /// are written in place, with or without -y, and stay what they were.
    @Test(arguments: ["-o /dev/stdout > out.mkv", "-o /dev/stdout -y > out.mkv", "-o /dev/stdout | cat > out.mkv",
                      "-o /dev/fd/1 > out.mkv", "-o fifo -y & cat fifo > out.mkv; wait $!", "-o /dev/null -y"])
    func outputWrittenInPlace(redirection: String) throws {
        let (scratch, _) = try Self.smallClip()
        try #require(mkfifo(scratch.path("fifo"), 0o600) == 0)
        let result = try StreamTests.shell(#""$LUTSCALE" in.mp4 --scale 2 --format matroska -q "# + redirection, in: scratch)
        #expect(result.status == 0, "\(result.errors)")
        if redirection.contains("out.mkv") {
            #expect(try RobustnessTests.frameCount(scratch.path("out.mkv")) == 2)
        }
        #expect(try RobustnessTests.listing(scratch) == ["fifo", "in.mp4"] + (redirection.contains("out.mkv") ? ["out.mkv"] : []))
        let links = try FileManager.default.attributesOfItem(atPath: "/dev/stdout")[.type] as? FileAttributeType
        #expect(links == .typeSymbolicLink)
        let null = try FileManager.default.attributesOfItem(atPath: "/dev/null")[.type] as? FileAttributeType
        #expect(null == .typeCharacterSpecial)
    }

    /// A run killed by SIGKILL cannot remove its temporary file; the next run on the same output does (and says
    /// so), leaving only the output. A temporary file of a live process is left alone.
    @Test func leftoverOfAKilledRunIsRemoved() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mkv"), output = scratch.path("out.mkv")
        try Fixtures.clip(input, size: "160x120", frames: 250, audio: nil)
        let (process, _) = try Self.start([input, "-o", output, "--scale", "2", "--preset", "ultrafast"])
        let deadline = Date().addingTimeInterval(20)
        while try !RobustnessTests.listing(scratch).contains(where: { $0.hasSuffix(".part") }) && Date() < deadline { usleep(20_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let leftovers = try RobustnessTests.listing(scratch).filter { $0.hasSuffix(".part") }
        try #require(leftovers.count == 1)
        let live = ".out.mkv.lutscale-\(getpid())-live.part"
        try Data().write(to: URL(fileURLWithPath: scratch.path(live)))
        let outcome = try RobustnessTests.lutscale([input, "-o", output, "--scale", "2", "--preset", "ultrafast", "--model", "bicubic"])
        #expect(outcome.status == 0, "\(outcome.errors)")
        #expect(outcome.errors.contains("removed \(leftovers[0])"), "\(outcome.errors)")
        #expect(try RobustnessTests.listing(scratch) == [live, "in.mkv", "out.mkv"].sorted())
    }

    // MARK: 7, 8. output formats by extension, colours through each

    /// Four flat quadrants, red, green, blue and white, as an RGB PNG of 32x32.
    static let quadrants: [[UInt8]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]

    /// The extension picks the encoder FFmpeg's tools would (it used to be JPEG in .bmp and .tiff, and H.264 that
    /// the gif and webp muxers refuse), and pure colours survive every trip, from an RGB PNG and from BT.709 YUV
    /// (JPEG, WebP and YUV TIFF are read as BT.601 whatever they are tagged: red came back as (232, 0, 3)).
    @Test(arguments: [("png", "png", 2), ("bmp", "bmp", 2), ("tiff", "tiff", 2), ("jpg", "mjpeg", 8), ("gif", "gif", 8),
                      ("webp", "webp", 12)], ["in.png", "in709.mkv"])
    func imageFormatByExtension(format: (ext: String, codec: String, tolerance: Int), source: String) throws {
        let (ext, codec, tolerance) = format
        let scratch = try Scratch()
        var rgb = [UInt8]()
        for y in 0..<32 { for x in 0..<32 { rgb += Self.quadrants[(y / 16) * 2 + x / 16] } }
        try Data(rgb).write(to: URL(fileURLWithPath: scratch.path("in.rgb")))
        let raw = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "32x32", "-i", scratch.path("in.rgb")]
        if source == "in.png" {
            try Fixtures.ffmpeg(raw + [scratch.path(source)])
        } else {
            try Fixtures.ffmpeg(raw + ["-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv444p", "-colorspace", "bt709",
                                       "-color_range", "tv", "-c:v", "libx264", "-qp", "0", scratch.path(source)])
        }
        let output = scratch.path("out.\(ext)")
        let outcome = try RobustnessTests.lutscale([scratch.path(source), "-o", output, "--scale", "2", "--model", "bicubic"])
        #expect(outcome.status == 0, "\(outcome.errors)")
        #expect(try Fixtures.videoStream(output)["codec_name"] == codec)
        try Fixtures.ffmpeg(["-i", output, "-f", "rawvideo", "-pix_fmt", "rgb24", scratch.path("out.rgb")])
        let decoded = [UInt8](try Data(contentsOf: URL(fileURLWithPath: scratch.path("out.rgb"))))
        try #require(decoded.count == 64 * 64 * 3)
        for (quadrant, colour) in Self.quadrants.enumerated() {
            let at = ((quadrant / 2 * 32 + 16) * 64 + quadrant % 2 * 32 + 16) * 3
            let got = Array(decoded[at..<at + 3])
            #expect(zip(got, colour).allSatisfy { abs(Int($0) - Int($1)) <= tolerance }, "\(source) -> \(ext): \(colour) came back as \(got)")
        }
    }

    /// An encoder the container cannot hold is refused before any frame is made, with nothing written.
    @Test func containerRefusingTheCodecIsRefusedUpFront() throws {
        let (scratch, input) = try Self.smallClip()
        let outcome = try RobustnessTests.lutscale([input, "-o", scratch.path("out.gif"), "--scale", "2", "--codec", "libx264"])
        try RobustnessTests.expectRefused(outcome, mentioning: "the gif container refuses this output (libx264 video)",
                                          in: scratch, files: ["in.mp4"])
        #expect(!outcome.errors.contains("frame "), "\(outcome.errors)")
    }

    // MARK: 5. pipes that end badly

    /// A y4m stream whose last frame is cut short or followed by garbage, and raw input that is not a whole number of
    /// frames: exit 1 naming the fault, after every complete frame was written (it used to be a varying number).
    @Test(arguments: ["cut", "garbage", "raw"])
    func everyCompleteFrameWrittenBeforeTheError(kind: String) throws {
        let scratch = try Scratch()
        let y4m = scratch.path("in.y4m")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-frames:v", "6", "-pix_fmt", "yuv420p",
                             "-f", "yuv4mpegpipe", y4m])
        var bytes = try Data(contentsOf: URL(fileURLWithPath: y4m))
        let frameBytes = 64 * 48 * 3 / 2
        var options = "--scale 2 --model bicubic"
        let message: String
        switch kind {
        case "cut":
            bytes.removeLast(frameBytes / 2)
            message = "frame 5 starting at byte"
        case "garbage":
            bytes.removeLast(frameBytes + 6)
            bytes += Data("GARBAGE\n".utf8) + Data(count: frameBytes)
            message = "expected FRAME for frame 5"
        default:
            try Fixtures.ffmpeg(["-i", y4m, "-f", "rawvideo", "-pix_fmt", "yuv420p", scratch.path("in.raw")])
            bytes = try Data(contentsOf: URL(fileURLWithPath: scratch.path("in.raw")))
            bytes.removeLast(100)
            options += " --raw-size 64x48 --pix-fmt yuv420p --fps 25 --raw"
            message = "frame 5 starting at byte"
        }
        try bytes.write(to: URL(fileURLWithPath: scratch.path("bad")))
        let result = try StreamTests.shell(#""$LUTSCALE" - -o - "# + options + " < bad > out", in: scratch)
        #expect(result.status == 1, "\(result.errors)")
        #expect(result.errors.contains(message), "\(result.errors)")
        let out = try Data(contentsOf: URL(fileURLWithPath: scratch.path("out")))
        let outFrame = 128 * 96 * 3 / 2
        // Raw: frames back to back; y4m: the header line, then "FRAME\n" and the samples for each.
        let header = kind == "raw" ? 0 : (out.firstIndex(of: UInt8(ascii: "\n")) ?? out.count) + 1
        let perFrame = kind == "raw" ? outFrame : 6 + outFrame
        #expect(out.count == header + 5 * perFrame, "\(out.count - header) bytes of frames, \(Double(out.count - header) / Double(perFrame)) frames")
    }
}

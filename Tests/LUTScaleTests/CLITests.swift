import Foundation
import TestSupport
import Testing

/// The built `lutscale` binary run as a subprocess, as users run it.
@Suite struct CLITests {
    /// `lutscale` sits in the build directory next to the test bundle (a file on Linux, a directory on macOS).
    static let binary: String = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 where !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("lutscale").path) {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("lutscale").path
    }()

    static func lutscale(_ arguments: [String]) throws -> Fixtures.ToolResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        return try Fixtures.collect(process)
    }

    @Test func upscalesAClipKeepingFramesTimestampsAndAudio() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mp4"), output = scratch.path("out.mp4")
        try Fixtures.clip(input, size: "160x120", frames: 8)
        let result = try Self.lutscale([input, "-o", output, "--scale", "2"])
        #expect(result.status == 0, "\(result.errors)")
        let video = try Fixtures.videoStream(output)
        #expect(video["width"] == "320" && video["height"] == "240" && video["nb_read_frames"] == "8")
        #expect(video["codec_name"] == "h264" && video["pix_fmt"] == "yuv420p")
        #expect(try Fixtures.frameTimes(output) == Fixtures.frameTimes(input))
        #expect(try Fixtures.packets(output, streams: "a") == Fixtures.packets(input, streams: "a"))
        // Progress lines (stderr is not a terminal here) and the one-line summary; nothing on stdout.
        #expect(result.errors.contains("frame 8/8"))
        #expect(result.errors.contains("8 frames 160x120 -> 320x240"))
        #expect(result.output.isEmpty)
    }

    @Test func exactSizeAndExplicitSubcommand() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mkv"), output = scratch.path("out.mkv")
        try Fixtures.clip(input, size: "128x72", frames: 3, audio: nil)
        let result = try Self.lutscale(["upscale", input, "-o", output, "--size", "384x216", "--model", "bicubic",
                                        "--preset", "ultrafast", "--crf", "23", "--quiet"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.errors.isEmpty)
        let video = try Fixtures.videoStream(output)
        #expect(video["width"] == "384" && video["height"] == "216" && video["nb_read_frames"] == "3")
    }

    @Test func stillImagesGoThroughTheSamePipeline() throws {
        let scratch = try Scratch()
        let input = scratch.path("photo.png")
        try Fixtures.clip(input, size: "50x30", frames: 1, pixelFormat: "rgb24", audio: nil, extra: ["-c:v", "png"])
        for (output, codec, format) in [("big.png", "png", "rgb24"), ("big.jpg", "mjpeg", "yuvj444p")] {
            let result = try Self.lutscale([input, "-o", scratch.path(output), "--scale", "3", "--planes", "all"])
            #expect(result.status == 0, "\(result.errors)")
            let video = try Fixtures.videoStream(scratch.path(output))
            #expect(video["codec_name"] == codec && video["width"] == "150" && video["height"] == "90" && video["pix_fmt"] == format)
        }
    }

    @Test func neverOverwritesWithoutYesNorTheInputEvenWithYes() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mp4"), output = scratch.path("out.mp4")
        try Fixtures.clip(input, size: "64x48", frames: 2)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: output))
        let refused = try Self.lutscale([input, "-o", output, "--scale", "2"])
        #expect(refused.status != 0 && refused.errors.contains("-y"))
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "keep me")
        let same = try Self.lutscale([input, "-o", scratch.url.path + "/./in.mp4", "--scale", "2", "-y"])
        #expect(same.status != 0 && same.errors.contains("is the input"))
        let replaced = try Self.lutscale([input, "-o", output, "--scale", "2", "-y", "-q"])
        #expect(replaced.status == 0)
        #expect(try Fixtures.videoStream(output)["width"] == "128")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted() == ["in.mp4", "out.mp4"])
    }

    @Test(arguments: [
        (["--scale", "1"], "above 1"),
        (["--scale", "2", "--size", "640x480"], "not both"),
        ([String](), "--scale S or --size WxH"),
        (["--size", "641x480"], "642x480"),
        (["--size", "100000x100000"], "too large"),
        (["--scale", "2", "--codec", "nope"], "unknown encoder 'nope'"),
        (["--scale", "2", "--model", "nope"], "unknown model 'nope'"),
        (["--scale", "2", "--codec", "png", "--crf", "10"], "--crf"),
    ])
    func refusesBadRequestsWithAClearMessage(arguments: [String], message: String) throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mp4")
        try Fixtures.clip(input, size: "64x48", frames: 2, audio: nil)
        let result = try Self.lutscale([input, "-o", scratch.path("out.mov")] + arguments)
        #expect(result.status != 0)
        #expect(result.errors.contains(message), "\(result.errors)")
        #expect(!result.errors.contains("Fatal error"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out.mov")))
    }
}

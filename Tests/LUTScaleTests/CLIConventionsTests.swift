import Foundation
import TestSupport
import Testing

/// The conventions of the FFmpeg family: -n, a log level that also governs the encoder libraries, encoder options
/// passed through, the output pixel format, completions, and models found wherever the binary is installed.
@Suite struct CLIConventionsTests {
    static func clip(_ scratch: Scratch) throws -> String {
        let input = scratch.path("in.mp4")
        try Fixtures.clip(input, size: "64x48", frames: 3, audio: nil)
        return input
    }

    @Test func noOverwriteRefusesAnExistingOutputAndRefusesYes() throws {
        let scratch = try Scratch()
        let input = try Self.clip(scratch), output = scratch.path("out.mp4")
        try Data("keep".utf8).write(to: URL(fileURLWithPath: output))
        let refused = try CLITests.lutscale([input, "-o", output, "--scale", "2", "-n"])
        #expect(refused.status == 1 && refused.errors.contains("exists"))
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "keep")
        let both = try CLITests.lutscale([input, "-o", output, "--scale", "2", "-n", "-y"])
        #expect(both.status == 64 && both.errors.contains("-n never does"))
    }

    /// x265 prints on its own, past FFmpeg's log: it follows the level too.
    @Test func logLevelGovernsX265() throws {
        let scratch = try Scratch()
        let input = try Self.clip(scratch)
        func run(_ extra: [String]) throws -> Fixtures.ToolResult {
            try CLITests.lutscale([input, "-o", scratch.path("out.mkv"), "--scale", "2", "-y", "--codec", "libx265", "--preset", "ultrafast"] + extra)
        }
        let normal = try run([])
        #expect(normal.status == 0 && !normal.errors.contains("x265 [") && normal.errors.contains("lutscale: 3 frames"), "\(normal.errors)")
        let quiet = try run(["-q"])
        #expect(quiet.status == 0 && quiet.errors.isEmpty, "\(quiet.errors)")
        let verbose = try run(["--loglevel", "verbose"])
        #expect(verbose.errors.contains("x265 [info]"))
        let silent = try CLITests.lutscale([input, "-o", scratch.path("out.mkv"), "--scale", "2", "-v", "quiet"])
        #expect(silent.status == 1 && silent.errors.isEmpty, "\(silent.errors)")
    }

    @Test func encoderOptionsAndOutputPixelFormatPassThrough() throws {
        let scratch = try Scratch()
        let input = try Self.clip(scratch)
        let hevc = scratch.path("ten.mkv")
        let result = try CLITests.lutscale([input, "-o", hevc, "--scale", "2", "-q", "--codec", "libx265", "--output-pix-fmt", "yuv420p10le",
                                            "--x265-params", "bframes=0", "--tune", "grain"])
        #expect(result.status == 0, "\(result.errors)")
        let stream = try Fixtures.videoStream(hevc)
        #expect(stream["codec_name"] == "hevc" && stream["pix_fmt"] == "yuv420p10le")

        let h264 = scratch.path("rate.mp4")
        let rated = try CLITests.lutscale([input, "-o", h264, "--scale", "2", "-q", "--bitrate", "200k", "--codec-option", "profile=baseline",
                                           "--x264-params", "keyint=2"])
        #expect(rated.status == 0, "\(rated.errors)")
        #expect(try Fixtures.ffprobe(["-show_entries", "stream=profile", "-of", "csv=p=0", h264]).contains("Baseline"))

        let wrong = try CLITests.lutscale([input, "-o", scratch.path("x.mp4"), "--scale", "2", "--x265-params", "bframes=0"])
        #expect(wrong.status != 0 && wrong.errors.contains("no option 'x265-params'"), "\(wrong.errors)")
        let format = try CLITests.lutscale([input, "-o", scratch.path("x.mp4"), "--scale", "2", "--output-pix-fmt", "rgb24"])
        #expect(format.status != 0 && format.errors.contains("libx264 does not take rgb24"), "\(format.errors)")
        let both = try CLITests.lutscale([input, "-o", scratch.path("x.mp4"), "--scale", "2", "--crf", "20", "--bitrate", "1M"])
        #expect(both.status == 64)
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsKnowTheOptions(shell: String) throws {
        let result = try CLITests.lutscale(["--generate-completion-script", shell])
        #expect(result.status == 0 && result.output.contains("deinterlace") && result.output.contains("loglevel"))
    }

    /// A binary installed under a prefix finds its models in PREFIX/share/lutscale/models, through a symbolic link too;
    /// one copied alone finds them where it was built.
    @Test func modelsAreFoundWhereverTheBinaryIs() throws {
        let scratch = try Scratch()
        let bin = scratch.path("prefix/bin"), models = scratch.path("prefix/share/lutscale/models")
        for folder in [bin, models, scratch.path("elsewhere")] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: CLITests.binary, toPath: bin + "/lutscale")
        let shipped = URL(fileURLWithPath: CLITests.binary).deletingLastPathComponent().appendingPathComponent("LUTScale_lutscale.resources/Models")
        try FileManager.default.copyItem(atPath: shipped.appendingPathComponent("lutscale-s-x2.lut").path, toPath: models + "/lutscale-s-x2.lut")
        try FileManager.default.createSymbolicLink(atPath: scratch.path("elsewhere/lutscale"), withDestinationPath: bin + "/lutscale")
        func listing(_ binary: String) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["models"]
            process.environment = ProcessInfo.processInfo.environment.filter { $0.key != "LUTSCALE_MODELS" }
            let result = try Fixtures.collect(process)
            #expect(result.status == 0, "\(result.errors)")
            return result.output
        }
        let installed = try listing(scratch.path("elsewhere/lutscale"))
        #expect(installed.contains("models in \(URL(fileURLWithPath: models).standardizedFileURL.path)"), "\(installed)")
        #expect(installed.contains("lutscale-s-x2") && !installed.contains("lutscale-sdy-x3"))

        try FileManager.default.removeItem(atPath: models)
        let alone = try listing(bin + "/lutscale")
        #expect(alone.contains("lutscale-sdy-x3") && alone.contains("Sources/lutscale/Models"), "\(alone)")
    }
}

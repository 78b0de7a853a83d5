import Foundation
import TestSupport
import Testing

/// The CLI with an "imlut" model: by path, among the shipped models (`LUTSCALE_MODELS`), listed by `models`,
/// measured by `eval` at a fractional scale. The model is the oracle fixture of the engine tests.
@Suite struct AnyScaleModelCLITests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../LUTEngineTests/Fixtures/imlut-oracle/model.lut").standardizedFileURL.path

    static func lutscale(_ arguments: [String], models: String) throws -> Fixtures.ToolResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["LUTSCALE_MODELS": models]) { $1 }
        return try Fixtures.collect(process)
    }

    /// A model folder with the imlut fixture beside a copy of one shipped fixed model.
    static func modelFolder(_ scratch: Scratch) throws -> String {
        let folder = scratch.path("models")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture, toPath: folder + "/oracle.lut")
        let shipped = URL(fileURLWithPath: CLITests.binary).deletingLastPathComponent().appendingPathComponent("LUTScale_lutscale.resources/Models")
        let x2 = try #require(try FileManager.default.contentsOfDirectory(atPath: shipped.path).first { $0.hasPrefix("lutscale-sdy-x2") })
        try FileManager.default.copyItem(atPath: shipped.appendingPathComponent(x2).path, toPath: folder + "/" + x2)
        return folder
    }

    @Test func modelsListsTheAnyScaleModelWithItsFigures() throws {
        let scratch = try Scratch()
        let result = try Self.lutscale(["models"], models: try Self.modelFolder(scratch))
        #expect(result.status == 0, "\(result.errors)")
        let line = try #require(result.output.split(separator: "\n").first { $0.hasPrefix("oracle-fixture") }, "\(result.output)")
        #expect(line.contains("any 1-8") && line.contains("KB") && line.contains("mix S:4+D:3+Y:4") && line.contains("2x2 (x1.5-3), 3x3 (x3.5-4) phase nodes"), "\(line)")
        #expect(result.output.contains("Set5 Y PSNR: x2 35.00, x4 29.00 dB"), "\(result.output)")
        #expect(result.output.contains("lutscale-sdy-x2"))
    }

    @Test func anyScaleModelByPathByNameAndAuto() throws {
        let scratch = try Scratch()
        let folder = try Self.modelFolder(scratch)
        let input = scratch.path("in.png")
        try Fixtures.clip(input, size: "40x30", frames: 1, pixelFormat: "rgb24", audio: nil, extra: ["-c:v", "png"])
        for (model, output, size) in [(Self.fixture, "a.png", ["--scale", "2.5"]), ("oracle-fixture", "b.png", ["--size", "100x45"]),
                                      ("auto", "c.png", ["--scale", "2.5"])] {
            let result = try Self.lutscale([input, "-o", scratch.path(output), "--model", model] + size, models: folder)
            #expect(result.status == 0, "\(model): \(result.errors)")
            // The summary names the model auto picked (the fixed x2 model does not serve 2.5).
            if model == "auto" { #expect(result.errors.contains("(auto: oracle-fixture,"), "\(result.errors)") }
            let video = try Fixtures.videoStream(scratch.path(output))
            let expected = size[0] == "--scale" ? ("100", "75") : ("100", "45")
            #expect(video["width"] == expected.0 && video["height"] == expected.1, "\(model): \(video)")
        }
        // An srlut-only reader would refuse the file; a damaged imlut names the file.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.fixture)))
        bytes[bytes.count / 2] ^= 1
        let damaged = scratch.path("damaged.lut")
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let bad = try Self.lutscale([input, "-o", scratch.path("d.png"), "--scale", "2.5", "--model", damaged], models: folder)
        #expect(bad.status != 0 && bad.errors.contains("damaged.lut") && bad.errors.contains("checksum"), "\(bad.errors)")
    }

    @Test func evalAtAFractionalScale() throws {
        let scratch = try Scratch()
        let hr = scratch.path("hr"), lr = scratch.path("lr")
        for dir in [hr, lr] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try Fixtures.clip(hr + "/a.png", size: "60x40", frames: 1, pixelFormat: "rgb24", audio: nil, extra: ["-c:v", "png"])
        try Fixtures.ffmpeg(["-i", hr + "/a.png", "-vf", "scale=24:16:flags=bicubic", lr + "/a.png"])
        let saved = scratch.path("saved")
        let result = try Self.lutscale(["eval", "--hr", hr, "--lr", lr, "--scale", "2.5", "--model", Self.fixture, "--save", saved],
                                       models: scratch.path("none"))
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("oracle-fixture PSNR") && result.output.contains("mean"), "\(result.output)")
        // --save writes what `lutscale LR -o SR.png` gives, and replaces it only with -y.
        let image = try Fixtures.videoStream(saved + "/a.png")
        #expect(image["width"] == "60" && image["height"] == "40", "\(image)")
        let direct = scratch.path("direct.png")
        let upscale = try Self.lutscale([lr + "/a.png", "-o", direct, "--scale", "2.5", "--model", Self.fixture], models: scratch.path("none"))
        #expect(upscale.status == 0, "\(upscale.errors)")
        func pixels(_ path: String) throws -> String { try Fixtures.run("ffmpeg", ["-v", "error", "-i", path, "-f", "framemd5", "-"]).output }
        #expect(try pixels(saved + "/a.png") == pixels(direct))
        let again = try Self.lutscale(["eval", "--hr", hr, "--lr", lr, "--scale", "2.5", "--model", Self.fixture, "--save", saved],
                                      models: scratch.path("none"))
        #expect(again.status != 0 && again.errors.contains("exists"), "\(again.errors)")
        let forced = try Self.lutscale(["eval", "--hr", hr, "--lr", lr, "--scale", "2.5", "--model", Self.fixture, "--save", saved, "-y"],
                                       models: scratch.path("none"))
        #expect(forced.status == 0, "\(forced.errors)")
    }
}

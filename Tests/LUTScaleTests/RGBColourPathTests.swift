import Foundation
import TestSupport
import Testing

/// RGB stills go through the colour path the models learnt (8-bit BT.601 limited-range Y): the CLI's result scores
/// what `lutscale eval` reports for the same model; deep and transparent PNGs keep their depth and alpha.
@Suite struct RGBColourPathTests {
    static let set5 = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/benchmarks/Set5").path

    /// The protocol's Y PSNR (BT.601 limited range from RGB, peak 255, `shave` pixels off each border, common
    /// top-left area) of two RGB images, decoded by the ffmpeg CLI.
    static func yPSNR(_ candidate: String, _ truth: String, shave: Int, scratch: Scratch) throws -> Double {
        func luma(_ path: String) throws -> (width: Int, height: Int, y: [Double]) {
            let size = try Fixtures.ffprobe(["-show_entries", "stream=width,height", "-of", "csv=p=0", path])
                .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").compactMap { Int($0) }
            let raw = scratch.path(UUID().uuidString + ".rgb")
            try Fixtures.ffmpeg(["-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", raw])
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
            let y = stride(from: 0, to: bytes.count, by: 3).map { (i: Int) -> Double in
                let (r, g, b) = (Double(bytes[i]), Double(bytes[i + 1]), Double(bytes[i + 2]))
                let weighted: Double = 65.481 * r + 128.553 * g + 24.966 * b
                return 16 + weighted / 255
            }
            return (size[0], size[1], y)
        }
        let a = try luma(candidate), b = try luma(truth)
        var sum = 0.0, count = 0
        for row in shave..<(min(a.height, b.height) - shave) {
            for column in shave..<(min(a.width, b.width) - shave) {
                let e = a.y[row * a.width + column] - b.y[row * b.width + column]
                sum += e * e
                count += 1
            }
        }
        return 10 * log10(255 * 255 / (sum / Double(count)))
    }

    /// `lutscale eval`'s per-image PSNR of the default model.
    static func evalPSNR(hr: String, lr: String, scale: Int) throws -> [String: Double] {
        let result = try CLITests.lutscale(["eval", "--hr", hr, "--lr", lr, "--scale", "\(scale)"])
        try #require(result.status == 0, "\(result.errors)")
        var figures: [String: Double] = [:]
        for line in result.output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 1, fields[0].hasSuffix(".png"), let psnr = Double(fields[1]) { figures[String(fields[0])] = psnr }
        }
        return figures
    }

    /// x2 and x3 on all of Set5; x4 (the slow any-scale model in a debug build) on one image.
    @Test(arguments: [(2, ["baby", "bird", "butterfly", "head", "woman"]), (3, ["baby", "bird", "butterfly", "head", "woman"]), (4, ["bird"])])
    func cliScoresWhatEvalReports(scale: Int, images: [String]) throws {
        let scratch = try Scratch()
        let hr = scratch.path("HR"), lr = scratch.path("LR")
        for folder in [hr, lr] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        for image in images {
            try FileManager.default.copyItem(atPath: "\(Self.set5)/HR/\(image).png", toPath: "\(hr)/\(image).png")
            try FileManager.default.copyItem(atPath: "\(Self.set5)/LR_bicubic/X\(scale)/\(image).png", toPath: "\(lr)/\(image).png")
        }
        let reported = try Self.evalPSNR(hr: hr, lr: lr, scale: scale)
        #expect(reported.count == images.count)
        for image in images {
            let output = scratch.path("\(image)-x\(scale).png")
            let result = try CLITests.lutscale(["\(lr)/\(image).png", "-o", output, "--scale", "\(scale)", "-q"])
            try #require(result.status == 0, "\(result.errors)")
            let measured = try Self.yPSNR(output, "\(hr)/\(image).png", shave: scale, scratch: scratch)
            let expected = try #require(reported["\(image).png"])
            #expect(abs(measured - expected) <= 0.02, "\(image) x\(scale): CLI \(measured) dB, eval \(expected) dB")
        }
    }

    @Test func sixteenBitPNGStaysSixteenBit() throws {
        let scratch = try Scratch()
        let input = scratch.path("deep.png"), output = scratch.path("out.png")
        try Fixtures.clip(input, size: "48x32", frames: 1, pixelFormat: "rgb48be", audio: nil, extra: ["-c:v", "png"])
        let result = try CLITests.lutscale([input, "-o", output, "--scale", "2"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(try Fixtures.videoStream(output)["pix_fmt"] == "rgb48be")
    }

    /// A half-transparent picture keeps its alpha, upscaled with it.
    @Test func alphaIsKept() throws {
        let scratch = try Scratch()
        let input = scratch.path("alpha.png"), output = scratch.path("out.png")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=48x32", "-frames:v", "1", "-vf", "format=rgba,colorchannelmixer=aa=0.5",
                             "-c:v", "png", input])
        let result = try CLITests.lutscale([input, "-o", output, "--scale", "2"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(try Fixtures.videoStream(output)["pix_fmt"] == "rgba")
        let raw = scratch.path("alpha.raw")
        try Fixtures.ffmpeg(["-i", output, "-f", "rawvideo", "-pix_fmt", "rgba", raw])
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
        #expect(bytes.count == 96 * 64 * 4)
        #expect(stride(from: 3, to: bytes.count, by: 4).allSatisfy { (126...129).contains(bytes[$0]) })
    }
}

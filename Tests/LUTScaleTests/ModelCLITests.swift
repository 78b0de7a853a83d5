import Foundation
import TestSupport
import Testing

/// `--model`, `models` and `eval` against the published SR-LUT tables and Set5 in ../shared.
@Suite struct ModelCLITests {
    static let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared").standardizedFileURL.path
    static let set5 = ["baby", "bird", "butterfly", "head", "woman"]

    static func table(_ scale: Int) -> String { "\(shared)/reference/srlut/Model_S_x\(scale)_4bit_int8.npy" }

    /// rgb24 bytes of an image, decoded by the ffmpeg CLI, and its size from ffprobe.
    static func rgb(_ path: String) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        let size = try Fixtures.ffprobe(["-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", path])
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").compactMap { Int($0) }
        try #require(size.count == 2, "no size for \(path)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0 && data.count == 3 * size[0] * size[1], "decoding \(path)")
        return (size[0], size[1], [UInt8](data))
    }

    /// The mean line of `lutscale eval`: model PSNR, model SSIM, bicubic PSNR, bicubic SSIM.
    static func evalMeans(_ arguments: [String]) throws -> [Double] {
        let result = try CLITests.lutscale(["eval"] + arguments)
        try #require(result.status == 0, "\(result.errors)")
        let line = try #require(result.output.split(separator: "\n").first { $0.hasPrefix("mean") })
        return line.split(whereSeparator: { $0 == " " || $0 == "/" }).dropFirst().compactMap { Double($0) }
    }

    @Test(arguments: [2, 3, 4])
    func pngThroughTheCLIReproducesThePublishedSRLUTOutputs(scale: Int) throws {
        let scratch = try Scratch()
        var within = 0, total = 0
        for name in Self.set5 {
            let output = scratch.path("\(name).png")
            let result = try CLITests.lutscale(["\(Self.shared)/benchmarks/Set5/LR_bicubic/X\(scale)/\(name).png", "-o", output,
                                                "--scale", "\(scale)", "--model", Self.table(scale), "--planes", "all", "--quiet"])
            #expect(result.status == 0, "\(result.errors)")
            let ours = try Self.rgb(output)
            let published = try Self.rgb("\(Self.shared)/reference/srlut/outputs/X\(scale)/\(name).png")
            // The published files are cropped to the HR size; compare over theirs.
            for y in 0..<published.height {
                for x in 0..<3 * published.width {
                    total += 1
                    if abs(Int(ours.pixels[y * 3 * ours.width + x]) - Int(published.pixels[y * 3 * published.width + x])) <= 1 { within += 1 }
                }
            }
        }
        // The reference code mis-orders one simplex case; a correct engine agrees on >= 99.8% within +-1.
        #expect(Double(within) / Double(total) >= 0.998, "\(within) of \(total) within +-1")
    }

    @Test func evalMeasuresThePublishedTablesAndBicubic() throws {
        let expected = [2: 35.51, 3: 31.97, 4: 29.83]
        let bicubic = [2: 33.66, 3: 30.39, 4: 28.42]
        for scale in [2, 3, 4] {
            let means = try Self.evalMeans(["--hr", "\(Self.shared)/benchmarks/Set5/HR", "--lr", "\(Self.shared)/benchmarks/Set5/LR_bicubic/X\(scale)",
                                            "--scale", "\(scale)", "--model", Self.table(scale), "--planes", "all"])
            try #require(means.count == 4)
            #expect(abs(means[0] - expected[scale]!) <= 0.02, "x\(scale): \(means[0]) dB")
            #expect(abs(means[2] - bicubic[scale]!) <= 0.03, "bicubic x\(scale): \(means[2]) dB")
            #expect(means[1] > means[3], "SSIM of SR-LUT above bicubic's")
        }
    }

    @Test func shippedModelsBeatBicubicByAMargin() throws {
        let listing = try CLITests.lutscale(["models"])
        #expect(listing.status == 0, "\(listing.errors)")
        #expect(listing.output.contains("x3"), "\(listing.output)")
        for scale in [2, 3, 4] {
            let means = try Self.evalMeans(["--hr", "\(Self.shared)/benchmarks/Set5/HR", "--lr", "\(Self.shared)/benchmarks/Set5/LR_bicubic/X\(scale)",
                                            "--scale", "\(scale)"])
            #expect(means[0] > means[2] + 1.2, "auto x\(scale): \(means[0]) dB vs bicubic \(means[2]) dB")
        }
    }

    /// The shipped set: under 2 MB in all, and every Set5 figure a model records (what `auto` and `--preview` choose
    /// by) is what `lutscale eval` measures now, at the integer scales Set5 has LR images for.
    @Test func shippedModelsFitIn2MBAndRecordWhatEvalMeasures() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/lutscale/Models")
            .standardizedFileURL.path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".lut") }.sorted()
        #expect(files.count >= 4, "\(files)")
        var total = 0
        for file in files {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))
            total += bytes.count
            // Container: magic (8 bytes), version (4), JSON header length (4, little-endian), JSON header.
            let length = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
            let header = try #require(try JSONSerialization.jsonObject(with: bytes[16..<16 + length]) as? [String: Any])
            let name = try #require(header["name"] as? String)
            let recorded = try #require((header["metadata"] as? [String: Any])?["set5_y_psnr"] as? [String: Double], "\(file)")
            let scales = header["kind"] as? String == "imlut" ? [2, 3, 4] : [try #require(header["scale"] as? Int)]
            for scale in scales {
                let means = try Self.evalMeans(["--hr", "\(Self.shared)/benchmarks/Set5/HR", "--lr", "\(Self.shared)/benchmarks/Set5/LR_bicubic/X\(scale)",
                                                "--scale", "\(scale)", "--model", name])
                let figure = try #require(recorded["\(scale)"], "\(file) records no x\(scale) figure")
                #expect(abs(means[0] - figure) <= 0.01, "\(name) x\(scale): eval \(means[0]) dB, recorded \(figure) dB")
            }
        }
        #expect(total < 2_000_000, "shipped models: \(total) bytes")
    }

    @Test func unknownAndDamagedModelsAreRefused() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.png")
        try Fixtures.clip(input, size: "32x24", frames: 1, pixelFormat: "rgb24", audio: nil, extra: ["-c:v", "png"])
        let unknown = try CLITests.lutscale([input, "-o", scratch.path("a.png"), "--scale", "2", "--model", "no-such-model"])
        #expect(unknown.status != 0 && unknown.errors.contains("unknown model 'no-such-model'"))
        let damaged = scratch.path("damaged.lut")
        try Data("LUTSCALE not really a model".utf8).write(to: URL(fileURLWithPath: damaged))
        let bad = try CLITests.lutscale([input, "-o", scratch.path("b.png"), "--scale", "2", "--model", damaged])
        #expect(bad.status != 0 && bad.errors.contains("damaged.lut"), "\(bad.errors)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("a.png")) && !FileManager.default.fileExists(atPath: scratch.path("b.png")))
    }
}

import Foundation
import LUTEngine
import Testing

/// `--preview` without `--model`: for each scale, the cheapest shipped model that is at least 0.8 dB over bicubic on
/// Set5 (bicubic: 33.66 dB at x2, 30.39 dB at x3), through the CLI with a models folder of its own.
@Suite struct PreviewModelTests {
    /// A small model of `luts` S tables with `rotations` each and `levels` sampling levels, recording `psnr` (if any)
    /// as its Set5 figure. The tables are zero: only the choice is under test here.
    static func writeModel(_ name: String, scale: Int, luts: Int, rotations: Int = 4, levels: Int = 2, psnr: Double?,
                           in directory: String) throws {
        let levelValues = (0..<levels).map { $0 * 256 / (levels - 1) }
        let entries = levels * levels * levels * levels
        let table = LUTModelSpec.Table(entries: entries, outputs: scale * scale,
                                       values: .int8([Int8](repeating: 0, count: entries * scale * scale)))
        let lut = LUTModelSpec.LUT(pattern: .s, rotations: rotations, levels: levelValues, table: table)
        let spec = LUTModelSpec(name: name, scale: scale,
                                stages: [.init(upscale: scale, luts: [LUTModelSpec.LUT](repeating: lut, count: luts))],
                                metadata: psnr.map { [.init("set5_y_psnr", .object([.init("\(scale)", .double($0))]))] } ?? [])
        try LUTFile.write(spec, to: "\(directory)/\(name).lut")
    }

    /// The model name in the summary line's parentheses, after a run of `options` on a small clip.
    static func modelUsed(_ options: String, models: String, in scratch: Scratch) throws -> Fixtures.ToolResult {
        try StreamTests.shell("""
            \(StreamTests.ff) -f lavfi -i testsrc2=size=64x48:rate=25 -frames:v 2 -pix_fmt yuv420p -f yuv4mpegpipe - \
              | LUTSCALE_MODELS='\(models)' "$LUTSCALE" - -o - \(options) > /dev/null
            """, in: scratch)
    }

    @Test func picksTheCheapestModelThatIsRealSuperResolution() throws {
        let scratch = try Scratch()
        let models = scratch.path("models")
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        try Self.writeModel("x3-three-tables", scale: 3, luts: 3, psnr: 32.2, in: models)     // 12 reads, +1.81 dB
        try Self.writeModel("x3-one-table", scale: 3, luts: 1, psnr: 31.3, in: models)         // 4 reads, +0.91 dB
        try Self.writeModel("x3-finer-table", scale: 3, luts: 1, levels: 3, psnr: 31.5, in: models) // 4 reads, larger
        try Self.writeModel("x3-not-sr", scale: 3, luts: 1, rotations: 1, psnr: 30.9, in: models)  // 1 read, +0.51 dB
        try Self.writeModel("x2-one-table", scale: 2, luts: 1, psnr: 34.5, in: models)          // +0.84 dB

        for (options, expected) in [("--scale 3 --preview", "(preview: x3-one-table)"),
                                    ("--scale 2 --preview", "(preview: x2-one-table)"),
                                    ("--scale 2.5 --preview", "(preview: x3-one-table)"),
                                    // An explicit model wins over the preview choice.
                                    ("--scale 3 --preview --model x3-three-tables", "(x3-three-tables)"),
                                    ("--scale 3 --preview --model bicubic", "(bicubic)")] {
            let result = try Self.modelUsed(options, models: models, in: scratch)
            #expect(result.status == 0, "\(options): \(result.errors)")
            #expect(result.errors.contains(expected), "\(options): \(result.errors)")
        }
    }

    @Test func refusesWhenNoShippedModelIsRealSuperResolution() throws {
        let scratch = try Scratch()
        let models = scratch.path("models")
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        try Self.writeModel("x3-not-sr", scale: 3, luts: 1, psnr: 31.1, in: models)            // +0.71 dB
        // A model without a Set5 figure is not known to be super-resolution.
        try Self.writeModel("x2-unrated", scale: 2, luts: 1, psnr: nil, in: models)
        let result = try Self.modelUsed("--scale 3 --preview", models: models, in: scratch)
        #expect(result.status != 0)
        #expect(result.errors.contains("0.8 dB over bicubic"), "\(result.errors)")
        #expect(try Self.modelUsed("--scale 3 --preview --model x3-not-sr", models: models, in: scratch).status == 0)
    }
}

import Foundation
import LUTEngine
import TestSupport
import Testing

/// `--preview` without `--model`: the best model (by its Set5 figure) that keeps up with the stream, through the CLI
/// with a models folder of its own.
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

    /// The summary of a run of `options` on a small clip at 1 frame a second: slow enough that every model keeps
    /// up, so the choice does not depend on this machine's speed (tests time nothing).
    static func modelUsed(_ options: String, models: String, in scratch: Scratch) throws -> Fixtures.ToolResult {
        try StreamTests.shell("""
            \(StreamTests.ff) -f lavfi -i testsrc2=size=64x48:rate=1 -frames:v 2 -pix_fmt yuv420p -f yuv4mpegpipe - \
              | LUTSCALE_MODELS='\(models)' "$LUTSCALE" - -o - \(options) > /dev/null
            """, in: scratch)
    }

    @Test func picksTheBestModelThatKeepsUp() throws {
        let scratch = try Scratch()
        let models = scratch.path("models")
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        try Self.writeModel("x3-three-tables", scale: 3, luts: 3, psnr: 32.2, in: models)
        try Self.writeModel("x3-one-table", scale: 3, luts: 1, psnr: 31.3, in: models)
        try Self.writeModel("x3-unrated", scale: 3, luts: 1, rotations: 1, psnr: nil, in: models)
        try Self.writeModel("x2-one-table", scale: 2, luts: 1, psnr: 34.5, in: models)

        for (options, expected) in [("--scale 3 --preview", "(preview: x3-three-tables: the best that keeps up here"),
                                    ("--scale 2 --preview", "(preview: x2-one-table: the best that keeps up here"),
                                    // No model serves x2.5 as it is: the best that reaches it, bridged.
                                    ("--scale 2.5 --preview", "(preview: x3-three-tables: the best that keeps up here"),
                                    // An explicit model wins over the preview choice.
                                    ("--scale 3 --preview --model x3-one-table", "(x3-one-table)"),
                                    ("--scale 3 --preview --model bicubic", "(bicubic)")] {
            let result = try Self.modelUsed(options, models: models, in: scratch)
            #expect(result.status == 0, "\(options): \(result.errors)")
            #expect(result.errors.contains(expected), "\(options): \(result.errors)")
        }
    }

    @Test func withoutARatedModelTheUnratedOneAndThenLanczos() throws {
        let scratch = try Scratch()
        let models = scratch.path("models")
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        try Self.writeModel("x2-unrated", scale: 2, luts: 1, psnr: nil, in: models)
        let result = try Self.modelUsed("--scale 2 --preview", models: models, in: scratch)
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.errors.contains("(preview: x2-unrated: the best that keeps up here"), "\(result.errors)")
        // A folder without models: Lanczos alone.
        let empty = scratch.path("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let lanczos = try Self.modelUsed("--scale 2 --preview", models: empty, in: scratch)
        #expect(lanczos.status == 0, "\(lanczos.errors)")
        #expect(lanczos.errors.contains("(preview: lanczos3: the best that keeps up here"), "\(lanczos.errors)")
    }
}

import Foundation
import LUTEngine
import TestSupport
import Testing
import VideoCore
@testable import Pipeline

/// The catalog knows models by their headers and loads one when a job needs it; `auto` picks as `AnyScaleUpscaler`
/// over every model would.
@Suite struct ModelCatalogTests {
    /// A zero-table S model of `scale` recording `psnr` as its Set5 figure.
    static func writeModel(_ name: String, scale: Int, psnr: Double?, in directory: String) throws {
        let table = LUTModelSpec.Table(entries: 16, outputs: scale * scale, values: .int8([Int8](repeating: 0, count: 16 * scale * scale)))
        let spec = LUTModelSpec(name: name, scale: scale,
                                stages: [.init(upscale: scale, luts: [.init(pattern: .s, rotations: 1, levels: [0, 256], table: table)])],
                                metadata: psnr.map { [.init("set5_y_psnr", .object([.init("\(scale)", .double($0))]))] } ?? [])
        try LUTFile.write(spec, to: "\(directory)/\(name).lut")
    }

    static func folder(_ scratch: Scratch) throws -> String {
        let models = scratch.path("models")
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        try writeModel("b-x3", scale: 3, psnr: 31.0, in: models)
        try writeModel("a-x2", scale: 2, psnr: 34.0, in: models)
        try writeModel("c-x2-better", scale: 2, psnr: 34.5, in: models)
        return models
    }

    @Test func modelsAreReadWhenFirstUsed() throws {
        let scratch = try Scratch()
        let models = try Self.folder(scratch)
        // A damaged table (the checksum no longer matches): the header is fine, so the catalog opens ...
        let damaged = models + "/b-x3.lut"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: damaged))
        bytes[bytes.count - 10] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let catalog = try ModelCatalog(directory: models)
        #expect(catalog.entries.map(\.name) == ["a-x2", "c-x2-better", "b-x3"])
        // ... x2 never reads it ...
        let auto = try catalog.auto()
        let x2 = (input: PlaneSize(width: 10, height: 8), output: PlaneSize(width: 20, height: 16))
        _ = try auto.makePlan(input: x2.input, output: x2.output, bitDepth: 8)
        #expect(auto.describe(input: x2.input, output: x2.output) == "auto: c-x2-better")
        // ... and x3 says what is wrong with it.
        #expect(throws: UpscaleError.self) { try auto.makePlan(input: x2.input, output: PlaneSize(width: 30, height: 24), bitDepth: 8) }
    }

    @Test func autoPicksAsTheUpscalerOverEveryLoadedModel() throws {
        let scratch = try Scratch()
        let catalog = try ModelCatalog(directory: try Self.folder(scratch))
        let loaded = try catalog.entries.map { entry -> LUTModel in
            guard case let .fixed(model) = try catalog.model(entry) else { throw CatalogError.noModels(directory: "") }
            return model
        }
        let all = AnyScaleUpscaler(name: "auto", models: loaded)
        let auto = try catalog.auto()
        let input = PlaneSize(width: 12, height: 10)
        for (w, h) in [(24, 20), (36, 30), (30, 25), (60, 50), (10, 8), (24, 30)] {
            let output = PlaneSize(width: w, height: h)
            #expect(auto.describe(input: input, output: output) == all.describe(input: input, output: output), "\(w)x\(h)")
        }
    }

    @Test func previewCandidatesBestFirstThenLanczos() throws {
        let scratch = try Scratch()
        let catalog = try ModelCatalog(directory: try Self.folder(scratch))
        let input = PlaneSize(width: 12, height: 10)
        #expect(catalog.previewCandidates(input: input, output: PlaneSize(width: 24, height: 20)).map(\.name) == ["c-x2-better", "a-x2", "b-x3", "lanczos3"])
        #expect(catalog.previewCandidates(input: input, output: PlaneSize(width: 36, height: 30)).map(\.name) == ["b-x3", "c-x2-better", "a-x2", "lanczos3"])
        // x2.5: served by none as it is; x3 reaches it, the x2 models fall short.
        #expect(catalog.previewCandidates(input: input, output: PlaneSize(width: 30, height: 25)).map(\.name) == ["b-x3", "c-x2-better", "a-x2", "lanczos3"])
    }
}

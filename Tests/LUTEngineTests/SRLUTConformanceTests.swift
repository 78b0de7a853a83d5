import Foundation
import Testing
import VideoCore
@testable import LUTEngine

/// SR-LUT conformance on Set5 (per RGB channel, as the reference implementation runs).
@Suite struct SRLUTConformanceTests {
    struct Case {
        var name: String
        var lr: RGBImage
        var hr: RGBImage
        var published: RGBImage
    }

    /// Set5 decoded once for all tests: scale -> images.
    static let set5: Result<[Int: [Case]], Error> = Result {
        let hr = try TestData.set5Names.map { try RGBImage.read(TestData.set5HR($0)) }
        return try Dictionary(uniqueKeysWithValues: [2, 3, 4].map { scale in
            (scale, try TestData.set5Names.enumerated().map { i, name in
                Case(name: name, lr: try RGBImage.read(TestData.set5LR(name, scale: scale)), hr: hr[i],
                     published: try RGBImage.read(TestData.published(name, scale: scale)))
            })
        })
    }

    static func cases(scale: Int) throws -> [Case] { try set5.get()[scale]! }

    static let references: [Int: (correct: ReferenceLUT, quirk: ReferenceLUT)] = Dictionary(uniqueKeysWithValues: [2, 3, 4].map {
        let spec = TestData.srlut[$0]!.spec
        return ($0, (ReferenceLUT(spec: spec, quirk: false), ReferenceLUT(spec: spec, quirk: true)))
    })

    /// The slow reference, per channel, cropped to `width` x `height`.
    static func reference(_ lr: RGBImage, scale: Int, quirk: Bool, width: Int, height: Int) -> RGBImage {
        let reference = quirk ? references[scale]!.quirk : references[scale]!.correct
        let channels = (0..<3).map { reference.run(lr.channel($0), width: lr.width, height: lr.height, bitDepth: 8) }
        return RGBImage(channels: channels, stride: lr.width * scale, width: width, height: height)
    }

    /// The fast engine, per channel, at `width` x `height` (a crop of scale x LR where they differ).
    static func engine(_ lr: RGBImage, scale: Int, width: Int, height: Int) throws -> RGBImage {
        let model = TestData.srlut[scale]!
        let size = PlaneSize(width: width, height: height)
        let channels = try (0..<3).map { try model.upscale(lr.channel($0), width: lr.width, height: lr.height, output: size, workers: 2) }
        return RGBImage(channels: channels, stride: width, width: width, height: height)
    }

    static func yPSNR(_ sr: RGBImage, _ hr: RGBImage, shave: Int) -> Double {
        Metrics.psnr(Metrics.luma(rgb: sr.pixels), Metrics.luma(rgb: hr.pixels), width: sr.width, height: sr.height,
                     strideA: sr.width, strideB: hr.width, shave: shave)
    }

    @Test("reference with the quirk reproduces the published outputs bit for bit", arguments: [2, 3, 4])
    func quirkReferenceIsBitExact(scale: Int) throws {
        for c in try Self.cases(scale: scale) {
            let out = Self.reference(c.lr, scale: scale, quirk: true, width: c.published.width, height: c.published.height)
            let differing = zip(out.pixels, c.published.pixels).filter { $0 != $1 }.count
            #expect(differing == 0, "x\(scale) \(c.name): \(differing) values differ")
        }
    }

    @Test("engine equals the correct-simplex reference bit for bit on Set5", arguments: [2, 3, 4])
    func engineEqualsReference(scale: Int) throws {
        for c in try Self.cases(scale: scale) {
            let (w, h) = (c.published.width, c.published.height)
            let expected = Self.reference(c.lr, scale: scale, quirk: false, width: w, height: h)
            let out = try Self.engine(c.lr, scale: scale, width: w, height: h)
            let differing = zip(out.pixels, expected.pixels).filter { $0 != $1 }.count
            #expect(differing == 0, "x\(scale) \(c.name): \(differing) values differ")
        }
    }

    @Test("engine is within the documented distance of the published outputs", arguments: [(2, 35.51), (3, 31.97), (4, 29.83)])
    func engineMatchesPublishedFigures(scale: Int, publishedPSNR: Double) throws {
        var within = 0, total = 0
        var psnr = 0.0
        for c in try Self.cases(scale: scale) {
            let out = try Self.engine(c.lr, scale: scale, width: c.published.width, height: c.published.height)
            within += zip(out.pixels, c.published.pixels).filter { abs(Int($0) - Int($1)) <= 1 }.count
            total += out.pixels.count
            psnr += Self.yPSNR(out, c.hr, shave: scale)
        }
        psnr /= Double(TestData.set5Names.count)
        #expect(Double(within) / Double(total) >= 0.998, "x\(scale): \(within) of \(total) within +-1")
        #expect(abs(psnr - publishedPSNR) <= 0.02, "x\(scale): Set5 Y PSNR \(psnr) dB, published \(publishedPSNR)")
    }
}

/// The models LUTScale ships (trained by Tools/Training, non-power-of-two table scales, S+D+Y tables): the
/// engine must reproduce the Set5 figure the training tools' NumPy inference recorded in each file.
@Suite struct ShippedModelTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/lutscale/Models")

    /// The shipped srlut models (the imlut model's figures are checked with `eval`).
    static var models: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { file in
            guard file.hasSuffix(".lut"), case .srlut? = try? LUTFile.readContents(path: folder.appendingPathComponent(file).path) else { return false }
            return true
        }.sorted()
    }

    @Test("shipped models reproduce their recorded Set5 Y PSNR", arguments: models)
    func recordedFigure(file: String) throws {
        let model = try LUTModel.load(path: Self.folder.appendingPathComponent(file).path)
        let scale = model.scale
        let recorded = try #require(model.spec.metadata.first { $0.key == "set5_y_psnr" }?.value["\(scale)"]?.numberValue)
        var psnr = 0.0
        for c in try SRLUTConformanceTests.cases(scale: scale) {
            // The protocol of the recorded figure: the model on the LR's 8-bit Y plane (NumPy rounding).
            let y = Metrics.luma(rgb: c.lr.pixels).map { Int(min(max($0.rounded(.toNearestOrEven), 0), 255)) }
            let size = PlaneSize(width: c.hr.width, height: c.hr.height)
            let out = try model.upscale(y, width: c.lr.width, height: c.lr.height, output: size, workers: 2)
            psnr += Metrics.psnr(out.map(Double.init), Metrics.luma(rgb: c.hr.pixels), width: size.width, height: size.height, shave: scale)
        }
        psnr /= Double(TestData.set5Names.count)
        #expect(abs(psnr - recorded) <= 0.003, "\(file): \(psnr) dB, recorded \(recorded)")
    }
}

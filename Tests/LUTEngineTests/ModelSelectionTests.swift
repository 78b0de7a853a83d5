import Foundation
import Testing
import VideoCore
@testable import LUTEngine

/// `AnyScaleUpscaler`'s choice among fixed-scale and any-scale models by their recorded Set5 figures, with
/// fixture models (tiny tables, made-up figures).
@Suite struct ModelSelectionTests {
    static func figures(_ values: [(String, Double)]) -> [JSONMember] {
        [.init("set5_y_psnr", .object(values.map { .init($0.0, .double($0.1)) }))]
    }

    static func fixed(_ scale: Int, psnr: Double?) -> LUTModel {
        let lut = LUTModelSpec.LUT(pattern: .s, rotations: 1, levels: [0, 256],
                                   table: .init(entries: 16, outputs: scale * scale, values: .int8(Array(repeating: 100, count: 16 * scale * scale))))
        return try! LUTModel(LUTModelSpec(name: "fixed-x\(scale)", scale: scale, stages: [.init(upscale: scale, luts: [lut])],
                                          metadata: psnr.map { figures([("\(scale)", $0)]) } ?? []))
    }

    static func anyScale(_ figures: [(String, Double)], name: String = "imlut") -> IMLUTModel {
        var spec = IMLUTTests.small
        spec.name = name
        spec.metadata = Self.figures(figures)
        return try! IMLUTModel(spec)
    }

    static let imlutFigures = [("1.5", 35.0), ("2", 35.5), ("3", 32.5), ("4", 29.5)]

    static func chosen(_ upscaler: AnyScaleUpscaler, _ input: PlaneSize, _ output: PlaneSize) -> String {
        switch upscaler.choice(input: input, output: output) {
        case let .fixed(model): model.name
        case let .anyScale(model): model.name
        case .resampler: "resampler"
        }
    }

    @Test func theHigherFigureAmongModelsThatServeWins() throws {
        let auto = AnyScaleUpscaler(name: "auto", models: [Self.fixed(2, psnr: 36.0), Self.fixed(3, psnr: 32.0), Self.fixed(4, psnr: 30.0)],
                                    anyScale: [Self.anyScale(Self.imlutFigures)])
        let input = PlaneSize(width: 20, height: 10)
        func size(_ w: Int, _ h: Int) -> PlaneSize { PlaneSize(width: w, height: h) }
        let cases: [(PlaneSize, String)] = [
            (size(40, 20), "fixed-x2"),    // 36.0 over 35.5
            (size(60, 30), "imlut"),       // 32.5 over 32.0
            (size(59, 29), "imlut"),       // x3 cropped by less than a block: still x3's own scale
            (size(80, 40), "fixed-x4"),    // 30.0 over 29.5
            (size(50, 25), "imlut"),       // x2.5: only the any-scale model serves
            (size(40, 30), "imlut"),       // anisotropic x2 by x3
            (size(20, 10), "imlut"),       // x1
            (size(160, 80), "imlut"),      // x8, its max_scale
            (size(200, 100), "fixed-x4"),  // x10: beyond every range, the largest fixed model and a bridge
            (size(10, 20), "fixed-x2"),    // x0.5 by x2: no model serves; smallest fixed scale at or above 2
            (size(10, 5), "resampler"),    // a downscale is the resampler alone
        ]
        for (output, expected) in cases {
            #expect(Self.chosen(auto, input, output) == expected, "\(input) -> \(output)")
            // Every choice plans and renders to the exact size.
            let plan = try auto.makePlan(input: input, output: output, bitDepth: 8)
            let source = PlaneBuffer(width: 20, height: 10, samples: (0..<200).map { UInt8($0) })
            let out = PlaneBuffer(size: output, bitDepth: 8)
            plan.renderParallel(source.view, into: out.mutableView, workers: 2)
            #expect(plan.output == output)
        }
    }

    @Test func nearTiesAndMissingFiguresFavourTheFixedModel() {
        let input = PlaneSize(width: 8, height: 8), x2 = PlaneSize(width: 16, height: 16)
        // imlut records 35.5 at x2: a higher figure wins, a tie (within 0.01 dB) goes to the fixed model.
        for (fixed, expected) in [(35.6, "fixed-x2"), (35.5, "fixed-x2"), (35.495, "fixed-x2"), (35.48, "imlut")] {
            let auto = AnyScaleUpscaler(name: "auto", models: [Self.fixed(2, psnr: fixed)], anyScale: [Self.anyScale(Self.imlutFigures)])
            #expect(Self.chosen(auto, input, x2) == expected, "fixed at \(fixed) dB")
        }
        let noImlutFigures = AnyScaleUpscaler(name: "auto", models: [Self.fixed(2, psnr: 30)], anyScale: [Self.anyScale([])])
        #expect(Self.chosen(noImlutFigures, input, x2) == "fixed-x2")
        let noFixedFigure = AnyScaleUpscaler(name: "auto", models: [Self.fixed(2, psnr: nil)], anyScale: [Self.anyScale([("2", 20)])])
        #expect(Self.chosen(noFixedFigure, input, x2) == "imlut")
        // Two any-scale models: the better figure at this scale.
        let two = AnyScaleUpscaler(name: "auto", models: [], anyScale: [Self.anyScale([("2", 30), ("3", 31)], name: "a"),
                                                                       Self.anyScale([("2", 31), ("3", 30)], name: "b")])
        #expect(Self.chosen(two, input, x2) == "b" && Self.chosen(two, input, PlaneSize(width: 24, height: 24)) == "a")
    }

    @Test func anAnyScaleModelAloneServesEverySizeThroughABridge() throws {
        let only = AnyScaleUpscaler(name: "imlut", models: [], anyScale: [Self.anyScale(Self.imlutFigures)])
        let input = PlaneSize(width: 5, height: 4)
        for output in [PlaneSize(width: 60, height: 8), PlaneSize(width: 3, height: 9), PlaneSize(width: 2, height: 2), PlaneSize(width: 12, height: 10)] {
            let plan = try only.makePlan(input: input, output: output, bitDepth: 10)
            let source = PlaneBuffer(width: 5, height: 4, bitDepth: 10, samples: (0..<20).map { UInt16($0 * 50) })
            let out = PlaneBuffer(size: output, bitDepth: 10)
            plan.renderParallel(source.view, into: out.mutableView, workers: 1)
            #expect(plan.output == output)
        }
    }

    @Test func figuresInterpolateLinearlyInScale() {
        let figures = Set5Figures.parse(Self.figures([("3", 32.5), ("2", 35.5), ("x", 1), ("4", 29.5)]))
        #expect(figures.map(\.scale) == [2, 3, 4])
        #expect(Set5Figures.at(2.5, figures) == 34.0)
        #expect(Set5Figures.at(1.2, figures) == 35.5 && Set5Figures.at(6, figures) == 29.5)
        #expect(Set5Figures.at(3, []) == nil)
    }
}

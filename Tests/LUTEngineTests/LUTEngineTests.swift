import Foundation
import TestSupport
import Testing
import VideoCore
@testable import LUTEngine

/// The fast engine against the slow reference on random planes and random models, plus plan checks. Every test
/// that compares with the reference runs each kernel tier this CPU has (as dav1d's checkasm does).
@Suite struct LUTEngineTests {
    static func randomPlane(_ g: inout SeededGenerator, width: Int, height: Int, bitDepth: Int) -> [Int] {
        (0..<width * height).map { _ in Int.random(in: 0..<(1 << bitDepth), using: &g) }
    }

    /// A random cascade: `scale` on the last stage, 1...3 LUTs per stage of any pattern, 1 or 4 rotations,
    /// residual and dyadic biases, table values that the engine's fixed point represents exactly.
    static func randomSpec(_ g: inout SeededGenerator, scale: Int, stages: Int, levels: [[Int]],
                           types: [LUTModelSpec.ElementType]) -> LUTModelSpec {
        let stageList: [LUTModelSpec.Stage] = (0..<stages).map { s in
            let upscale = s == stages - 1 ? scale : 1
            let luts: [LUTModelSpec.LUT] = (0..<Int.random(in: 1...3, using: &g)).map { _ in
                let lv = levels.randomElement(using: &g)!
                let entries = lv.count * lv.count * lv.count * lv.count, count = entries * upscale * upscale
                let values: LUTModelSpec.Values, tableScale: Double
                switch types.randomElement(using: &g)! {
                case .int8:
                    values = .int8((0..<count).map { _ in Int8.random(in: -128...127, using: &g) })
                    tableScale = 1
                case .int16:
                    values = .int16((0..<count).map { _ in Int16.random(in: -3000...3000, using: &g) })
                    tableScale = 1.0 / 32
                case .float32:
                    values = .float32((0..<count).map { _ in Float(Int.random(in: -800...800, using: &g)) / 8 })
                    tableScale = 0.5
                }
                return .init(pattern: LUTModelSpec.Pattern.allCases.randomElement(using: &g)!,
                             rotations: Bool.random(using: &g) ? 4 : 1, levels: lv,
                             table: .init(entries: entries, outputs: upscale * upscale, scale: tableScale, values: values))
            }
            return .init(upscale: upscale, residual: Bool.random(using: &g), bias: [0, 0.5, -2.25, 17].randomElement(using: &g)!, luts: luts)
        }
        return LUTModelSpec(name: "random", scale: scale, stages: stageList)
    }

    @Test("SR-LUT tables: engine equals the reference on random planes", arguments: [(2, 8), (3, 8), (4, 8), (3, 10), (2, 10), (3, 12), (2, 16), (4, 16)], KernelTier.available)
    func srlutRandomPlanes(depth: (scale: Int, bitDepth: Int), kernels: KernelTier) throws {
        let (scale, bitDepth) = depth
        var g = SeededGenerator(seed: UInt64(scale * 100 + bitDepth))
        let model = TestData.srlut[scale]!
        let reference = ReferenceLUT(spec: model.spec)
        for (w, h) in [(19, 13), (1, 1), (2, 5), (7, 1)] {
            let plane = Self.randomPlane(&g, width: w, height: h, bitDepth: bitDepth)
            let plan = try #require(try model.makePlan(input: PlaneSize(width: w, height: h), output: PlaneSize(width: w * scale, height: h * scale), bitDepth: bitDepth) as? LUTPlan)
            let exact = plan.isExact
            #expect(exact)
            let out = try model.upscale(plane, width: w, height: h, bitDepth: bitDepth, kernels: kernels)
            let differing = zip(out, reference.run(plane, width: w, height: h, bitDepth: bitDepth)).filter { $0 != $1 }.count
            #expect(differing == 0, "\(w)x\(h) at \(bitDepth) bits")
        }
    }

    @Test("kernel tiers are named whether or not this CPU runs them; the baseline always runs")
    func kernelTierNames() {
        #expect(KernelTier.allCases.map(\.description) == ["baseline", "avx2", "avx512", "avx512icl"])
        #expect(KernelTier.available.first == .baseline && KernelTier.available.contains(KernelTier.active))
    }

    @Test("random cascades with S/D/Y patterns, residuals, biases and non-uniform levels equal the reference",
          arguments: KernelTier.available)
    func randomCascades(kernels: KernelTier) throws {
        var g = SeededGenerator(seed: 7)
        // Non-uniform levels whose cells are powers of two, at most 64 wide, so every fraction is exact in the
        // engine's fixed point (up to 2^14 per cell) even at 16 bits.
        let levels = [[0, 64, 128, 192, 256], [0, 32, 64, 128, 136, 144, 160, 192, 256], [0, 64, 96, 128, 192, 256],
                      [0, 32, 64, 96, 128, 160, 192, 224, 256]]
        var lanes = Set<LaneWidth>(), multiplied = false
        for trial in 0..<24 {
            // Every third model is int8 with narrow cells at 8 bits, where stages fit the 16-bit tier.
            let small = trial % 3 == 0
            let spec = Self.randomSpec(&g, scale: [1, 2, 3, 4].randomElement(using: &g)!, stages: Int.random(in: 1...3, using: &g),
                                       levels: small ? [levels[3]] : levels, types: small ? [.int8] : [.int8, .int16, .float32])
            let model = try LUTModel(spec)
            let reference = ReferenceLUT(spec: spec)
            let bitDepth = small ? 8 : [8, 10, 16].randomElement(using: &g)!
            let (w, h) = (Int.random(in: 1...12, using: &g), Int.random(in: 1...9, using: &g))
            let plane = Self.randomPlane(&g, width: w, height: h, bitDepth: bitDepth)
            let plan = try #require(try model.makePlan(input: PlaneSize(width: w, height: h), output: PlaneSize(width: w * spec.scale, height: h * spec.scale), bitDepth: bitDepth) as? LUTPlan)
            lanes.formUnion(plan.stages.map(\.lanes))
            multiplied = multiplied || plan.stages.contains { $0.multipliers.contains { $0 != 1 } }
            let exact = plan.isExact
            #expect(exact, "trial \(trial)")
            let out = try model.upscale(plane, width: w, height: h, bitDepth: bitDepth, kernels: kernels)
            let expected = reference.run(plane, width: w, height: h, bitDepth: bitDepth)
            let differing = zip(out, expected).filter { $0 != $1 }.count
            #expect(differing == 0, "trial \(trial): \(w)x\(h) at \(bitDepth) bits")
        }
        #expect(lanes == [.narrow, .scaled, .wide] && multiplied, "every way of summing, and multipliers, exercised: \(lanes)")
    }

    @Test("stages of one output (x1) equal the reference on rows wider than the kernels' 16-window steps, in every lane width",
          arguments: KernelTier.available)
    func singleOutputStages(kernels: KernelTier) throws {
        var g = SeededGenerator(seed: 19)
        let levels = [[0, 64, 128, 192, 256], [0, 32, 64, 128, 136, 144, 160, 192, 256], [0, 32, 64, 96, 128, 160, 192, 224, 256]]
        var lanes = Set<LaneWidth>()
        for trial in 0..<12 {
            let small = trial % 3 == 0
            let spec = Self.randomSpec(&g, scale: 1, stages: Int.random(in: 1...2, using: &g), levels: small ? [levels[2]] : levels,
                                       types: small ? [.int8] : [.int8, .int16, .float32])
            let model = try LUTModel(spec)
            let bitDepth = small ? 8 : [8, 10, 16].randomElement(using: &g)!
            let (w, h) = ([17, 37, 70, 129].randomElement(using: &g)!, Int.random(in: 2...5, using: &g))
            let plane = Self.randomPlane(&g, width: w, height: h, bitDepth: bitDepth)
            let plan = try #require(try model.makePlan(input: PlaneSize(width: w, height: h), output: PlaneSize(width: w, height: h), bitDepth: bitDepth) as? LUTPlan)
            #expect(plan.stages.allSatisfy { $0.tables.singleOutput && $0.recordBytes == 4 })
            lanes.formUnion(plan.stages.map(\.lanes))
            let exact = plan.isExact
            #expect(exact, "trial \(trial)")
            let out = try model.upscale(plane, width: w, height: h, bitDepth: bitDepth, kernels: kernels)
            let differing = zip(out, ReferenceLUT(spec: spec).run(plane, width: w, height: h, bitDepth: bitDepth)).filter { $0 != $1 }.count
            #expect(differing == 0, "trial \(trial): \(w)x\(h) at \(bitDepth) bits")
        }
        #expect(lanes == [.narrow, .scaled, .wide], "every lane width's proof exercised: \(lanes)")
    }

    @Test("each pattern with 1 or 4 rotations, int8/int16/float32 tables, at 8 and 10 bits, on odd sizes equals the reference",
          arguments: LUTModelSpec.Pattern.allCases, KernelTier.available)
    func everyPatternAlone(pattern: LUTModelSpec.Pattern, kernels: KernelTier) throws {
        var g = SeededGenerator(seed: 41 + UInt64(LUTModelSpec.Pattern.allCases.firstIndex(of: pattern)!))
        let levels = [[0, 32, 64, 128, 136, 144, 160, 192, 256], [0, 32, 64, 96, 128, 160, 192, 224, 256]]
        for rotations in [1, 4] {
            for type in [LUTModelSpec.ElementType.int8, .int16, .float32] {
                for bitDepth in [8, 10] {
                    // 1...3 LUTs of this pattern: with equal levels, their windows are shared across tables too.
                    var spec = Self.randomSpec(&g, scale: [2, 3, 4].randomElement(using: &g)!, stages: 1, levels: levels, types: [type])
                    for l in spec.stages[0].luts.indices {
                        spec.stages[0].luts[l].pattern = pattern
                        spec.stages[0].luts[l].rotations = rotations
                    }
                    let model = try LUTModel(spec)
                    let (w, h) = (2 * Int.random(in: 0...7, using: &g) + 1, 2 * Int.random(in: 0...5, using: &g) + 1)
                    let plane = Self.randomPlane(&g, width: w, height: h, bitDepth: bitDepth)
                    let plan = try #require(try model.makePlan(input: PlaneSize(width: w, height: h), output: PlaneSize(width: w * spec.scale, height: h * spec.scale), bitDepth: bitDepth) as? LUTPlan)
                    let exact = plan.isExact
                    #expect(exact)
                    let out = try model.upscale(plane, width: w, height: h, bitDepth: bitDepth, workers: 2, kernels: kernels)
                    let differing = zip(out, ReferenceLUT(spec: spec).run(plane, width: w, height: h, bitDepth: bitDepth)).filter { $0 != $1 }.count
                    #expect(differing == 0, "\(pattern.rawValue) x\(rotations) \(type) \(spec.stages[0].luts.count) LUTs: \(w)x\(h) at \(bitDepth) bits")
                }
            }
        }
    }

    @Test("integer tables with one factor per output run exactly, as the reference", arguments: KernelTier.available)
    func outputScales(kernels: KernelTier) throws {
        var g = SeededGenerator(seed: 31)
        var spec = Self.randomSpec(&g, scale: 2, stages: 2, levels: [[0, 64, 128, 192, 256]], types: [.int8, .int16])
        for s in spec.stages.indices {
            for l in spec.stages[s].luts.indices {
                let outputs = spec.stages[s].luts[l].table.outputs
                spec.stages[s].luts[l].table.outputScales = (0..<outputs).map { _ in [0.25, 0.5, 1, 2].randomElement(using: &g)! }
            }
        }
        let model = try LUTModel(spec)
        let plane = Self.randomPlane(&g, width: 9, height: 7, bitDepth: 8)
        let plan = try #require(try model.makePlan(input: PlaneSize(width: 9, height: 7), output: PlaneSize(width: 18, height: 14), bitDepth: 8) as? LUTPlan)
        #expect(plan.isExact)
        #expect(try model.upscale(plane, width: 9, height: 7, kernels: kernels) == ReferenceLUT(spec: spec).run(plane, width: 9, height: 7, bitDepth: 8))
    }

    @Test("rotations of S and D share one window (one sort per window); Y's rotations read different pixels")
    func windowGroups() throws {
        let lut = { (pattern: LUTModelSpec.Pattern, levels: [Int]) in
            LUTModelSpec.LUT(pattern: pattern, rotations: 4, levels: levels,
                             table: .init(entries: levels.count * levels.count * levels.count * levels.count, outputs: 4,
                                          values: .int8(Array(repeating: 1, count: 4 * levels.count * levels.count * levels.count * levels.count))))
        }
        let coarse = [0, 64, 128, 192, 256], fine = [0, 32, 64, 96, 128, 160, 192, 224, 256]
        let spec = LUTModelSpec(name: "groups", scale: 2, stages: [.init(upscale: 2, luts: [
            lut(.s, coarse), lut(.d, coarse), lut(.y, coarse), lut(.s, coarse), lut(.s, fine),
        ])])
        let groups = try LUTModel(spec).preparedTables(stage: 0).groups
        // S (both coarse tables together), D, Y x 4, S fine.
        #expect(groups.map(\.members.count) == [8, 4, 1, 1, 1, 1, 4])
        // Rotation k of S at anchor p reads the 2x2 block whose origin is p - target.
        #expect(groups[0].members.prefix(4).map { [$0.target.dy, $0.target.dx] } == [[0, 0], [0, 1], [1, 1], [1, 0]])
        #expect(groups[1].members.map { [$0.target.dy, $0.target.dx] } == [[0, 0], [0, 2], [2, 2], [2, 0]])
    }

    @Test("a table with small values runs 16-bit planes in 16-bit lanes, still exactly", arguments: KernelTier.available)
    func narrowLanesAtSixteenBits(kernels: KernelTier) throws {
        var g = SeededGenerator(seed: 13)
        let spec = LUTModelSpec(name: "small-values", scale: 2, stages: [.init(upscale: 2, bias: 3.5, luts: [
            .init(pattern: .s, rotations: 1, levels: LUTModelSpec.uniformLevels17,
                  table: .init(entries: 83521, outputs: 4, values: .int8((0..<83521 * 4).map { _ in Int8.random(in: -3...3, using: &g) }))),
        ])])
        let model = try LUTModel(spec)
        let plan = try #require(try model.makePlan(input: PlaneSize(width: 9, height: 6), output: PlaneSize(width: 18, height: 12), bitDepth: 16) as? LUTPlan)
        #expect(plan.stages[0].lanes == .narrow)
        var plane = Self.randomPlane(&g, width: 9, height: 6, bitDepth: 16)
        plane[0] = 65535
        plane[1] = 0
        let differing = zip(try model.upscale(plane, width: 9, height: 6, bitDepth: 16, kernels: kernels),
                            ReferenceLUT(spec: spec).run(plane, width: 9, height: 6, bitDepth: 16)).filter { $0 != $1 }.count
        #expect(differing == 0)
    }

    /// Smooth tables, as trained ones are: entry values vary slowly with the cell indices.
    static func smoothSpec(levels: [Int], scale: Int, units: [Double]) -> LUTModelSpec {
        let count = levels.count, entries = count * count * count * count, outputs = scale * scale
        let luts: [LUTModelSpec.LUT] = units.enumerated().map { n, unit in
            let values = (0..<entries * outputs).map { i -> Int8 in
                let e = i / outputs, o = i % outputs
                let a = Double(e / (count * count * count)), b = Double(e / (count * count) % count)
                let c = Double(e / count % count), d = Double(e % count)
                let phase: Double = 0.9 * a + 0.4 * b + 0.6 * c + 0.3 * d + Double(o + n)
                return Int8(60 * sin(phase))
            }
            return .init(pattern: LUTModelSpec.Pattern.allCases[n % 3], rotations: 4, levels: levels,
                         table: .init(entries: entries, outputs: outputs, scale: unit, values: .int8(values)))
        }
        return LUTModelSpec(name: "smooth", scale: scale, stages: [.init(upscale: scale, residual: true, luts: luts)])
    }

    @Test("cells that are not powers of two, or units that are not, stay within one step of the reference",
          arguments: KernelTier.available)
    func inexactArithmetic(kernels: KernelTier) throws {
        var g = SeededGenerator(seed: 11)
        let cases: [(levels: [Int], units: [Double])] = [
            ([0, 20, 77, 130, 200, 256], [1]),           // fractions rounded to 1/256 of a cell
            ([0, 32, 64, 128, 192, 256], [0.425, 0.157, 0.193]),  // multipliers rounded
            ([0, 21, 43, 64, 85, 107, 128, 149, 171, 192, 213, 235, 256], [0.52, 0.17, 0.22]),
        ]
        for (levels, units) in cases {
            let spec = Self.smoothSpec(levels: levels, scale: 2, units: units)
            let model = try LUTModel(spec)
            for bitDepth in [8, 10] {
                let plane = Self.randomPlane(&g, width: 11, height: 10, bitDepth: bitDepth)
                let out = try model.upscale(plane, width: 11, height: 10, bitDepth: bitDepth, kernels: kernels)
                let expected = ReferenceLUT(spec: spec).run(plane, width: 11, height: 10, bitDepth: bitDepth)
                let worst = zip(out, expected).map { abs($0 - $1) }.max()!
                #expect(worst <= 1, "\(levels.count) levels, units \(units), \(bitDepth) bits: off by \(worst)")
            }
        }
    }

    @Test("any split into row bands gives the same output, cascades included")
    func bandsMatchWholeRender() throws {
        var g = SeededGenerator(seed: 3)
        let spec = Self.randomSpec(&g, scale: 3, stages: 3, levels: [[0, 64, 128, 192, 256]], types: [.int8])
        let model = try LUTModel(spec)
        let input = PlaneSize(width: 23, height: 17), output = PlaneSize(width: 67, height: 50)
        let source = PlaneBuffer(width: input.width, height: input.height, samples: Self.randomPlane(&g, width: 23, height: 17, bitDepth: 8).map { UInt8($0) })
        let plan = try model.makePlan(input: input, output: output, bitDepth: 8)
        let whole = PlaneBuffer(size: output, bitDepth: 8)
        plan.render(source.view, into: whole.mutableView, rows: 0..<output.height)
        let banded = PlaneBuffer(size: output, bitDepth: 8)
        var row = 0
        while row < output.height {
            let end = min(output.height, row + Int.random(in: 1...7, using: &g))
            plan.render(source.view, into: banded.mutableView, rows: row..<end)
            row = end
        }
        #expect(banded.samples == whole.samples)
        let parallel = PlaneBuffer(size: output, bitDepth: 8)
        plan.renderParallel(source.view, into: parallel.mutableView, workers: 3)
        #expect(parallel.samples == whole.samples)
    }

    @Test("outputs smaller than scale x input are top-left crops")
    func cropsMatchFullOutput() throws {
        var g = SeededGenerator(seed: 5)
        let model = TestData.srlut[3]!
        let plane = Self.randomPlane(&g, width: 10, height: 8, bitDepth: 8)
        let full = try model.upscale(plane, width: 10, height: 8)
        let crop = try model.upscale(plane, width: 10, height: 8, output: PlaneSize(width: 28, height: 23))
        let expected: [Int] = (0..<23).flatMap { (y: Int) -> ArraySlice<Int> in full[y * 30..<y * 30 + 28] }
        #expect(crop == expected)
    }

    @Test("sizes and bit depths are checked when planning")
    func planChecks() {
        let model = TestData.srlut[2]!
        let input = PlaneSize(width: 10, height: 10)
        #expect(throws: UpscaleError.unsupportedBitDepth(7)) { try model.makePlan(input: input, output: PlaneSize(width: 20, height: 20), bitDepth: 7) }
        #expect(throws: UpscaleError.unsupportedBitDepth(17)) { try model.makePlan(input: input, output: PlaneSize(width: 20, height: 20), bitDepth: 17) }
        for bad in [PlaneSize(width: 21, height: 20), PlaneSize(width: 20, height: 21), PlaneSize(width: 0, height: 20)] {
            #expect(throws: UpscaleError.self) { try model.makePlan(input: input, output: bad, bitDepth: 8) }
        }
        #expect(throws: UpscaleError.self) { try model.makePlan(input: PlaneSize(width: 0, height: 3), output: PlaneSize(width: 1, height: 1), bitDepth: 8) }
        #expect(throws: Never.self) { try model.makePlan(input: input, output: PlaneSize(width: 19, height: 1), bitDepth: 8) }
        #expect(model.scale == 2 && model.name == "srlut-s-x2")
    }

    @Test("samples above the bit depth's range are read as the maximum instead of faulting", arguments: KernelTier.available)
    func outOfRangeSamples(kernels: KernelTier) throws {
        // A residual model whose table subtracts 50: an unclamped anchor would show as a saturated output.
        let residual = try LUTModel(LUTModelSpec(name: "residual", scale: 2, stages: [.init(upscale: 2, residual: true, luts: [
            .init(pattern: .s, rotations: 1, levels: [0, 64, 128, 192, 256],
                  table: .init(entries: 625, outputs: 4, values: .int8(Array(repeating: -50, count: 2500)))),
        ])]))
        for model in [TestData.srlut[2]!, residual] {
            let high = try model.upscale([65535, 3, 1023, 700, 2000, 5], width: 3, height: 2, bitDepth: 10, kernels: kernels)
            let clamped = try model.upscale([1023, 3, 1023, 700, 1023, 5], width: 3, height: 2, bitDepth: 10, kernels: kernels)
            #expect(high == clamped)
        }
    }

    @Test("the engine's limits are refused at load time with a clear error")
    func unsupportedModels() {
        let lut = { (upscale: Int) in
            LUTModelSpec.LUT(pattern: .s, rotations: 1, levels: [0, 256],
                             table: .init(entries: 16, outputs: upscale * upscale, values: .int8(Array(repeating: 0, count: 16 * upscale * upscale))))
        }
        #expect(throws: LUTFileError.self) { try LUTModel(LUTModelSpec(name: "x5", scale: 5, stages: [.init(upscale: 5, luts: [lut(5)])])) }
        #expect(throws: LUTFileError.self) { try LUTModel(LUTModelSpec(name: "bias", scale: 1, stages: [.init(upscale: 1, bias: 1e6, luts: [lut(1)])])) }
        #expect(throws: Never.self) { try LUTModel(LUTModelSpec(name: "x4", scale: 4, stages: [.init(upscale: 4, luts: [lut(4)])])) }
    }
}

import Foundation
import TestSupport
import Testing
import VideoCore
@testable import LUTEngine

/// The "imlut" kind: file format (round trips, every validation rule, damage), and the engine's plan against
/// the literal reference on random models.
@Suite struct IMLUTTests {
    /// A random model: `bins` scale bins, N nodes (or `binNodes`, one count per bin), the given interpolators, one lut
    /// per pattern in `patterns`.
    static func randomSpec(_ g: inout SeededGenerator, bins: [Double] = [1.5, 2, 3, 4], nodes: Int = 2, binNodes: [Int]? = nil,
                           interpolators: [IMLUTSpec.Interpolator] = [.constant, .bilinear, .bicubic, .lanczos3],
                           patterns: [LUTModelSpec.Pattern] = [.s], rotations: Int = 4,
                           levels: [Int] = [0, 64, 128, 256], maxScale: Double = 8, preStages: [String] = [],
                           exactPreStages: Bool = false) -> IMLUTSpec {
        let count = levels.count, entries = count * count * count * count
        let k = interpolators.count, perBin = binNodes ?? bins.map { _ in nodes }
        /// Values in low...1 times `magnitude`.
        func table(outputs: Int, magnitude: Double, low: Double, type: LUTModelSpec.ElementType) -> LUTModelSpec.Table {
            let values: LUTModelSpec.Values, scale: Double
            switch type {
            case .int8:
                scale = magnitude / 127
                values = .int8((0..<entries * outputs).map { _ in Int8.random(in: Int8(127 * low)...127, using: &g) })
            case .int16:
                scale = magnitude / 30000
                values = .int16((0..<entries * outputs).map { _ in Int16.random(in: Int16(30000 * low)...30000, using: &g) })
            case .float32:
                scale = 1
                values = .float32((0..<entries * outputs).map { _ in Float(Double.random(in: low * magnitude...magnitude, using: &g)) })
            }
            return .init(entries: entries, outputs: outputs, scale: scale, values: values)
        }
        let types: [LUTModelSpec.ElementType] = [.int8, .int16, .float32]
        // Mix weights mostly positive, summing to about 1 over lookups and candidates, so the mixed values stay
        // mostly in range with some outside.
        let lookups = Double(patterns.count * rotations)
        let mix = patterns.map { pattern in
            LUTModelSpec.LUT(pattern: pattern, rotations: rotations, levels: levels,
                             table: table(outputs: perBin.reduce(0) { $0 + $1 * $1 } * k, magnitude: 2.4 / (Double(k) * lookups), low: -0.3,
                                          type: types.randomElement(using: &g)!))
        }
        // Pre-stages (one per string of patterns): residual, a bias, values within +-8 levels in all; with
        // `exactPreStages` int8 in steps of 1/8 and a bias in whole steps, which the engine's fixed point holds exactly
        // on power-of-two cells (so its rounding of their output is the reference's).
        let pre = preStages.map { stagePatterns in
            LUTModelSpec.Stage(upscale: 1, residual: true, bias: exactPreStages ? Double(Int.random(in: -16...16, using: &g)) / 8 : Double.random(in: -2...2, using: &g),
                               luts: stagePatterns.map { letter in
                let magnitude = 8 / Double(stagePatterns.count * rotations)
                let values = exactPreStages
                    ? LUTModelSpec.Table(entries: entries, outputs: 1, scale: 0.125,
                                         values: .int8((0..<entries).map { _ in Int8.random(in: -Int8(8 * magnitude)...Int8(8 * magnitude), using: &g) }))
                    : table(outputs: 1, magnitude: magnitude, low: -1, type: types.randomElement(using: &g)!)
                return LUTModelSpec.LUT(pattern: LUTModelSpec.Pattern(rawValue: String(letter))!, rotations: rotations, levels: levels, table: values)
            })
        }
        return IMLUTSpec(name: "random-imlut", maxScale: maxScale, scaleBins: bins, phaseNodes: perBin,
                         interpolators: interpolators, preStages: pre, mix: mix,
                         metadata: [.init("set5_y_psnr", .object([.init("2", .double(36.1)), .init("3", .double(32.4))]))])
    }

    static let small: IMLUTSpec = {
        var g = SeededGenerator(seed: 11)
        return randomSpec(&g, bins: [2, 4], nodes: 2, interpolators: [.bilinear, .constant, .bicubic], patterns: [.s, .y],
                          levels: [0, 128, 256])
    }()

    static func decodeError(_ bytes: [UInt8]) -> LUTFileError? {
        do {
            _ = try LUTFile.decodeContents(bytes)
            return nil
        } catch {
            return error
        }
    }

    static func editedHeader(_ target: String, _ replacement: String, spec: IMLUTSpec = small) -> LUTFileError? {
        let (header, payload) = LUTFileTests.parts(try! LUTFile.encode(spec))
        precondition(header.contains(target), "test header lacks \(target)")
        return decodeError(LUTFileTests.assemble(header: header.replacingOccurrences(of: target, with: replacement), payload: payload))
    }

    static func kind(_ e: LUTFileError?) -> String {
        guard let e else { return "loaded" }
        return String(describing: e).components(separatedBy: ":").first!
    }

    // MARK: Format

    @Test func roundTripAndLayout() throws {
        var g = SeededGenerator(seed: 3)
        for spec in [Self.small, Self.randomSpec(&g), Self.randomSpec(&g, nodes: 4, interpolators: [.bicubic], patterns: [.d, .s], rotations: 1),
                     Self.randomSpec(&g, preStages: ["SD", "Y"]), Self.randomSpec(&g, binNodes: [2, 3, 3, 2], interpolators: [.bicubic, .constant])] {
            let bytes = try LUTFile.encode(spec)
            #expect(try LUTFile.decodeContents(bytes) == .imlut(spec))
            let h = Int(LUTFile.readU32(bytes, at: 12))
            let header = try JSONValue.parse(Array(bytes[16..<16 + h]))
            // One count when every bin has the same nodes, as the training tools write it, else one per bin.
            let nodes: JSONValue = Set(spec.phaseNodes).count == 1 ? .int(spec.phaseNodes[0]) : .array(spec.phaseNodes.map { .int($0) })
            #expect(header["kind"] == .string("imlut") && header["phase_nodes"] == nodes)
            #expect(header["refine"] == nil && header["ensemble"] == nil)
            // The srlut-only reader says what the file is.
            #expect(throws: LUTFileError.wrongKind(found: "imlut", expected: "srlut")) { try LUTFile.decode(bytes) }
        }
        // Mix tables of 2 bins x 2x2 nodes x 3 interpolators; 64-aligned in order.
        let bytes = try LUTFile.encode(Self.small)
        let parsed = try JSONValue.parse(Array(LUTFileTests.parts(bytes).0.utf8))
        guard case let .array(mix)? = parsed["mix"]?["luts"] else {
            Issue.record("mix luts missing")
            return
        }
        #expect(mix.map { $0["table"]!["outputs"]!.integerValue! } == [24, 24])
        let offsets = mix.map { $0["table"]!["offset"]!.integerValue! }
        #expect(offsets == offsets.sorted() && offsets.allSatisfy { $0 % 64 == 0 } && offsets[0] == 0)
        // Pre-stage tables come first in the payload, one output each.
        let cascade = try LUTFile.encode(Self.randomSpec(&g, preStages: ["S"]))
        let top = try JSONValue.parse(Array(LUTFileTests.parts(cascade).0.utf8))
        guard case let .array(pre)? = top["pre_stages"], case let .array(preLuts)? = pre.first?["luts"],
              let preTable = preLuts.first?["table"], case let .array(mixLuts)? = top["mix"]?["luts"] else {
            Issue.record("pre_stages or mix missing")
            return
        }
        #expect(preTable["offset"] == .int(0) && preTable["outputs"] == .int(1))
        #expect((mixLuts.first?["table"]?["offset"]?.integerValue ?? 0) > 0)
    }

    /// An imlut of LUTScale 0.1 (refinement on the output grid, a transpose ensemble) is refused with a message that
    /// says so; a null "refine" (what 0.1 wrote for none) is no refinement.
    @Test func outputGridModelsAreRefused() {
        for (target, replacement) in [("\"mix\": {", "\"refine\": {\"luts\": []}, \"mix\": {"), ("\"mix\": {", "\"ensemble\": \"transpose\", \"mix\": {")] {
            let error = Self.editedHeader(target, replacement)
            #expect(Self.kind(error) == "unsupported model" && String(describing: error!).contains("input grid"), "\(String(describing: error))")
        }
        #expect(Self.editedHeader("\"mix\": {", "\"refine\": null, \"mix\": {") == nil)
    }

    /// `small` with one factor per output on a mix table.
    static let outputScaled: IMLUTSpec = {
        var g = SeededGenerator(seed: 13)
        var spec = small
        spec.mix[0].table.outputScales = (0..<24).map { _ in Double.random(in: 0.05...1, using: &g) }
        return spec
    }()

    @Test func outputScalesRoundTripScaleEachOutputAndAreChecked() throws {
        let bytes = try LUTFile.encode(Self.outputScaled)
        #expect(try LUTFile.decodeContents(bytes) == .imlut(Self.outputScaled))
        #expect(!LUTFileTests.parts(try LUTFile.encode(Self.small)).0.contains("output_scales"))
        var g = SeededGenerator(seed: 14)
        try Self.expectReference(Self.outputScaled, sizes: [(7, 5, 17, 12), (6, 5, 24, 20)], bitDepth: 8, &g)
        let plane = (0..<7 * 5).map { _ in Int.random(in: 0..<256, using: &g) }
        let output = PlaneSize(width: 17, height: 12)
        #expect(try Self.render(IMLUTModel(Self.outputScaled), plane, width: 7, height: 5, output: output, bitDepth: 8)
            != Self.render(IMLUTModel(Self.small), plane, width: 7, height: 5, output: output, bitDepth: 8))
        // One factor per output, each finite and non-zero, in an array of numbers.
        func refused(_ factors: [Double]) -> Bool {
            var spec = Self.small
            spec.mix[0].table.outputScales = factors
            do { _ = try LUTFile.encode(spec); return false } catch { return true }
        }
        #expect(refused(Array(repeating: 1, count: 23)) && refused(Array(repeating: 1, count: 25)))
        #expect(refused(Array(repeating: 1, count: 23) + [0]) && refused(Array(repeating: 1, count: 23) + [.nan]))
        let header = LUTFileTests.parts(bytes).0
        let start = try #require(header.range(of: "\"output_scales\": [")).upperBound
        let first = String(header[start...].prefix { $0 != "," })
        let notNumber = Self.editedHeader("\"output_scales\": [\(first)", "\"output_scales\": [\"a\"", spec: Self.outputScaled)
        #expect(String(describing: notNumber).contains("mix.luts[0].table.output_scales[0]"), "\(String(describing: notNumber))")
        let short = Self.editedHeader("\"output_scales\": [\(first),", "\"output_scales\": [", spec: Self.outputScaled)
        #expect(String(describing: short).contains("23 factors for 24 outputs"), "\(String(describing: short))")
    }

    @Test func writtenFileLoadsAsModel() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("imlut-\(UUID()).lut").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try LUTFile.write(Self.small, to: path)
        let model = try IMLUTModel.load(path: path)
        #expect(model.spec == Self.small && model.name == "random-imlut" && model.maxScale == 8)
        #expect(model.spec.set5PSNR.map(\.scale) == [2, 3] && model.spec.set5PSNR.map(\.psnr) == [36.1, 32.4])
        #expect(throws: LUTFileError.wrongKind(found: "imlut", expected: "srlut")) { try LUTModel.load(path: path) }
        let srlut = FileManager.default.temporaryDirectory.appendingPathComponent("srlut-\(UUID()).lut").path
        defer { try? FileManager.default.removeItem(atPath: srlut) }
        try LUTFile.write(LUTFileTests.small, to: srlut)
        #expect(throws: LUTFileError.wrongKind(found: "srlut", expected: "imlut")) { try IMLUTModel.load(path: srlut) }
        #expect(throws: LUTFileError.unknownExtension("m.npy")) { try IMLUTModel.load(path: "m.npy") }
    }

    /// Every rule of the header, each refused with the field named.
    @Test func headerRulesNameTheField() {
        let cases: [(String, String, String)] = [
            ("\"max_scale\": 8.0", "\"max_scale\": 3.5", "bad header field"),          // below the last bin
            ("\"max_scale\": 8.0", "\"max_scale\": 17", "bad header field"),           // above the engine's limit
            ("\"max_scale\": 8.0", "\"max_scale\": \"8\"", "bad header field"),
            ("\"scale_bins\": [2.0, 4.0]", "\"scale_bins\": [4.0, 2.0]", "bad header field"),  // not ascending
            ("\"scale_bins\": [2.0, 4.0]", "\"scale_bins\": [1.0, 4.0]", "bad header field"),  // not above 1
            ("\"scale_bins\": [2.0, 4.0]", "\"scale_bins\": [2.0, 2.0]", "bad header field"),
            ("\"scale_bins\": [2.0, 4.0]", "\"scale_bins\": []", "bad header field"),
            ("\"scale_bins\": [2.0, 4.0]", "\"scale_bins\": [2.0, 3.0, 4.0]", "bad table"),  // outputs no longer match
            ("\"phase_nodes\": 2", "\"phase_nodes\": 1", "bad header field"),
            ("\"phase_nodes\": 2", "\"phase_nodes\": 10", "bad header field"),
            ("\"phase_nodes\": 2", "\"phase_nodes\": 3", "bad table"),
            ("\"phase_nodes\": 2", "\"phase_nodes\": 2.5", "bad header field"),
            ("\"phase_nodes\": 2", "\"phase_nodes\": [2, 2]", "loaded"),                 // one count per bin
            ("\"phase_nodes\": 2", "\"phase_nodes\": [2]", "bad header field"),          // not one per bin
            ("\"phase_nodes\": 2", "\"phase_nodes\": [2, 1]", "bad header field"),
            ("\"phase_nodes\": 2", "\"phase_nodes\": [2, \"3\"]", "bad header field"),
            ("\"phase_nodes\": 2", "\"phase_nodes\": [2, 3]", "bad table"),             // outputs no longer match
            ("\"bilinear\", \"constant\"", "\"bilinear\", \"bilinear\"", "bad header field"),  // twice
            ("\"bilinear\", \"constant\"", "\"bilinear\", \"gaussian\"", "bad header field"),  // unknown
            ("\"interpolators\": [\"bilinear\", \"constant\", \"bicubic\"]", "\"interpolators\": []", "bad header field"),
            ("\"interpolators\": [\"bilinear\", \"constant\", \"bicubic\"]", "\"interpolators\": [\"bilinear\", \"constant\"]", "bad table"),
            ("\"mix\": {\"luts\": [", "\"mix\": {\"lut\": [", "bad header field"),
            ("\"mix\": {\"luts\": [", "\"pre_stages\": 3, \"mix\": {\"luts\": [", "bad header field"),
            ("\"mix\": {\"luts\": [", "\"pre_stages\": [{\"upscale\": 1}], \"mix\": {\"luts\": [", "bad header field"),
            ("\"mix\": {\"luts\": [", "\"pre_stages\": [], \"mix\": {\"luts\": [", "loaded"),
            ("\"name\": \"random-imlut\"", "\"name\": \"\"", "bad header field"),
            ("\"name\": \"random-imlut\"", "\"name\": \"random-imlut\", \"scale\": 2", "bad header field"),  // srlut member
            ("\"kind\": \"imlut\"", "\"kind\": \"imlut2\"", "unknown model kind \"imlut2\" (this build knows \"srlut\" and \"imlut\")"),
            ("\"pattern\": \"Y\"", "\"pattern\": \"X\"", "bad header field"),
            ("\"rotations\": 4", "\"rotations\": 3", "bad header field"),
            ("\"outputs\": 24,", "\"outputs\": 25,", "bad table"),
            ("[0, 128, 256]", "[0, 128, 255]", "bad levels"),
        ]
        for (target, replacement, expected) in cases {
            let found = Self.kind(Self.editedHeader(target, replacement))
            #expect(found == expected, "\(target) -> \(replacement): \(found)")
        }
        // Scale bins are checked in full after the tables load: reversed bins are named as such.
        let reversed = Self.editedHeader("\"scale_bins\": [2.0, 4.0]", "\"scale_bins\": [4.0, 2.0]")
        #expect(String(describing: reversed!).contains("scale_bins[1]"))
        // A header whose top is not an object, or that lacks a kind.
        #expect(Self.kind(Self.decodeError(LUTFileTests.assemble(header: "[1]", payload: [0]))) == "bad header field")
        #expect(Self.kind(Self.decodeError(LUTFileTests.assemble(header: "{\"name\": \"x\"}", payload: [0]))) == "bad header field")
    }

    /// The rules enforced on the description itself (what the writer refuses and the model refuses).
    @Test func specRulesAreEnforced() {
        func refused(_ edit: (inout IMLUTSpec) -> Void) -> Bool {
            var spec = Self.small
            edit(&spec)
            do { _ = try LUTFile.encode(spec); return false } catch { return true }
        }
        #expect(!refused { _ in })
        #expect(refused { $0.maxScale = .nan })
        #expect(refused { $0.scaleBins = [2, .infinity] })
        #expect(refused { $0.mix = [] })
        // N x N x K values per pixel: 48 (three 16-lane records of the engine) are accepted, 50 refused.
        var sized = SeededGenerator(seed: 12)
        let values = { (nodes: Int, k: [IMLUTSpec.Interpolator]) in
            Self.randomSpec(&sized, bins: [2], nodes: nodes, interpolators: k, patterns: [.s], rotations: 1, levels: [0, 128, 256])
        }
        #expect(throws: Never.self) { try LUTFile.encode(values(4, [.bilinear, .constant, .bicubic])) }
        #expect(throws: LUTFileError.self) { try LUTFile.encode(values(5, [.bilinear, .constant])) }
        // Per bin, the largest grid counts; and one count per bin.
        #expect(throws: LUTFileError.self) {
            try LUTFile.encode(Self.randomSpec(&sized, bins: [2, 3], binNodes: [2, 5], interpolators: [.bilinear, .constant], rotations: 1, levels: [0, 256]))
        }
        #expect(refused { $0.phaseNodes = [2] })
        #expect(refused { $0.phaseNodes = [2, 1] })
        #expect(refused { $0.mix = Array(repeating: $0.mix[0], count: 17) })
        #expect(refused { $0.mix[0].table.values = .float32(Array(repeating: .nan, count: 81 * 24)) })
        #expect(refused { $0.mix[0].table.scale = 0 })
        #expect(refused { $0.mix[0].rotations = 2 })
        #expect(refused { $0.interpolators = [.bilinear, .bilinear, .bicubic] })
        var huge = Self.small
        huge.mix[0].table = .init(entries: 81, outputs: 24, scale: 1e300, values: .int8(Array(repeating: 1, count: 81 * 24)))
        #expect(throws: LUTFileError.self) { try IMLUTModel(huge) }
        // Pre-stages keep the size, have luts of one output each, at most `maxPreStages` of them.
        var g = SeededGenerator(seed: 21)
        let cascade = Self.randomSpec(&g, bins: [2, 4], interpolators: [.bilinear, .constant, .bicubic], levels: [0, 128, 256], preStages: ["S"])
        func refusedCascade(_ edit: (inout IMLUTSpec) -> Void) -> Bool {
            var spec = cascade
            edit(&spec)
            do { _ = try LUTFile.encode(spec); return false } catch { return true }
        }
        #expect(!refusedCascade { _ in })
        #expect(refusedCascade { $0.preStages[0].upscale = 2 })
        #expect(refusedCascade { $0.preStages[0].luts = [] })
        #expect(refusedCascade { $0.preStages[0].bias = .infinity })
        #expect(refusedCascade { $0.preStages[0].luts[0].table = $0.mix[0].table })
        #expect(refusedCascade { $0.preStages = Array(repeating: $0.preStages[0], count: IMLUTSpec.maxPreStages + 1) })
    }

    @Test func damagedFilesAreRefused() throws {
        let good = try LUTFile.encode(Self.small)
        let h = Int(LUTFile.readU32(good, at: 12))
        for length in [0, 19, 16 + h / 2, 16 + h + 2, good.count / 2, good.count - 1] {
            #expect(Self.kind(Self.decodeError(Array(good[0..<length]))) == "truncated file", "cut at \(length)")
        }
        var flipped = good
        flipped[good.count - 40] ^= 4
        #expect(Self.decodeError(flipped).map { if case .checksumMismatch = $0 { true } else { false } } == true)
        #expect(Self.kind(Self.editedHeader("\"offset\": 0,", "\"offset\": 32,")) == "bad table")
        let (header, _) = LUTFileTests.parts(good)
        #expect(Self.kind(Self.decodeError(LUTFileTests.assemble(header: header, payload: Array(repeating: 0, count: 100)))) == "truncated file")
    }

    // MARK: Engine

    /// Runs a plan on a row-major plane, the output rows split into `bands` (or by `renderParallel`).
    static func render(_ model: IMLUTModel, _ plane: [Int], width: Int, height: Int, output: PlaneSize, bitDepth: Int,
                       bands: [Int]? = nil, workers: Int = 1, kernels: KernelTier = .active) throws -> [Int] {
        let source = planeBuffer(plane, width: width, height: height, bitDepth: bitDepth)
        let plan = try model.makePlan(input: source.size, output: output, bitDepth: bitDepth, kernels: kernels)
        let destination = PlaneBuffer(size: output, bitDepth: bitDepth)
        if let bands {
            let cuts = [0] + bands.filter { $0 > 0 && $0 < output.height }.sorted() + [output.height]
            // Bands in reverse order: each must stand alone.
            for (a, b) in zip(cuts, cuts.dropFirst()).reversed() { plan.render(source.view, into: destination.mutableView, rows: a..<b) }
        } else {
            plan.renderParallel(source.view, into: destination.mutableView, workers: workers)
        }
        return destination.samples
    }

    /// (count of samples that differ, largest difference).
    static func compare(_ a: [Int], _ b: [Int]) -> (Int, Int) {
        let d = zip(a, b).map { abs($0 - $1) }
        return (d.filter { $0 != 0 }.count, d.max() ?? 0)
    }

    @Test("plan equals the reference on random models", arguments: [
        // (seed, nodes, interpolators, rotations, patterns, bit depth)
        (1, 2, 4, 4, "S", 8), (2, 2, 3, 4, "SDY", 8), (3, 3, 1, 1, "Y", 8), (4, 2, 2, 1, "DS", 10),
        (5, 4, 1, 4, "S", 10), (6, 2, 4, 4, "SD", 16), (7, 2, 4, 4, "SDY", 12), (8, 2, 4, 4, "SDYI", 8), (9, 2, 4, 1, "I", 10),
        // More than 16 values per LR pixel: rows of 2 and 3 sixteen-lane chunks (18, 36, 48 and 36 values).
        (10, 3, 2, 4, "SDI", 8), (11, 3, 4, 4, "SD", 10), (12, 4, 3, 1, "S", 8), (13, 6, 1, 4, "Y", 10),
    ])
    func planMatchesReference(seed: Int, nodes: Int, interpolators: Int, rotations: Int, patterns: String, bitDepth: Int) throws {
        var g = SeededGenerator(seed: UInt64(seed))
        let pattern = { (s: String) in s.map { LUTModelSpec.Pattern(rawValue: String($0))! } }
        let candidates = IMLUTSpec.Interpolator.allCases.shuffled(using: &g)
        let spec = Self.randomSpec(&g, nodes: nodes, interpolators: Array(candidates.prefix(interpolators)),
                                   patterns: pattern(patterns), rotations: rotations,
                                   levels: bitDepth == 8 && seed % 2 == 1 ? [0, 32, 48, 112, 256] : [0, 64, 128, 256])
        // Isotropic, anisotropic, identity, beyond the last bin (x8), odd and one-pixel sizes; and rows of more than
        // two of the mix's column strips (not at 16 bits, whose last bit lies below the weights' precision: on this
        // many samples a few differ by 2).
        let wide = bitDepth <= 12 ? [(160, 3, 2 * IMLUTPlan.mixStrip + 76, 7)] : []
        try Self.expectReference(spec, sizes: [(7, 5, 17, 12), (6, 5, 6, 13), (5, 4, 5, 4), (4, 3, 32, 24), (9, 6, 23, 19),
                                                (1, 1, 3, 2), (2, 3, 5, 3)] + wide, bitDepth: bitDepth, &g)
    }

    @Test("nodes per bin: the plan runs on the most nodes of the bins it blends and equals the reference", arguments: [
        // (seed, bins, nodes per bin, interpolators, patterns, bit depth); the last is the shipped layout.
        (51, [1.5, 2, 3, 4], [2, 2, 3, 3], [IMLUTSpec.Interpolator.constant, .bicubic, .lanczos3], "SD", 8),
        (52, [1.5, 2, 3, 4], [3, 2, 2, 4], [.bilinear, .constant], "Y", 10),
        (53, [1.5, 2, 3, 3.5, 4], [2, 2, 2, 3, 3], [.constant, .nearest, .bicubic, .lanczos3], "SDI", 8),
    ])
    func nodesPerBinMatchReference(seed: Int, bins: [Double], nodes: [Int], interpolators: [IMLUTSpec.Interpolator], patterns: String,
                                   bitDepth: Int) throws {
        var g = SeededGenerator(seed: UInt64(seed))
        let spec = Self.randomSpec(&g, bins: bins, binNodes: nodes, interpolators: interpolators,
                                   patterns: patterns.map { LUTModelSpec.Pattern(rawValue: String($0))! })
        let model = try IMLUTModel(spec)
        // x1, x1.6, x2.4, x2.9, x3.25, x3.5, x4, x8 and anisotropic sizes: each plan on its bins' most nodes.
        let sizes = [(5, 4, 5, 4), (6, 5, 10, 8), (7, 5, 17, 12), (9, 6, 26, 17), (4, 4, 13, 13), (4, 4, 14, 14), (4, 3, 16, 12),
                     (4, 3, 32, 24), (6, 5, 6, 13), (20, 3, 71, 10)]
        for (w, h, ow, oh) in sizes {
            let input = PlaneSize(width: w, height: h), output = PlaneSize(width: ow, height: oh)
            let weights = IMLUTModel.binWeights(bins, s: (Double(ow) / Double(w) * Double(oh) / Double(h)).squareRoot())
            let plan = try IMLUTPlan(model: model, input: input, output: output, bitDepth: bitDepth)
            #expect(plan.nodes == zip(nodes, weights).filter { $0.1 > 0 }.map(\.0).max(), "\(w)x\(h) -> \(ow)x\(oh)")
        }
        try Self.expectReference(spec, sizes: sizes, bitDepth: bitDepth, &g)
    }

    @Test("a nearest candidate folded into the constant one: the plan equals the reference", arguments: [
        // (seed, interpolators, nodes, bit depth): the shipped layout, nearest first, nearest already last, the two
        // alone, and the shipped layout on 3 x 3 nodes (36 values: rows of three 16-lane chunks).
        (21, [IMLUTSpec.Interpolator.constant, .nearest, .bicubic, .lanczos3], 2, 8), (22, [.nearest, .bilinear, .constant], 2, 10),
        (23, [.nearest, .constant], 2, 8), (24, [.constant, .nearest, .bicubic, .lanczos3], 2, 16), (25, [.constant, .bicubic, .nearest], 2, 8),
        (26, [.constant, .nearest, .bicubic, .lanczos3], 3, 8),
    ])
    func foldedNearestMatchesReference(seed: Int, interpolators: [IMLUTSpec.Interpolator], nodes: Int, bitDepth: Int) throws {
        var g = SeededGenerator(seed: UInt64(seed))
        let spec = Self.randomSpec(&g, nodes: nodes, interpolators: interpolators, patterns: [.s, .d])
        let plan = try IMLUTPlan(model: IMLUTModel(spec), input: PlaneSize(width: 7, height: 5), output: PlaneSize(width: 17, height: 12),
                                 bitDepth: bitDepth)
        #expect(plan.foldsNearest && plan.interpolators.last == .nearest)
        // The last two are wide enough for the kernels' 16-column steps on the LR grid.
        try Self.expectReference(spec, sizes: [(7, 5, 17, 12), (6, 5, 6, 13), (4, 3, 32, 24), (9, 6, 23, 19), (1, 1, 3, 2),
                                                (37, 4, 80, 9), (40, 3, 97, 7)], bitDepth: bitDepth, &g)
    }

    @Test("pre-stages whose fixed point is exact: the plan equals the reference", arguments: [
        // (seed, pre-stages, mix patterns, bit depth)
        (31, ["S"], "SD", 8), (32, ["SD", "Y"], "S", 10), (33, ["I"], "SDY", 12), (34, ["S"], "SDYI", 8),
    ])
    func planWithPreStagesMatchesReference(seed: Int, preStages: [String], patterns: String, bitDepth: Int) throws {
        var g = SeededGenerator(seed: UInt64(seed))
        let spec = Self.randomSpec(&g, patterns: patterns.map { LUTModelSpec.Pattern(rawValue: String($0))! },
                                   preStages: preStages, exactPreStages: true)
        try Self.expectReference(spec, sizes: [(7, 5, 17, 12), (6, 5, 6, 13), (4, 3, 32, 24), (9, 6, 23, 19), (1, 1, 3, 2),
                                                (2, 3, 5, 3), (12, 11, 30, 40)], bitDepth: bitDepth, &g)
    }

    /// Any pre-stages (float tables, non-power-of-two cells, any bias: rounded where the fixed point cannot hold
    /// them) give exactly what the fixed-scale engine gives for them as an x1 srlut model, and the mix then reads
    /// that plane: the plan equals the plan without pre-stages run on the fixed-scale engine's output, in every
    /// tier, band split and worker count.
    @Test("pre-stages are the fixed-scale engine's x1 stages, then the mix reads their output", arguments: [
        (41, ["S"], "SD", 8), (42, ["SD", "Y"], "S", 10), (43, ["I"], "SDYI", 12), (44, ["Y"], "S", 16), (45, ["D", "S"], "Y", 8),
    ])
    func preStagesComposeWithTheMix(seed: Int, preStages: [String], patterns: String, bitDepth: Int) throws {
        var g = SeededGenerator(seed: UInt64(seed))
        let spec = Self.randomSpec(&g, patterns: patterns.map { LUTModelSpec.Pattern(rawValue: String($0))! },
                                   levels: seed % 2 == 1 ? [0, 32, 48, 112, 256] : [0, 64, 128, 256], preStages: preStages)
        let model = try IMLUTModel(spec)
        let plain = try IMLUTModel(IMLUTSpec(name: spec.name, maxScale: spec.maxScale, scaleBins: spec.scaleBins, phaseNodes: spec.phaseNodes,
                                             interpolators: spec.interpolators, mix: spec.mix))
        let pre = try LUTModel(LUTModelSpec(name: "pre-stages", scale: 1, stages: spec.preStages))
        var changed = false
        for (w, h, ow, oh) in [(7, 5, 17, 12), (6, 5, 6, 13), (4, 3, 32, 24), (1, 1, 3, 2), (12, 11, 30, 40), (40, 3, 97, 9)] {
            let plane = (0..<w * h).map { _ in Int.random(in: 0..<(1 << bitDepth), using: &g) }
            let size = PlaneSize(width: ow, height: oh)
            let refined = try pre.upscale(plane, width: w, height: h, bitDepth: bitDepth)
            let expected = try Self.render(plain, refined, width: w, height: h, output: size, bitDepth: bitDepth)
            for tier in KernelTier.available {
                #expect(try Self.render(model, plane, width: w, height: h, output: size, bitDepth: bitDepth, kernels: tier) == expected,
                        "\(tier) at \(w)x\(h) -> \(ow)x\(oh)")
            }
            let cuts = (0..<3).map { _ in Int.random(in: 0...oh, using: &g) }
            #expect(try Self.render(model, plane, width: w, height: h, output: size, bitDepth: bitDepth, bands: cuts) == expected)
            #expect(try Self.render(model, plane, width: w, height: h, output: size, bitDepth: bitDepth, workers: 3) == expected)
            let unrefined = try Self.render(plain, plane, width: w, height: h, output: size, bitDepth: bitDepth)
            changed = changed || expected != unrefined
        }
        #expect(changed, "the pre-stages left every output as it was")
    }

    /// Renders random planes of each (w, h) -> (ow, oh) whole with every kernel tier this CPU runs, in random bands and
    /// on 3 workers, against the reference; the tiers agree to the bit.
    static func expectReference(_ spec: IMLUTSpec, sizes: [(Int, Int, Int, Int)], bitDepth: Int, _ g: inout SeededGenerator) throws {
        let model = try IMLUTModel(spec)
        let reference = ReferenceIMLUT(spec: spec)
        var differing = 0, total = 0
        for (w, h, ow, oh) in sizes {
            let plane = (0..<w * h).map { _ in Int.random(in: 0..<(1 << bitDepth), using: &g) }
            let size = PlaneSize(width: ow, height: oh)
            let expected = reference.run(plane, width: w, height: h, output: size, bitDepth: bitDepth)
            let whole = try Self.render(model, plane, width: w, height: h, output: size, bitDepth: bitDepth)
            for tier in KernelTier.available {
                let other = try Self.render(model, plane, width: w, height: h, output: size, bitDepth: bitDepth, kernels: tier)
                #expect(other == whole, "\(tier) differs at \(w)x\(h) -> \(ow)x\(oh)")
            }
            let (count, largest) = Self.compare(whole, expected)
            #expect(largest <= 1, "\(w)x\(h) -> \(ow)x\(oh): \(count) samples differ, by up to \(largest)")
            differing += count
            total += expected.count
            // Any band split and any worker count give the same samples as one pass.
            let cuts = (0..<3).map { _ in Int.random(in: 0...oh, using: &g) }
            #expect(try Self.render(model, plane, width: w, height: h, output: size, bitDepth: bitDepth, bands: cuts) == whole)
            #expect(try Self.render(model, plane, width: w, height: h, output: size, bitDepth: bitDepth, workers: 3) == whole)
        }
        // Fixed point and Float against Double: only samples within a rounding error of a half may differ. Cells
        // that are not a power of two wide have their fractions rounded to 1/4096, which on these
        // random tables, whose neighbouring entries differ by their whole range, moves a value by a few hundredths.
        // At 16 bits a sample's last bit lies below the weights' precision (14-15 bits): only the bound holds there.
        let powerOfTwoCells = spec.mix.allSatisfy { lut in zip(lut.levels, lut.levels.dropFirst()).allSatisfy { ($1 - $0).nonzeroBitCount == 1 } }
        #expect(bitDepth > 12 || differing * (powerOfTwoCells ? 200 : 50) <= total, "\(differing) of \(total) samples differ by 1")
    }

    @Test func planRefusals() throws {
        let model = try IMLUTModel(Self.small)
        let input = PlaneSize(width: 10, height: 10)
        for output in [PlaneSize(width: 9, height: 20), PlaneSize(width: 20, height: 81), PlaneSize(width: 81, height: 80)] {
            #expect(throws: UpscaleError.self) { try model.makePlan(input: input, output: output, bitDepth: 8) }
        }
        #expect(throws: UpscaleError.unsupportedBitDepth(7)) { try model.makePlan(input: input, output: input, bitDepth: 7) }
        #expect(throws: UpscaleError.self) { try model.makePlan(input: PlaneSize(width: 0, height: 4), output: input, bitDepth: 8) }
        #expect(model.serves(input: input, output: PlaneSize(width: 80, height: 10)))
        #expect(!model.serves(input: input, output: PlaneSize(width: 80, height: 9)))
    }

    @Test func binWeightsAreLinearAndClamped() {
        let bins = [1.5, 2, 3, 4]
        #expect(IMLUTModel.binWeights(bins, s: 1) == [1, 0, 0, 0])
        #expect(IMLUTModel.binWeights(bins, s: 2.5) == [0, 0.5, 0.5, 0])
        #expect(IMLUTModel.binWeights(bins, s: 2) == [0, 1, 0, 0])
        #expect(IMLUTModel.binWeights(bins, s: 7.9) == [0, 0, 0, 1])
    }
}

import Foundation
import TestSupport
import Testing
import VideoCore
@testable import LUTEngine

/// The "imlut" kind: file format (round trips, every validation rule, damage), and the engine's plan against
/// the literal reference on random models.
@Suite struct IMLUTTests {
    /// A random model: `bins` scale bins, N nodes, the given interpolators, one lut per pattern in `patterns`.
    static func randomSpec(_ g: inout SeededGenerator, bins: [Double] = [1.5, 2, 3, 4], nodes: Int = 3,
                           interpolators: [IMLUTSpec.Interpolator] = IMLUTSpec.Interpolator.allCases,
                           patterns: [LUTModelSpec.Pattern] = [.s], rotations: Int = 4, refine: [LUTModelSpec.Pattern]? = [.s],
                           levels: [Int] = [0, 64, 128, 256], maxScale: Double = 8) -> IMLUTSpec {
        let count = levels.count, entries = count * count * count * count
        let k = interpolators.count
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
                             table: table(outputs: bins.count * nodes * nodes * k, magnitude: 2.4 / (Double(k) * lookups), low: -0.3,
                                          type: types.randomElement(using: &g)!))
        }
        let refineLUTs = refine.map { $0.map { pattern in
            LUTModelSpec.LUT(pattern: pattern, rotations: rotations, levels: levels,
                             table: table(outputs: bins.count, magnitude: 6, low: -1, type: types.randomElement(using: &g)!))
        } }
        return IMLUTSpec(name: "random-imlut", maxScale: maxScale, scaleBins: bins, phaseNodes: nodes,
                         interpolators: interpolators, mix: mix, refine: refineLUTs,
                         metadata: [.init("set5_y_psnr", .object([.init("2", .double(36.1)), .init("3", .double(32.4))]))])
    }

    static let small: IMLUTSpec = {
        var g = SeededGenerator(seed: 11)
        return randomSpec(&g, bins: [2, 4], nodes: 2, interpolators: [.bilinear, .constant, .bicubic], patterns: [.s, .y],
                          refine: [.d], levels: [0, 128, 256])
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
        for spec in [Self.small, Self.randomSpec(&g, refine: nil), Self.randomSpec(&g, nodes: 4, patterns: [.d, .s], rotations: 1)] {
            let bytes = try LUTFile.encode(spec)
            #expect(try LUTFile.decodeContents(bytes) == .imlut(spec))
            let h = Int(LUTFile.readU32(bytes, at: 12))
            let header = try JSONValue.parse(Array(bytes[16..<16 + h]))
            #expect(header["kind"] == .string("imlut") && header["phase_nodes"] == .int(spec.phaseNodes))
            #expect((header["refine"] == .null) == (spec.refine == nil))
            // The srlut-only reader says what the file is.
            #expect(throws: LUTFileError.wrongKind(found: "imlut", expected: "srlut")) { try LUTFile.decode(bytes) }
        }
        // A header without "refine" (absent, not null) means no refinement too.
        let noRefine = Self.randomSpec(&g, refine: nil)
        let (header, payload) = LUTFileTests.parts(try LUTFile.encode(noRefine))
        let absent = LUTFileTests.assemble(header: header.replacingOccurrences(of: "\"refine\": null, ", with: ""), payload: payload)
        #expect(try LUTFile.decodeContents(absent) == .imlut(noRefine))
        // Mix tables of 2 bins x 2x2 nodes x 3 interpolators, refine of 2 bins; 64-aligned in order.
        let bytes = try LUTFile.encode(Self.small)
        let parsed = try JSONValue.parse(Array(LUTFileTests.parts(bytes).0.utf8))
        guard case let .array(mix)? = parsed["mix"]?["luts"], case let .array(refine)? = parsed["refine"]?["luts"] else {
            Issue.record("mix/refine luts missing")
            return
        }
        #expect(mix.map { $0["table"]!["outputs"]!.integerValue! } == [24, 24] && refine.map { $0["table"]!["outputs"]!.integerValue! } == [2])
        let offsets = (mix + refine).map { $0["table"]!["offset"]!.integerValue! }
        #expect(offsets == offsets.sorted() && offsets.allSatisfy { $0 % 64 == 0 } && offsets[0] == 0)
    }

    /// `small` with a second refine lut that is dilated.
    static let dilated: IMLUTSpec = {
        var g = SeededGenerator(seed: 12)
        var spec = randomSpec(&g, bins: [2, 4], nodes: 2, interpolators: [.bilinear, .constant, .bicubic], patterns: [.s, .y],
                              refine: [.d, .y], levels: [0, 128, 256])
        spec.refine![1].dilation = .scale
        return spec
    }()

    @Test func dilationRoundTripsAndIsChecked() throws {
        let bytes = try LUTFile.encode(Self.dilated)
        #expect(try LUTFile.decodeContents(bytes) == .imlut(Self.dilated))
        let parsed = try JSONValue.parse(Array(LUTFileTests.parts(bytes).0.utf8))
        guard case let .array(refine)? = parsed["refine"]?["luts"], case let .array(mix)? = parsed["mix"]?["luts"] else {
            Issue.record("mix/refine luts missing")
            return
        }
        // Written only where set.
        #expect(refine.map { $0["dilation"] } == [nil, .string("scale")] && mix.allSatisfy { $0["dilation"] == nil })
        #expect(!LUTFileTests.parts(try LUTFile.encode(Self.small)).0.contains("dilation"))
        // Any other value, or a dilated mix lut, is a header error naming the field.
        for value in ["2", "\"none\"", "\"Scale\"", "null", "true"] {
            let error = Self.editedHeader("\"dilation\": \"scale\"", "\"dilation\": \(value)", spec: Self.dilated)
            #expect(Self.kind(error) == "bad header field" && String(describing: error!).contains("refine.luts[1].dilation"), "\(value): \(String(describing: error))")
        }
        let mixError = Self.editedHeader("\"pattern\": \"S\", \"rotations\": 4,", "\"pattern\": \"S\", \"rotations\": 4, \"dilation\": \"scale\",",
                                         spec: Self.dilated)
        #expect(Self.kind(mixError) == "bad header field" && String(describing: mixError!).contains("mix.luts[0]")
                && String(describing: mixError!).contains("dilation"), "\(String(describing: mixError))")
        // The writer refuses what the reader would: a dilated mix or srlut lut.
        var mixDilated = Self.small
        mixDilated.mix[1].dilation = .scale
        #expect(throws: LUTFileError.self) { try LUTFile.encode(mixDilated) }
        var srlut = LUTFileTests.small
        srlut.stages[0].luts[0].dilation = .scale
        #expect(throws: LUTFileError.self) { try LUTFile.encode(srlut) }
    }

    /// `small` with one factor per output on a mix and the refine table.
    static let outputScaled: IMLUTSpec = {
        var g = SeededGenerator(seed: 13)
        var spec = small
        spec.mix[0].table.outputScales = (0..<24).map { _ in Double.random(in: 0.05...1, using: &g) }
        spec.refine![0].table.outputScales = [0.25, 1]
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
            ("\"bilinear\", \"constant\"", "\"bilinear\", \"bilinear\"", "bad header field"),  // twice
            ("\"bilinear\", \"constant\"", "\"bilinear\", \"gaussian\"", "bad header field"),  // unknown
            ("\"interpolators\": [\"bilinear\", \"constant\", \"bicubic\"]", "\"interpolators\": []", "bad header field"),
            ("\"interpolators\": [\"bilinear\", \"constant\", \"bicubic\"]", "\"interpolators\": [\"bilinear\", \"constant\"]", "bad table"),
            ("\"mix\": {\"luts\": [", "\"mix\": {\"lut\": [", "bad header field"),
            ("\"refine\": {\"luts\": [", "\"refine\": {\"luts\": [], \"x\": [", "bad header field"),
            ("\"name\": \"random-imlut\"", "\"name\": \"\"", "bad header field"),
            ("\"name\": \"random-imlut\"", "\"name\": \"random-imlut\", \"scale\": 2", "bad header field"),  // srlut member
            ("\"kind\": \"imlut\"", "\"kind\": \"imlut2\"", "unknown model kind \"imlut2\" (this build knows \"srlut\" and \"imlut\")"),
            ("\"pattern\": \"D\"", "\"pattern\": \"X\"", "bad header field"),
            ("\"rotations\": 4", "\"rotations\": 3", "bad header field"),
            ("\"outputs\": 2,", "\"outputs\": 3,", "bad table"),                          // refine outputs != bins
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
        #expect(refused { $0.refine = [] })
        #expect(refused { $0.mix = Array(repeating: $0.mix[0], count: 17) })
        #expect(refused { $0.mix[0].table.values = .float32(Array(repeating: .nan, count: 81 * 24)) })
        #expect(refused { $0.mix[0].table.scale = 0 })
        #expect(refused { $0.refine![0].rotations = 2 })
        #expect(refused { $0.interpolators = [.bilinear, .bilinear, .bicubic] })
        var huge = Self.small
        huge.mix[0].table = .init(entries: 81, outputs: 24, scale: 1e300, values: .int8(Array(repeating: 1, count: 81 * 24)))
        #expect(throws: LUTFileError.self) { try IMLUTModel(huge) }
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
                       bands: [Int]? = nil, workers: Int = 1) throws -> [Int] {
        let source = bitDepth > 8
            ? PlaneBuffer(width: width, height: height, bitDepth: bitDepth, samples: plane.map { UInt16($0) })
            : PlaneBuffer(width: width, height: height, samples: plane.map { UInt8($0) })
        let plan = try model.makePlan(input: source.size, output: output, bitDepth: bitDepth)
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
        // (seed, nodes, rotations, patterns, refine, bit depth)
        (1, 2, 4, "S", "S", 8), (2, 3, 4, "SDY", "", 8), (3, 3, 1, "Y", "DY", 8), (4, 2, 1, "D", "S", 10),
        (5, 3, 4, "S", "Y", 10), (6, 4, 4, "SD", "D", 8),
    ])
    func planMatchesReference(seed: Int, nodes: Int, rotations: Int, patterns: String, refine: String, bitDepth: Int) throws {
        var g = SeededGenerator(seed: UInt64(seed))
        let pattern = { (s: String) in s.map { LUTModelSpec.Pattern(rawValue: String($0))! } }
        let interpolators = IMLUTSpec.Interpolator.allCases.shuffled(using: &g)
        let spec = Self.randomSpec(&g, nodes: nodes, interpolators: Array(interpolators.prefix(seed % 2 == 0 ? 5 : 3)),
                                   patterns: pattern(patterns), rotations: rotations, refine: refine.isEmpty ? nil : pattern(refine),
                                   levels: seed % 2 == 0 ? [0, 64, 128, 256] : [0, 32, 48, 112, 256])
        // Isotropic, anisotropic, identity, beyond the last bin (x8), odd and one-pixel sizes.
        try Self.expectReference(spec, sizes: [(7, 5, 17, 12), (6, 5, 6, 13), (5, 4, 5, 4), (4, 3, 32, 24), (9, 6, 23, 19),
                                                (1, 1, 3, 2), (2, 3, 5, 3)], bitDepth: bitDepth, &g)
    }

    /// Renders random planes of each (w, h) -> (ow, oh) whole, in random bands and on 3 workers, against the reference.
    static func expectReference(_ spec: IMLUTSpec, sizes: [(Int, Int, Int, Int)], bitDepth: Int, _ g: inout SeededGenerator) throws {
        let model = try IMLUTModel(spec)
        let reference = ReferenceIMLUT(spec: spec)
        var differing = 0, total = 0
        for (w, h, ow, oh) in sizes {
            let plane = (0..<w * h).map { _ in Int.random(in: 0..<(1 << bitDepth), using: &g) }
            let size = PlaneSize(width: ow, height: oh)
            let expected = reference.run(plane, width: w, height: h, output: size, bitDepth: bitDepth)
            let whole = try Self.render(model, plane, width: w, height: h, output: size, bitDepth: bitDepth)
            let (count, largest) = Self.compare(whole, expected)
            #expect(largest <= 1, "\(w)x\(h) -> \(ow)x\(oh): \(count) samples differ, by up to \(largest)")
            differing += count
            total += expected.count
            // Any band split and any worker count give the same samples as one pass.
            let cuts = (0..<3).map { _ in Int.random(in: 0...oh, using: &g) }
            #expect(try Self.render(model, plane, width: w, height: h, output: size, bitDepth: bitDepth, bands: cuts) == whole)
            #expect(try Self.render(model, plane, width: w, height: h, output: size, bitDepth: bitDepth, workers: 3) == whole)
        }
        // Float against Double: only samples within a rounding error of a half may differ.
        #expect(differing * 200 <= total, "\(differing) of \(total) samples differ by 1")
    }

    @Test("dilated refine luts equal the reference", arguments: [
        // (seed, rotations, mix patterns, refine patterns: upper case dilated, lower case not, bit depth)
        (21, 4, "S", "S", 8), (22, 1, "D", "Ys", 10), (23, 4, "SY", "Yd", 8), (24, 1, "Y", "D", 10), (25, 4, "D", "sD", 10),
    ])
    func dilatedRefineMatchesReference(seed: Int, rotations: Int, patterns: String, refine: String, bitDepth: Int) throws {
        var g = SeededGenerator(seed: UInt64(seed))
        let pattern = { (s: String) in s.map { LUTModelSpec.Pattern(rawValue: $0.uppercased())! } }
        var spec = Self.randomSpec(&g, nodes: 3, interpolators: [.bicubic, .constant, .bilinear], patterns: pattern(patterns),
                                   rotations: rotations, refine: pattern(refine))
        for (i, c) in refine.enumerated() where c.isUppercase { spec.refine![i].dilation = .scale }
        // d = 2 (x1.5), 3 (x2.5), 3, 4, 2 (3 x 2 anisotropic), 8 on planes smaller than the reach (up to 16).
        try Self.expectReference(spec, sizes: [(6, 4, 9, 6), (4, 6, 10, 15), (5, 4, 15, 12), (4, 3, 16, 12), (5, 6, 15, 12),
                                                (5, 4, 40, 32), (2, 1, 16, 8), (1, 1, 8, 8)], bitDepth: bitDepth, &g)
    }

    @Test("transpose ensembles equal the reference", arguments: [
        // (seed, rotations, mix patterns, refine patterns: upper case dilated, bit depth)
        (31, 4, "SDY", "sSD", 8), (32, 1, "S", "", 8), (33, 4, "Y", "dY", 10),
    ])
    func transposeEnsembleMatchesReference(seed: Int, rotations: Int, patterns: String, refine: String, bitDepth: Int) throws {
        var g = SeededGenerator(seed: UInt64(seed))
        let pattern = { (s: String) in s.map { LUTModelSpec.Pattern(rawValue: $0.uppercased())! } }
        var spec = Self.randomSpec(&g, nodes: 3, interpolators: [.lanczos3, .nearest, .bicubic], patterns: pattern(patterns),
                                   rotations: rotations, refine: refine.isEmpty ? nil : pattern(refine))
        for (i, c) in refine.enumerated() where c.isUppercase { spec.refine![i].dilation = .scale }
        spec.ensemble = .transpose
        // Isotropic, anisotropic both ways, identity, non-square planes, one column.
        try Self.expectReference(spec, sizes: [(7, 5, 17, 12), (6, 5, 6, 13), (5, 4, 15, 4), (5, 4, 5, 4), (9, 6, 23, 19),
                                                (1, 3, 2, 7)], bitDepth: bitDepth, &g)
    }

    /// With the ensemble, upscaling the transposed plane gives the transposed output, sample for sample (the mean
    /// of the same two Float runs); without it, it does not.
    @Test func transposeEnsembleIsTransposeEquivariant() throws {
        var g = SeededGenerator(seed: 34)
        var spec = Self.randomSpec(&g, nodes: 3, patterns: [.s, .d], refine: [.y, .s])
        spec.refine![1].dilation = .scale
        let (w, h, output) = (9, 7, PlaneSize(width: 22, height: 16))
        let plane = (0..<w * h).map { _ in Int.random(in: 0..<256, using: &g) }
        let flipped = transposed(plane, width: w, height: h)
        func both(_ spec: IMLUTSpec) throws -> ([Int], [Int]) {
            let model = try IMLUTModel(spec)
            return (try Self.render(model, plane, width: w, height: h, output: output, bitDepth: 8, workers: 2),
                    transposed(try Self.render(model, flipped, width: h, height: w, output: output.transposed, bitDepth: 8, workers: 2),
                               width: output.height, height: output.width))
        }
        let (plain, plainFlipped) = try both(spec)
        #expect(plain != plainFlipped)
        spec.ensemble = .transpose
        let (ensemble, ensembleFlipped) = try both(spec)
        #expect(ensemble == ensembleFlipped)
        #expect(ensemble != plain)
    }

    @Test func ensembleRoundTripsAndIsChecked() throws {
        var spec = Self.small
        spec.ensemble = .transpose
        let bytes = try LUTFile.encode(spec)
        #expect(try LUTFile.decodeContents(bytes) == .imlut(spec))
        #expect(LUTFileTests.parts(bytes).0.contains("\"ensemble\": \"transpose\""))
        // Written only where set; "none" reads as no ensemble.
        #expect(!LUTFileTests.parts(try LUTFile.encode(Self.small)).0.contains("ensemble"))
        let none = Self.editedHeader("\"refine\": {", "\"ensemble\": \"none\", \"refine\": {")
        #expect(none == nil)
        for value in ["\"Transpose\"", "\"flip\"", "1", "null", "true"] {
            let error = Self.editedHeader("\"refine\": {", "\"ensemble\": \(value), \"refine\": {")
            #expect(Self.kind(error) == "bad header field" && String(describing: error!).contains("ensemble"), "\(value): \(String(describing: error))")
        }
    }

    /// Below x1.5 (d = 1) a dilated refine lut reads what an undilated one reads.
    @Test func dilationOneRendersAsUndilated() throws {
        var g = SeededGenerator(seed: 26)
        let plain = Self.randomSpec(&g, patterns: [.s], refine: [.y, .d])
        var dilated = plain
        dilated.refine![0].dilation = .scale
        dilated.refine![1].dilation = .scale
        let plane = (0..<9 * 7).map { _ in Int.random(in: 0..<256, using: &g) }
        let output = PlaneSize(width: 12, height: 9)
        let expected = try Self.render(IMLUTModel(plain), plane, width: 9, height: 7, output: output, bitDepth: 8)
        #expect(try Self.render(IMLUTModel(dilated), plane, width: 9, height: 7, output: output, bitDepth: 8) == expected)
        // At x2 (d = 2) it does not.
        let x2 = PlaneSize(width: 18, height: 14)
        #expect(try Self.render(IMLUTModel(plain), plane, width: 9, height: 7, output: x2, bitDepth: 8)
            != Self.render(IMLUTModel(dilated), plane, width: 9, height: 7, output: x2, bitDepth: 8))
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

import Foundation
import TestSupport
import Testing
import VideoCore
@testable import LUTEngine

/// The `.lut` format v1: round trips, byte layout, every damage case, and a seeded mutation fuzz of the loader.
@Suite struct LUTFileTests {
    /// A small valid two-stage model: 3 levels (81 entries), an int16 and an int8 table, metadata.
    static let small: LUTModelSpec = {
        let levels = [0, 128, 256]
        var g = SeededGenerator(seed: 1)
        return LUTModelSpec(name: "small", scale: 2, stages: [
            .init(upscale: 1, residual: true, bias: 0.5, luts: [
                .init(pattern: .y, rotations: 4, levels: levels,
                      table: .init(entries: 81, outputs: 1, scale: 0.25, values: .int16((0..<81).map { _ in Int16.random(in: -500...500, using: &g) }))),
            ]),
            .init(upscale: 2, luts: [
                .init(pattern: .s, rotations: 1, levels: levels,
                      table: .init(entries: 81, outputs: 4, values: .int8((0..<324).map { _ in Int8.random(in: -128...127, using: &g) }))),
                .init(pattern: .d, rotations: 4, levels: [0, 64, 256],
                      table: .init(entries: 81, outputs: 4, scale: 0.5, values: .float32((0..<324).map { _ in Float(Int.random(in: -99...99, using: &g)) / 4 }))),
            ]),
        ], metadata: [.init("source", .string("unit test \u{00e9}\"\n")), .init("set5_y_psnr", .object([.init("2", .double(35.5))]))])
    }()

    /// Reassembles a file from header text and payload with a correct length field, padding and checksum, so
    /// each damage test reaches the check it targets.
    static func assemble(header: String, payload: [UInt8], version: UInt32 = 1) -> [UInt8] {
        var out = Array("LUTSCALE".utf8)
        let h = Array(header.utf8)
        for v in [version, UInt32(h.count)] { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
        out += h
        out += repeatElement(0, count: (64 - out.count % 64) % 64)
        out += payload
        let crc = CRC32.checksum(out)
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: crc >> (8 * i))) }
        return out
    }

    /// Splits a valid file into (header text, payload).
    static func parts(_ file: [UInt8]) -> (String, [UInt8]) {
        let h = Int(LUTFile.readU32(file, at: 12))
        let start = (16 + h + 63) / 64 * 64
        return (String(decoding: file[16..<16 + h], as: UTF8.self), Array(file[start..<file.count - 4]))
    }

    /// `bytes` as a file read by `readContents(path:)`, which checks the preamble and header before reading the
    /// rest: it must agree with the in-memory decoder, error for error.
    static func expectFileReaderAgrees(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lutfile-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).lut")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let fromFile = Result { () throws(LUTFileError) in try LUTFile.readContents(path: url.path) }
        let fromMemory = Result { () throws(LUTFileError) in try LUTFile.decodeContents(bytes) }
        #expect(fromFile == fromMemory, sourceLocation: sourceLocation)
    }

    static func decodeError(_ bytes: [UInt8]) -> LUTFileError? {
        do {
            _ = try LUTFile.decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    /// Decodes a file whose header text had `target` replaced by `replacement`.
    static func editedHeader(_ target: String, _ replacement: String) -> LUTFileError? {
        let (header, payload) = parts(try! LUTFile.encode(small))
        precondition(header.contains(target), "test header lacks \(target)")
        return decodeError(assemble(header: header.replacingOccurrences(of: target, with: replacement), payload: payload))
    }

    @Test func crcMatchesZlib() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }

    @Test func roundTripAndLayout() throws {
        let bytes = try LUTFile.encode(Self.small)
        #expect(try LUTFile.decode(bytes) == Self.small)
        #expect(Array(bytes[0..<8]) == Array("LUTSCALE".utf8))
        #expect(LUTFile.readU32(bytes, at: 8) == 1)
        let h = Int(LUTFile.readU32(bytes, at: 12))
        let header = try JSONValue.parse(Array(bytes[16..<16 + h]))
        #expect(header["kind"] == .string("srlut") && header["scale"] == .int(2))
        let payload = (16 + h + 63) / 64 * 64
        #expect(bytes[16 + h..<payload].allSatisfy { $0 == 0 })
        #expect(LUTFile.readU32(bytes, at: bytes.count - 4) == CRC32.checksum(Array(bytes.dropLast(4))))
        // Tables at 64-aligned offsets, in order, the last one ending at the checksum.
        guard case let .array(stages) = header["stages"]! else { Issue.record("stages"); return }
        var offsets: [Int] = []
        for stage in stages { if case let .array(luts) = stage["luts"]! { offsets += luts.map { $0["table"]!["offset"]!.integerValue! } } }
        #expect(offsets == [0, 192, 576])
        #expect(bytes.count - 4 - payload == 576 + 324 * 4)
    }

    @Test func writtenFileLoadsAsModel() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lutfile-\(UUID()).lut").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try LUTFile.write(Self.small, to: path)
        let model = try LUTModel.load(path: path)
        #expect(model.spec == Self.small && model.scale == 2 && model.name == "small")
    }

    @Test func fixedHeaderDamage() throws {
        let good = try LUTFile.encode(Self.small)
        var magic = good
        magic[3] = UInt8(ascii: "x")
        #expect(Self.decodeError(magic) == .badMagic)
        var version = good
        version[8] = 2
        #expect(Self.decodeError(version) == .unsupportedVersion(2))
        var zeroLength = good
        zeroLength.replaceSubrange(12..<16, with: [0, 0, 0, 0])
        #expect(Self.decodeError(zeroLength).map { if case .badHeaderLength = $0 { true } else { false } } == true)
        var hugeLength = good
        hugeLength.replaceSubrange(12..<16, with: [0, 0, 0, 1])
        #expect(Self.decodeError(hugeLength).map { if case .badHeaderLength = $0 { true } else { false } } == true)
        var padding = good  // a non-zero byte between the header and the payload
        padding[16 + Int(LUTFile.readU32(good, at: 12))] = 1
        let crc = CRC32.checksum(Array(padding.dropLast(4)))
        padding.replaceSubrange(padding.count - 4..<padding.count, with: (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) })
        #expect(Self.decodeError(padding).map { if case .badHeaderLength = $0 { true } else { false } } == true)
        var longer = good
        longer[12] &+= 40  // the header now runs into the zero padding and the payload
        #expect(Self.decodeError(longer) != nil)
    }

    @Test func truncatedFilesSayTruncated() throws {
        let good = try LUTFile.encode(Self.small)
        let h = Int(LUTFile.readU32(good, at: 12))
        for length in [0, 7, 15, 19, 16 + h / 2, 16 + h + 2, good.count / 2, good.count - 100, good.count - 1] {
            let error = Self.decodeError(Array(good[0..<length]))
            let isTruncated = error.map { if case .truncated = $0 { true } else { false } } ?? false
            #expect(isTruncated, "cut at \(length) of \(good.count): \(String(describing: error))")
        }
    }

    @Test func corruptionFailsTheChecksum() throws {
        let good = try LUTFile.encode(Self.small)
        var payloadFlip = good
        payloadFlip[good.count - 50] ^= 0x10
        #expect(Self.decodeError(payloadFlip).map { if case .checksumMismatch = $0 { true } else { false } } == true)
        var crcFlip = good
        crcFlip[good.count - 1] ^= 1
        #expect(Self.decodeError(crcFlip).map { if case .checksumMismatch = $0 { true } else { false } } == true)
        // A changed digit that keeps the header valid is caught by the checksum too.
        var digit = good
        let text = Array("\"bias\": 0.5".utf8)
        let at = (0..<good.count - text.count).first { Array(good[$0..<$0 + text.count]) == text }! + text.count - 1
        digit[at] = UInt8(ascii: "7")
        #expect(Self.decodeError(digit).map { if case .checksumMismatch = $0 { true } else { false } } == true)
    }

    @Test func headerDamageNamesTheField() {
        func kind(_ e: LUTFileError?) -> String {
            guard let e else { return "loaded" }
            return String(describing: e).components(separatedBy: ":").first!
        }
        #expect(Self.editedHeader("\"kind\": \"srlut\"", "\"kind\": \"mulut\"") == .unknownKind("mulut"))
        // An srlut header relabelled imlut is read by the imlut schema, which misses its members.
        #expect(kind(Self.editedHeader("\"kind\": \"srlut\"", "\"kind\": \"imlut\"")) == "bad header field")
        #expect(kind(Self.editedHeader("\"entries\": 81, \"outputs\": 1", "\"entries\": 80, \"outputs\": 1")) == "bad table")
        #expect(kind(Self.editedHeader("\"outputs\": 4", "\"outputs\": 9")) == "bad table")
        #expect(kind(Self.editedHeader("\"type\": \"int8\"", "\"type\": \"int32\"")) == "bad table")
        #expect(kind(Self.editedHeader("\"offset\": 192", "\"offset\": 160")) == "bad table")  // not 64-aligned
        #expect(kind(Self.editedHeader("\"offset\": 192", "\"offset\": 128")) == "bad table")  // overlaps table 0
        #expect(kind(Self.editedHeader("\"offset\": 576", "\"offset\": 640")) == "truncated file")
        #expect(kind(Self.editedHeader("[0, 128, 256]", "[0, 256, 128]")) == "bad levels")
        #expect(kind(Self.editedHeader("[0, 128, 256]", "[1, 128, 256]")) == "bad levels")
        #expect(kind(Self.editedHeader("[0, 128, 256]", "[0, 128, 255]")) == "bad levels")
        #expect(kind(Self.editedHeader("[0, 128, 256]", "[0, 128.5, 256]")) == "bad levels")
        #expect(kind(Self.editedHeader("[0, 128, 256]", "[0, 256]")) == "bad table")  // 16 entries, not 81
        #expect(kind(Self.editedHeader("\"upscale\": 2", "\"upscale\": 3")) == "bad table")  // outputs 4 != 9
        #expect(kind(Self.editedHeader("\"scale\": 2,", "\"scale\": 3,")) == "bad header field")  // last upscale != scale
        #expect(kind(Self.editedHeader("\"pattern\": \"S\"", "\"pattern\": \"Q\"")) == "bad header field")
        #expect(kind(Self.editedHeader("\"rotations\": 1", "\"rotations\": 2")) == "bad header field")
        #expect(kind(Self.editedHeader("\"residual\": true", "\"residual\": 1")) == "bad header field")
        #expect(kind(Self.editedHeader("\"name\": \"small\"", "\"name\": \"small\", \"extra\": 1")) == "bad header field")
        #expect(kind(Self.editedHeader("\"bias\": 0.5, ", "")) == "bad header field")
        #expect(kind(Self.editedHeader("\"name\": \"small\"", "\"name\": \"small\", \"name\": \"again\"")) == "header is not valid JSON")
        #expect(kind(Self.editedHeader("\"kind\": \"srlut\",", "\"kind\": \"srlut\",,")) == "header is not valid JSON")
        // Hostile nesting is refused by depth, without exhausting the stack.
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let nested = Self.editedHeader("\"metadata\": {", "\"metadata\": {\"deep\": \(deep), ")
        #expect(String(describing: nested).contains("nesting deeper"))
    }

    @Test func nonFiniteFloatTableIsRefused() throws {
        var spec = Self.small
        spec.stages[1].luts[1].table.values = .float32(Array(repeating: .nan, count: 324))
        #expect(throws: LUTFileError.self) { try LUTFile.encode(spec) }
        var clean = Self.small
        clean.stages[1].luts[1].table.values = .float32(Array(repeating: 1, count: 324))
        var bytes = try LUTFile.encode(clean)
        // Write a NaN into the last table and fix the checksum: the value check itself must catch it.
        let at = bytes.count - 4 - 4
        bytes.replaceSubrange(at..<at + 4, with: [0x00, 0x00, 0xC0, 0x7F])
        let crc = CRC32.checksum(Array(bytes.dropLast(4)))
        bytes.replaceSubrange(bytes.count - 4..<bytes.count, with: (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) })
        #expect(Self.decodeError(bytes).map { if case .badTable = $0 { true } else { false } } == true)
    }

    /// A few thousand seeded mutations of a valid file of each kind: each one either loads (and then survives a
    /// model build and a re-encode) or throws `LUTFileError`; none may crash. Half get their checksum and header
    /// length repaired so the parser and schema checks are reached, not just the checksum.
    @Test(arguments: ["srlut", "imlut"])
    func mutationFuzz(kind: String) throws {
        var g = SeededGenerator(seed: 2024)
        let good = try kind == "srlut" ? LUTFile.encode(Self.small) : LUTFile.encode(IMLUTTests.small)
        let (header, payload) = Self.parts(good)
        var loaded = 0, rejected = 0
        let alphabet = Array("{}[]\":,0123456789-.eE truefalsnul\\SDYkindscaleoffsetbinsphase_nodes".utf8)
        for i in 0..<3000 {
            var bytes: [UInt8]
            switch i % 4 {
            case 0:  // raw byte flips anywhere
                bytes = good
                for _ in 0..<Int.random(in: 1...8, using: &g) { bytes[Int.random(in: 0..<bytes.count, using: &g)] ^= UInt8.random(in: 1...255, using: &g) }
            case 1:  // truncation, or a range duplicated or deleted
                bytes = good
                let a = Int.random(in: 0..<bytes.count, using: &g), b = Int.random(in: a...bytes.count, using: &g)
                switch Int.random(in: 0..<3, using: &g) {
                case 0: bytes = Array(bytes[0..<a])
                case 1: bytes.insert(contentsOf: bytes[a..<b], at: b)
                default: bytes.removeSubrange(a..<b)
                }
            default:  // header text edits with a repaired length and checksum
                var text = Array(header.utf8)
                for _ in 0..<Int.random(in: 1...4, using: &g) {
                    let at = Int.random(in: 0..<text.count, using: &g)
                    switch Int.random(in: 0..<3, using: &g) {
                    case 0: text[at] = alphabet.randomElement(using: &g)!
                    case 1: text.remove(at: at)
                    default: text.insert(alphabet.randomElement(using: &g)!, at: at)
                    }
                }
                bytes = Self.assemble(header: String(decoding: text, as: UTF8.self), payload: payload)
            }
            if i % 10 == 0 { try Self.expectFileReaderAgrees(bytes) }
            do {
                let contents = try LUTFile.decodeContents(bytes)
                loaded += 1
                #expect(try LUTFile.decodeContents(LUTFile.encode(contents)) == contents)
                switch contents {
                case let .srlut(spec): _ = try? LUTModel(spec)
                case let .imlut(spec):
                    // A model that loads must render: a tiny plane through a plan at a scale it serves.
                    if let model = try? IMLUTModel(spec) {
                        let plane = PlaneBuffer(width: 3, height: 2, samples: [0, 50, 100, 150, 200, 255])
                        let size = PlaneSize(width: 5, height: 4)
                        let out = PlaneBuffer(size: size, bitDepth: 8)
                        try model.makePlan(input: plane.size, output: size, bitDepth: 8).renderParallel(plane.view, into: out.mutableView, workers: 1)
                    }
                }
            } catch {
                rejected += 1
            }
        }
        #expect(loaded + rejected == 3000)
        #expect(rejected > 2000 && loaded > 0, "loaded \(loaded), rejected \(rejected)")
    }
}

/// Import of SR-LUT's published `.npy` tables.
@Suite struct SRLUTNpyTests {
    static func bytes(scale: Int) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestData.srlutTable(scale: scale)))) }

    static func npyError(_ bytes: [UInt8]) -> String? {
        do {
            _ = try SRLUTNpy.decode(bytes)
            return nil
        } catch {
            return String(describing: error)
        }
    }

    /// A valid-looking npy with `header` (padded to 64 bytes) and `data`.
    static func npy(_ header: String, data: [UInt8], version: UInt8 = 1) -> [UInt8] {
        var h = Array(header.utf8)
        h += repeatElement(0x20, count: (64 - (10 + h.count + 1) % 64) % 64)
        h.append(0x0A)
        return [0x93] + Array("NUMPY".utf8) + [version, 0, UInt8(h.count & 0xFF), UInt8(h.count >> 8)] + h + data
    }

    @Test("published tables load as one S LUT, 4 rotations, 17 levels", arguments: [2, 3, 4])
    func publishedTables(scale: Int) throws {
        let raw = try Self.bytes(scale: scale)
        let spec = try SRLUTNpy.decode(raw, sourceFile: "Model_S_x\(scale)_4bit_int8.npy")
        #expect(spec.scale == scale && spec.name == "srlut-s-x\(scale)" && spec.stages.count == 1)
        let lut = spec.stages[0].luts[0]
        #expect(lut.pattern == .s && lut.rotations == 4 && lut.levels == LUTModelSpec.uniformLevels17)
        #expect(lut.table.values == .int8(raw.suffix(83521 * scale * scale).map { Int8(bitPattern: $0) }))
        #expect(spec.metadata.contains { $0.key == "licence" } && spec.metadata.contains { $0.key == "source" })
    }

    @Test func npyAndConvertedLutGiveTheSameModel() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("srlut-\(UUID()).lut").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromNpy = try LUTModel.load(path: TestData.srlutTable(scale: 3))
        try LUTFile.write(fromNpy.spec, to: path)
        let fromLut = try LUTModel.load(path: path)
        #expect(fromLut.spec == fromNpy.spec)
        var g = SeededGenerator(seed: 9)
        let plane = LUTEngineTests.randomPlane(&g, width: 9, height: 7, bitDepth: 8)
        #expect(try fromLut.upscale(plane, width: 9, height: 7) == fromNpy.upscale(plane, width: 9, height: 7))
    }

    @Test func loadErrors() {
        #expect(throws: LUTFileError.unknownExtension("model.onnx")) { try LUTModel.load(path: "model.onnx") }
        #expect(throws: LUTFileError.self) { try LUTModel.load(path: "/nonexistent/model.lut") }
        #expect(throws: LUTFileError.self) { try LUTModel.load(path: "/nonexistent/model.npy") }
    }

    @Test func damagedNpyIsRefused() throws {
        let data = [UInt8](repeating: 1, count: 83521 * 4)
        let good = "{'descr': '|i1', 'fortran_order': False, 'shape': (83521, 1, 2, 2), }"
        #expect(Self.npyError(Self.npy(good, data: data)) == nil)
        let cases: [(String, [UInt8])] = [
            ("wrong dtype", Self.npy(good.replacingOccurrences(of: "|i1", with: "<i2"), data: data)),
            ("fortran order", Self.npy(good.replacingOccurrences(of: "False", with: "True"), data: data)),
            ("wrong shape", Self.npy(good.replacingOccurrences(of: "(83521, 1, 2, 2)", with: "(83521, 2, 2)"), data: data)),
            ("not square", Self.npy(good.replacingOccurrences(of: "1, 2, 2)", with: "1, 2, 3)"), data: data)),
            ("wrong entries", Self.npy(good.replacingOccurrences(of: "83521", with: "83520"), data: data)),
            ("short data", Self.npy(good, data: Array(data.dropLast()))),
            ("long data", Self.npy(good, data: data + [0])),
            ("missing key", Self.npy(good.replacingOccurrences(of: "'fortran_order': False, ", with: ""), data: data)),
            ("extra key", Self.npy(good.replacingOccurrences(of: "}", with: "'x': True, }"), data: data)),
            ("not a dict", Self.npy("[1, 2]", data: data)),
            ("version 2", Self.npy(good, data: data, version: 2)),
            ("bad magic", [0x93] + Array("NUMPX".utf8) + Array(Self.npy(good, data: data).dropFirst(6))),
            ("no newline", Array(Self.npy(good, data: data)[0..<127]) + [0x20] + data),
            ("empty", []),
        ]
        for (name, bytes) in cases {
            #expect(Self.npyError(bytes) != nil, "\(name) was accepted")
        }
    }

    @Test func npyMutationFuzz() throws {
        var g = SeededGenerator(seed: 77)
        let good = try Self.bytes(scale: 2)
        var rejected = 0
        for i in 0..<500 {
            var bytes = Array(good[0..<(i % 2 == 0 ? 128 : good.count)])
            for _ in 0..<Int.random(in: 1...4, using: &g) {
                let at = Int.random(in: 0..<128, using: &g)
                bytes[at] = UInt8.random(in: 0...255, using: &g)
            }
            if Self.npyError(bytes) != nil { rejected += 1 }
            // Through a file too: the header is checked against the file's size before the data is read.
            if i % 10 == 0 {
                let url = FileManager.default.temporaryDirectory.appendingPathComponent("npy-\(getpid())-\(i).npy")
                try Data(bytes).write(to: url)
                defer { try? FileManager.default.removeItem(at: url) }
                let fromFile: String?
                do {
                    _ = try SRLUTNpy.read(path: url.path)
                    fromFile = nil
                } catch {
                    fromFile = String(describing: error)
                }
                #expect(fromFile == Self.npyError(bytes))
            }
        }
        #expect(rejected >= 250)
    }
}

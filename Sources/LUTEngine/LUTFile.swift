import Foundation

/// Reader and writer of the LUTScale model file format, version 1 (docs/lut-format.md).
public enum LUTFile {
    public static let magic: [UInt8] = Array("LUTSCALE".utf8)
    public static let version: UInt32 = 1
    /// Upper bound on the JSON header; real headers are a few hundred bytes.
    public static let maxHeaderLength = 1 << 20
    static let alignment = 64

    // MARK: Reading

    public static func read(path: String) throws(LUTFileError) -> LUTModelSpec {
        try decode(readFile(path: path))
    }

    /// Reads a file of any known kind.
    public static func readContents(path: String) throws(LUTFileError) -> LUTFileContents {
        try decodeContents(readFile(path: path))
    }

    /// What a file's header declares (kind, name, scales, metadata, table shapes, but no table values), read and
    /// checked without its tables: enough to choose among models; the chosen one is read whole, checksum and all.
    public static func readHeader(path: String) throws(LUTFileError) -> LUTFileContents {
        let (bytes, size) = try ModelFileReader.prefix(path: path, prefixLength: 16 + maxHeaderLength)
        return try decodePreamble(bytes, fileLength: size).layout.contents
    }

    /// The file's bytes, read only once its preamble and header agree with its size.
    static func readFile(path: String) throws(LUTFileError) -> [UInt8] {
        try ModelFileReader.read(path: path, prefixLength: 16 + maxHeaderLength) { prefix, fileLength throws(LUTFileError) in
            _ = try decodePreamble(prefix, fileLength: fileLength)
        }
    }

    /// What the first bytes of a file declare: where its payload starts and the tables in it.
    struct Preamble {
        var payloadStart: Int
        var layout: HeaderSchema.Layout
    }

    /// Checks the first bytes of a file of `fileLength` bytes (at least its header, or the whole file if shorter):
    /// magic, version, header length, JSON, schema, table placement, and that the file ends where the header's last
    /// table and the checksum do (a file longer than its header declares is refused, not read).
    static func decodePreamble(_ bytes: [UInt8], fileLength: Int) throws(LUTFileError) -> Preamble {
        guard fileLength >= 20 else { throw .truncated("\(fileLength) bytes, fewer than the 20 of an empty file") }
        guard Array(bytes[0..<8]) == magic else { throw .badMagic }
        let version = readU32(bytes, at: 8)
        guard version == LUTFile.version else { throw .unsupportedVersion(version) }
        let headerLength = Int(readU32(bytes, at: 12))
        guard headerLength >= 2, headerLength <= maxHeaderLength else {
            throw .badHeaderLength("\(headerLength) bytes, must be 2...\(maxHeaderLength)")
        }
        let checksumAt = fileLength - 4
        guard 16 + headerLength <= checksumAt else {
            throw .truncated("the header needs bytes 16..<\(16 + headerLength) but the file has \(fileLength) bytes")
        }
        let payloadStart = roundUp(16 + headerLength, to: alignment)
        guard payloadStart <= checksumAt else {
            throw .truncated("the payload starts at byte \(payloadStart) but the file has \(fileLength) bytes")
        }
        if let bad = (16 + headerLength..<min(payloadStart, bytes.count)).first(where: { bytes[$0] != 0 }) {
            throw .badHeaderLength("padding byte \(bad) after the header is not zero (header length \(headerLength) wrong?)")
        }
        let header = try JSONValue.parse(Array(bytes[16..<16 + headerLength]))
        let layout = try HeaderSchema.parse(header)
        try checkPlacement(layout.tables, payloadLength: checksumAt - payloadStart)
        let declared = payloadStart + (layout.tables.map { $0.offset + $0.byteCount }.max() ?? 0) + 4
        guard fileLength == declared else {
            throw .badTable("the header's tables and checksum end at byte \(declared), but the file has \(fileLength) bytes")
        }
        return Preamble(payloadStart: payloadStart, layout: layout)
    }

    /// Parses and validates a whole "srlut" file (an "imlut" file is refused with `wrongKind`).
    public static func decode(_ bytes: [UInt8]) throws(LUTFileError) -> LUTModelSpec {
        switch try decodeContents(bytes) {
        case let .srlut(spec): return spec
        case .imlut: throw .wrongKind(found: "imlut", expected: "srlut")
        }
    }

    /// Parses and validates a whole file of any known kind. Checks run in file order (magic, version, header
    /// length, JSON, schema, table placement, checksum, values) so the first fault found is the one reported.
    public static func decodeContents(_ bytes: [UInt8]) throws(LUTFileError) -> LUTFileContents {
        let preamble = try decodePreamble(bytes, fileLength: bytes.count)
        let payloadStart = preamble.payloadStart, layout = preamble.layout
        let checksumAt = bytes.count - 4
        let stored = readU32(bytes, at: checksumAt)
        let computed = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<checksumAt])) }
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }

        var contents = layout.contents
        for (index, placed) in layout.tables.enumerated() {
            let start = payloadStart + placed.offset
            contents.setValues(decodeValues(bytes[start..<start + placed.byteCount], type: placed.type), table: index)
        }
        try contents.validate()
        return contents
    }

    /// A table's place in the payload, in file order (`LUTFileContents.luts`).
    struct PlacedTable {
        var path: String
        var offset: Int
        var byteCount: Int
        var type: LUTModelSpec.ElementType
    }

    static func checkPlacement(_ tables: [PlacedTable], payloadLength: Int) throws(LUTFileError) {
        for table in tables {
            guard table.offset % alignment == 0 else {
                throw .badTable("\(table.path).offset: \(table.offset) is not a multiple of \(alignment)")
            }
            guard table.offset + table.byteCount <= payloadLength else {
                throw .truncated("\(table.path) needs payload bytes \(table.offset)..<\(table.offset + table.byteCount), the payload has \(payloadLength)")
            }
        }
        let sorted = tables.sorted { $0.offset < $1.offset }
        for (earlier, later) in zip(sorted, sorted.dropFirst()) where earlier.offset + earlier.byteCount > later.offset {
            throw .badTable("\(earlier.path) and \(later.path) overlap in the payload")
        }
    }

    static func decodeValues(_ bytes: ArraySlice<UInt8>, type: LUTModelSpec.ElementType) -> LUTModelSpec.Values {
        bytes.withUnsafeBytes { raw in
            switch type {
            case .int8:
                return .int8(raw.map { Int8(bitPattern: $0) })
            case .int16:
                return .int16((0..<raw.count / 2).map { Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) })
            case .float32:
                return .float32((0..<raw.count / 4).map {
                    Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
                })
            }
        }
    }

    // MARK: Writing

    /// Serialises an "srlut" model; the description is validated first, so a written file always loads.
    public static func encode(_ spec: LUTModelSpec) throws(LUTFileError) -> [UInt8] {
        try encode(.srlut(spec))
    }

    /// Serialises an "imlut" model; validated first like any other.
    public static func encode(_ spec: IMLUTSpec) throws(LUTFileError) -> [UInt8] {
        try encode(.imlut(spec))
    }

    public static func encode(_ contents: LUTFileContents) throws(LUTFileError) -> [UInt8] {
        try contents.validate()
        let luts = contents.luts
        var offsets: [Int] = []
        var payloadLength = 0
        for lut in luts {
            let offset = roundUp(payloadLength, to: alignment)
            offsets.append(offset)
            payloadLength = offset + lut.table.byteCount
        }
        let header = Array(HeaderSchema.json(for: contents, offsets: offsets).serialized.utf8)
        guard header.count <= maxHeaderLength else { throw .badHeaderLength("\(header.count) bytes of header, limit \(maxHeaderLength)") }
        let payloadStart = roundUp(16 + header.count, to: alignment)
        var out = [UInt8]()
        out.reserveCapacity(payloadStart + payloadLength + 4)
        out += magic
        appendU32(&out, version)
        appendU32(&out, UInt32(header.count))
        out += header
        for (lut, offset) in zip(luts, offsets) {
            out += repeatElement(0, count: payloadStart + offset - out.count)
            switch lut.table.values {
            case let .int8(values): out += values.map { UInt8(bitPattern: $0) }
            case let .int16(values):
                for v in values { out += [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }
            case let .float32(values):
                for v in values { appendU32(&out, v.bitPattern) }
            }
        }
        out += repeatElement(0, count: payloadStart + payloadLength - out.count)
        appendU32(&out, CRC32.checksum(out))
        return out
    }

    public static func write(_ spec: LUTModelSpec, to path: String) throws(LUTFileError) {
        try write(.srlut(spec), to: path)
    }

    public static func write(_ spec: IMLUTSpec, to path: String) throws(LUTFileError) {
        try write(.imlut(spec), to: path)
    }

    public static func write(_ contents: LUTFileContents, to path: String) throws(LUTFileError) {
        let bytes = try encode(contents)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .io(path: path, reason: "\(error.localizedDescription)")
        }
    }

    // MARK: Helpers

    static func readU32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }

    static func appendU32(_ out: inout [UInt8], _ value: UInt32) {
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
    }

    static func roundUp(_ value: Int, to multiple: Int) -> Int { (value + multiple - 1) / multiple * multiple }
}

/// The JSON header's schema: every member is checked for presence, type and range, unknown members are refused.
enum HeaderSchema {
    struct Layout {
        var contents: LUTFileContents
        /// In file order, as `contents.luts`.
        var tables: [LUTFile.PlacedTable]
    }

    static func parse(_ header: JSONValue) throws(LUTFileError) -> Layout {
        guard case .object = header else { throw .badField("header: expected an object, found \(header.typeName)") }
        guard let kindValue = header["kind"] else { throw .badField("header: missing member \"kind\"") }
        let kindName = try string(kindValue, path: "kind")
        switch kindName {
        case LUTModelSpec.Kind.srlut.rawValue: return try parseSRLUT(header)
        case "imlut": return try parseIMLUT(header)
        default: throw .unknownKind(kindName)
        }
    }

    static func metadata(_ top: JSONValue) throws(LUTFileError) -> [JSONMember] {
        guard let meta = top["metadata"] else { return [] }
        guard case let .object(members) = meta else { throw .badField("metadata: expected an object, found \(meta.typeName)") }
        return members
    }

    static func parseSRLUT(_ header: JSONValue) throws(LUTFileError) -> Layout {
        let top = try object(header, path: "header", required: ["kind", "name", "scale", "stages"], optional: ["metadata"])
        let name = try string(top["name"]!, path: "name")
        let scale = try integer(top["scale"]!, path: "scale", in: 1...16)
        let metadata = try metadata(top)
        var tables: [LUTFile.PlacedTable] = []
        let stages = try stageList(top["stages"]!, path: "stages", tables: &tables)
        guard !stages.isEmpty else { throw .badField("stages: expected a non-empty array") }
        return Layout(contents: .srlut(LUTModelSpec(name: name, scale: scale, stages: stages, metadata: metadata)), tables: tables)
    }

    /// An array of srlut stages (upscale, residual, bias, luts), their tables appended to `tables` in order.
    static func stageList(_ value: JSONValue, path: String, tables: inout [LUTFile.PlacedTable]) throws(LUTFileError) -> [LUTModelSpec.Stage] {
        guard case let .array(stageValues) = value else { throw .badField("\(path): expected an array, found \(value.typeName)") }
        var stages: [LUTModelSpec.Stage] = []
        for (s, stageValue) in stageValues.enumerated() {
            let path = "\(path)[\(s)]"
            let stage = try object(stageValue, path: path, required: ["upscale", "residual", "bias", "luts"])
            let upscale = try integer(stage["upscale"]!, path: "\(path).upscale", in: 1...16)
            guard case let .bool(residual) = stage["residual"]! else {
                throw .badField("\(path).residual: expected a boolean, found \(stage["residual"]!.typeName)")
            }
            guard let bias = stage["bias"]!.numberValue else {
                throw .badField("\(path).bias: expected a number, found \(stage["bias"]!.typeName)")
            }
            let luts = try lutList(stage["luts"]!, path: "\(path).luts", outputs: upscale * upscale, why: "upscale \(upscale)", tables: &tables)
            stages.append(.init(upscale: upscale, residual: residual, bias: bias, luts: luts))
        }
        return stages
    }

    static func parseIMLUT(_ header: JSONValue) throws(LUTFileError) -> Layout {
        let top = try object(header, path: "header",
                             required: ["kind", "name", "max_scale", "scale_bins", "phase_nodes", "interpolators", "mix"],
                             optional: ["pre_stages", "refine", "ensemble", "metadata"])
        // LUTScale 0.1's imlut refined on the output grid and ran twice; its tables mean nothing without that.
        for key in ["refine", "ensemble"] where top[key] != nil && top[key] != .null {
            throw .unsupported("\(key): an imlut model of LUTScale 0.1 (refinement on the output grid, ensemble); this version runs "
                               + "every table on the input grid: use the shipped lutscale-imlut or retrain (Tools/Training/train_imlut.sh)")
        }
        let name = try string(top["name"]!, path: "name")
        guard let maxScale = top["max_scale"]!.numberValue else {
            throw .badField("max_scale: expected a number, found \(top["max_scale"]!.typeName)")
        }
        guard case let .array(binValues) = top["scale_bins"]!, (1...IMLUTSpec.maxBins).contains(binValues.count) else {
            throw .badField("scale_bins: expected an array of 1...\(IMLUTSpec.maxBins) numbers")
        }
        var bins: [Double] = []
        for (i, value) in binValues.enumerated() {
            guard let bin = value.numberValue else { throw .badField("scale_bins[\(i)]: expected a number, found \(value.typeName)") }
            bins.append(bin)
        }
        // One node count for every bin, or one per bin.
        let nodes: [Int]
        if case let .array(counts) = top["phase_nodes"]! {
            guard counts.count == bins.count else {
                throw .badField("phase_nodes: \(counts.count) counts for \(bins.count) scale bins")
            }
            var list: [Int] = []
            for (b, count) in counts.enumerated() { list.append(try integer(count, path: "phase_nodes[\(b)]", in: 2...IMLUTSpec.maxPhaseNodes)) }
            nodes = list
        } else {
            nodes = Array(repeating: try integer(top["phase_nodes"]!, path: "phase_nodes", in: 2...IMLUTSpec.maxPhaseNodes), count: bins.count)
        }
        guard case let .array(interpolatorValues) = top["interpolators"]!,
              (1...IMLUTSpec.Interpolator.allCases.count).contains(interpolatorValues.count) else {
            throw .badField("interpolators: expected an array of 1...\(IMLUTSpec.Interpolator.allCases.count) names")
        }
        var interpolators: [IMLUTSpec.Interpolator] = []
        for (i, value) in interpolatorValues.enumerated() {
            let interpolator: IMLUTSpec.Interpolator = try choice(value, path: "interpolators[\(i)]")
            guard !interpolators.contains(interpolator) else {
                throw .badField("interpolators[\(i)]: \"\(interpolator.rawValue)\" appears twice")
            }
            interpolators.append(interpolator)
        }
        let metadata = try metadata(top)
        var tables: [LUTFile.PlacedTable] = []
        let preStages = try top["pre_stages"].map { value throws(LUTFileError) in try stageList(value, path: "pre_stages", tables: &tables) } ?? []
        let mixOutputs = IMLUTSpec.mixOutputs(phaseNodes: nodes, interpolators: interpolators.count)
        let mixObject = try object(top["mix"]!, path: "mix", required: ["luts"])
        let grids = Set(nodes).count == 1 ? "\(bins.count) bins x \(nodes[0])x\(nodes[0]) nodes"
            : "bins of " + nodes.map { "\($0)x\($0)" }.joined(separator: ", ") + " nodes"
        let mix = try lutList(mixObject["luts"]!, path: "mix.luts", outputs: mixOutputs,
                              why: "\(grids) x \(interpolators.count) interpolators", tables: &tables)
        let spec = IMLUTSpec(name: name, maxScale: maxScale, scaleBins: bins, phaseNodes: nodes, interpolators: interpolators,
                             preStages: preStages, mix: mix, metadata: metadata)
        return Layout(contents: .imlut(spec), tables: tables)
    }

    /// A non-empty array of luts whose tables have `outputs` values per row (`why` says where that number comes from).
    static func lutList(_ value: JSONValue, path: String, outputs expectedOutputs: Int, why: String,
                        tables: inout [LUTFile.PlacedTable]) throws(LUTFileError) -> [LUTModelSpec.LUT] {
        guard case let .array(lutValues) = value, !lutValues.isEmpty else { throw .badField("\(path): expected a non-empty array") }
        var luts: [LUTModelSpec.LUT] = []
        for (l, lutValue) in lutValues.enumerated() {
            let lutPath = "\(path)[\(l)]"
            let lut = try object(lutValue, path: lutPath, required: ["pattern", "rotations", "levels", "table"])
            let patternName = try string(lut["pattern"]!, path: "\(lutPath).pattern")
            guard let pattern = LUTModelSpec.Pattern(rawValue: patternName) else {
                throw .badField("\(lutPath).pattern: \"\(patternName)\" is not S, D, Y or I")
            }
            let rotations = try integer(lut["rotations"]!, path: "\(lutPath).rotations", in: 1...4)
            guard case let .array(levelValues) = lut["levels"]! else {
                throw .badLevels("\(lutPath).levels: expected an array, found \(lut["levels"]!.typeName)")
            }
            var levels: [Int] = []
            for (i, value) in levelValues.enumerated() {
                guard let level = value.integerValue, (0...256).contains(level) else {
                    throw .badLevels("\(lutPath).levels[\(i)]: expected an integer in 0...256")
                }
                levels.append(level)
            }
            try LUTModelSpec.validateLevels(levels, path: "\(lutPath).levels")
            let tablePath = "\(lutPath).table"
            let table = try object(lut["table"]!, path: tablePath, required: ["offset", "entries", "outputs", "type", "scale"],
                                   optional: ["output_scales"])
            let offset = try integer(table["offset"]!, path: "\(tablePath).offset", in: 0...Int(Int32.max))
            let entries = try integer(table["entries"]!, path: "\(tablePath).entries", in: 1...LUTModelSpec.maxEntries)
            let outputs = try integer(table["outputs"]!, path: "\(tablePath).outputs", in: 1...65536)
            let typeName = try string(table["type"]!, path: "\(tablePath).type")
            guard let type = LUTModelSpec.ElementType(rawValue: typeName) else {
                throw .badTable("\(tablePath).type: \"\(typeName)\" is not int8, int16 or float32")
            }
            guard let tableScale = table["scale"]!.numberValue else {
                throw .badField("\(tablePath).scale: expected a number, found \(table["scale"]!.typeName)")
            }
            var outputScales: [Double]? = nil
            if let factors = table["output_scales"] {
                guard case let .array(items) = factors else {
                    throw .badField("\(tablePath).output_scales: expected an array, found \(factors.typeName)")
                }
                outputScales = try items.enumerated().map { (i, item) throws(LUTFileError) in
                    guard let factor = item.numberValue else {
                        throw .badField("\(tablePath).output_scales[\(i)]: expected a number, found \(item.typeName)")
                    }
                    return factor
                }
            }
            // Shape rules are checked here, before any size derived from them is used.
            let count = levels.count
            let expected = count * count * count * count
            guard entries == expected else {
                throw .badTable("\(tablePath).entries: \(entries), but \(count) levels need \(count)^4 = \(expected)")
            }
            guard outputs == expectedOutputs else {
                throw .badTable("\(tablePath).outputs: \(outputs), expected \(expectedOutputs) (\(why))")
            }
            tables.append(.init(path: tablePath, offset: offset, byteCount: entries * outputs * type.byteCount, type: type))
            // Values are filled in after the checksum has been verified.
            let empty: LUTModelSpec.Values = switch type {
            case .int8: .int8([])
            case .int16: .int16([])
            case .float32: .float32([])
            }
            luts.append(.init(pattern: pattern, rotations: rotations, levels: levels,
                              table: .init(entries: entries, outputs: outputs, scale: tableScale, outputScales: outputScales,
                                          values: empty)))
        }
        return luts
    }

    static func json(for contents: LUTFileContents, offsets: [Int]) -> JSONValue {
        var next = 0
        func luts(_ list: [LUTModelSpec.LUT]) -> JSONValue {
            .array(list.map { lut in
                defer { next += 1 }
                return .object([
                    .init("pattern", .string(lut.pattern.rawValue)),
                    .init("rotations", .int(lut.rotations)),
                    .init("levels", .array(lut.levels.map { .int($0) })),
                    .init("table", .object([
                        .init("offset", .int(offsets[next])),
                        .init("entries", .int(lut.table.entries)),
                        .init("outputs", .int(lut.table.outputs)),
                        .init("type", .string(lut.table.type.rawValue)),
                        .init("scale", .double(lut.table.scale)),
                    ] + (lut.table.outputScales.map { [.init("output_scales", .array($0.map { .double($0) }))] } ?? []))),
                ])
            })
        }
        func stages(_ list: [LUTModelSpec.Stage]) -> JSONValue {
            .array(list.map { stage in
                .object([
                    .init("upscale", .int(stage.upscale)),
                    .init("residual", .bool(stage.residual)),
                    .init("bias", .double(stage.bias)),
                    .init("luts", luts(stage.luts)),
                ])
            })
        }
        switch contents {
        case let .srlut(spec):
            return .object([
                .init("kind", .string(spec.kind.rawValue)),
                .init("name", .string(spec.name)),
                .init("scale", .int(spec.scale)),
                .init("stages", stages(spec.stages)),
                .init("metadata", .object(spec.metadata)),
            ])
        case let .imlut(spec):
            // Tables in file order: the pre-stages' before the mix's.
            let pre: [JSONMember] = spec.preStages.isEmpty ? [] : [.init("pre_stages", stages(spec.preStages))]
            let mix = JSONValue.object([.init("luts", luts(spec.mix))])
            return .object([
                .init("kind", .string("imlut")),
                .init("name", .string(spec.name)),
                .init("max_scale", .double(spec.maxScale)),
                .init("scale_bins", .array(spec.scaleBins.map { .double($0) })),
                .init("phase_nodes", Set(spec.phaseNodes).count == 1 ? .int(spec.phaseNodes[0]) : .array(spec.phaseNodes.map { .int($0) })),
                .init("interpolators", .array(spec.interpolators.map { .string($0.rawValue) })),
            ] + pre + [
                .init("mix", mix),
                .init("metadata", .object(spec.metadata)),
            ])
        }
    }

    // MARK: Typed accessors with error paths

    static func object(_ value: JSONValue, path: String, required: [String], optional: [String] = []) throws(LUTFileError) -> JSONValue {
        guard case let .object(members) = value else { throw .badField("\(path): expected an object, found \(value.typeName)") }
        for key in required where value[key] == nil { throw .badField("\(path): missing member \"\(key)\"") }
        for member in members where !required.contains(member.key) && !optional.contains(member.key) {
            throw .badField("\(path): unknown member \"\(member.key)\"")
        }
        return value
    }

    static func string(_ value: JSONValue, path: String) throws(LUTFileError) -> String {
        guard case let .string(text) = value else { throw .badField("\(path): expected a string, found \(value.typeName)") }
        return text
    }

    /// A string naming one case of `Choice`.
    static func choice<Choice: RawRepresentable & CaseIterable>(_ value: JSONValue, path: String) throws(LUTFileError) -> Choice
        where Choice.RawValue == String {
        let text = try string(value, path: path)
        guard let choice = Choice(rawValue: text) else {
            throw .badField("\(path): \"\(text)\" is not one of \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return choice
    }

    static func integer(_ value: JSONValue, path: String, in range: ClosedRange<Int>) throws(LUTFileError) -> Int {
        guard let number = value.integerValue else { throw .badField("\(path): expected an integer, found \(value.typeName)") }
        guard range.contains(number) else { throw .badField("\(path): \(number) outside \(range.lowerBound)...\(range.upperBound)") }
        return number
    }
}

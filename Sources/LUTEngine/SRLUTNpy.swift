/// Import of the tables published with SR-LUT (Jo & Kim, CVPR 2021): NumPy `.npy` format 1.0, dtype int8,
/// shape (17^4, 1, r, r), used as one S-pattern LUT with 4 rotations and uniform 17 levels.
public enum SRLUTNpy {
    static let entries = 83521
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    public static func read(path: String, name: String? = nil) throws(LUTFileError) -> LUTModelSpec {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        // The header declares the data's length: a file of another size is refused before it is read.
        let bytes = try ModelFileReader.read(path: path, prefixLength: 10 + Int(UInt16.max)) { prefix, fileLength throws(LUTFileError) in
            _ = try parseHeader(prefix, fileLength: fileLength)
        }
        return try decode(bytes, name: name, sourceFile: file)
    }

    /// Checks the preamble and header of a file of `fileLength` bytes whose first bytes (at least the header) are
    /// `bytes`; returns where the data starts and the table's r (outputs r x r per entry).
    static func parseHeader(_ bytes: [UInt8], fileLength: Int) throws(LUTFileError) -> (dataStart: Int, r: Int) {
        guard fileLength >= 10 else { throw .badNpy("\(fileLength) bytes, too short for the .npy preamble") }
        guard Array(bytes[0..<6]) == magic else { throw .badNpy("magic is not \\x93NUMPY") }
        guard bytes[6] == 1, bytes[7] == 0 else { throw .badNpy("format version \(bytes[6]).\(bytes[7]), only 1.0 is supported") }
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let dataStart = 10 + headerLength
        guard dataStart <= fileLength else { throw .badNpy("header of \(headerLength) bytes runs past the end of the file") }
        // NumPy pads the header so the data starts aligned (64 bytes today, 16 in releases before 1.14).
        guard dataStart % 16 == 0 else { throw .badNpy("data offset \(dataStart) is not 16-byte aligned") }
        let header = Array(bytes[10..<dataStart])
        guard header.last == 0x0A else { throw .badNpy("header does not end with a newline") }
        guard header.allSatisfy({ $0 >= 0x20 && $0 < 0x7F || $0 == 0x0A }) else { throw .badNpy("header is not printable ASCII") }

        var parser = PythonLiteralParser(text: header.dropLast())
        let dict = try parser.parseDict()
        guard parser.atEndAfterPadding else { throw .badNpy("unexpected text after the header dictionary") }
        guard Set(dict.keys) == ["descr", "fortran_order", "shape"] else {
            throw .badNpy("header keys \(dict.keys.sorted()), expected descr, fortran_order, shape")
        }
        guard case let .string(descr) = dict["descr"]!, descr == "|i1" || descr == "i1" else {
            throw .badNpy("descr \(dict["descr"]!), expected '|i1' (int8)")
        }
        guard case .bool(false) = dict["fortran_order"]! else { throw .badNpy("fortran_order must be False") }
        guard case let .tuple(shape) = dict["shape"]! else { throw .badNpy("shape is not a tuple") }
        guard shape.count == 4, shape[0] == entries, shape[1] == 1, shape[2] == shape[3], (1...4).contains(shape[2]) else {
            throw .badNpy("shape \(shape), expected (\(entries), 1, r, r) with r in 1...4")
        }
        let r = shape[2]
        let dataLength = entries * r * r
        guard fileLength - dataStart == dataLength else {
            throw .badNpy("\(fileLength - dataStart) data bytes, shape (\(entries), 1, \(r), \(r)) needs \(dataLength)")
        }
        return (dataStart, r)
    }

    /// Parses the file strictly (magic, version, header dict, dtype, order, shape, exact data length) and
    /// wraps the table in a model description with provenance metadata.
    public static func decode(_ bytes: [UInt8], name: String? = nil, sourceFile: String = "(memory)") throws(LUTFileError) -> LUTModelSpec {
        let (dataStart, r) = try parseHeader(bytes, fileLength: bytes.count)
        let values = bytes[dataStart...].map { Int8(bitPattern: $0) }
        let lut = LUTModelSpec.LUT(pattern: .s, rotations: 4, levels: LUTModelSpec.uniformLevels17,
                                   table: .init(entries: entries, outputs: r * r, scale: 1, values: .int8(values)))
        let spec = LUTModelSpec(
            kind: .srlut, name: name ?? "srlut-s-x\(r)", scale: r,
            stages: [.init(upscale: r, residual: false, bias: 0, luts: [lut])],
            metadata: [
                .init("source", .string("SR-LUT (Jo & Kim, CVPR 2021), table \(sourceFile) from the authors' repository github.com/yhjo09/SR-LUT, imported unchanged")),
                .init("training_data", .string("DIV2K (per the SR-LUT paper)")),
                .init("licence", .string("No licence is stated in the authors' repository or in LUTScale's reference copy; redistribution terms are unknown, ask the authors before shipping this table.")),
            ])
        try spec.validate()
        return spec
    }
}

/// The tiny subset of Python literal syntax that `.npy` headers use: a dict of str keys whose values are
/// str, True/False or a tuple of non-negative ints.
private struct PythonLiteralParser {
    enum Value: CustomStringConvertible {
        case string(String)
        case bool(Bool)
        case tuple([Int])

        var description: String {
            switch self {
            case let .string(s): "'\(s)'"
            case let .bool(b): b ? "True" : "False"
            case let .tuple(t): "(" + t.map(String.init).joined(separator: ", ") + ")"
            }
        }
    }

    let text: [UInt8]
    var position = 0

    init(text: ArraySlice<UInt8>) { self.text = Array(text) }

    var atEndAfterPadding: Bool { text[position...].allSatisfy { $0 == 0x20 } }

    mutating func skipSpaces() {
        while position < text.count, text[position] == 0x20 { position += 1 }
    }

    mutating func take(_ c: Character) -> Bool {
        skipSpaces()
        guard position < text.count, text[position] == c.asciiValue! else { return false }
        position += 1
        return true
    }

    mutating func require(_ c: Character) throws(LUTFileError) {
        guard take(c) else { throw .badNpy("header: expected '\(c)' at byte \(position)") }
    }

    mutating func parseDict() throws(LUTFileError) -> [String: Value] {
        try require("{")
        var dict: [String: Value] = [:]
        while !take("}") {
            let key = try parseString()
            guard dict[key] == nil else { throw .badNpy("header: duplicate key '\(key)'") }
            try require(":")
            dict[key] = try parseValue()
            if !take(",") {
                try require("}")
                break
            }
        }
        return dict
    }

    mutating func parseString() throws(LUTFileError) -> String {
        skipSpaces()
        guard position < text.count, text[position] == 0x27 || text[position] == 0x22 else {
            throw .badNpy("header: expected a quoted string at byte \(position)")
        }
        let quote = text[position]
        position += 1
        let start = position
        while position < text.count, text[position] != quote {
            guard text[position] != 0x5C else { throw .badNpy("header: escapes are not expected in .npy keys") }
            position += 1
        }
        guard position < text.count else { throw .badNpy("header: unterminated string") }
        defer { position += 1 }
        return String(decoding: text[start..<position], as: UTF8.self)
    }

    mutating func parseWord() -> String {
        skipSpaces()
        let start = position
        while position < text.count, text[position] >= 0x30 && text[position] <= 0x39 || (text[position] | 0x20) >= 0x61 && (text[position] | 0x20) <= 0x7A {
            position += 1
        }
        return String(decoding: text[start..<position], as: UTF8.self)
    }

    mutating func parseValue() throws(LUTFileError) -> Value {
        skipSpaces()
        guard position < text.count else { throw .badNpy("header: missing value") }
        if text[position] == 0x27 || text[position] == 0x22 { return .string(try parseString()) }
        if take("(") {
            var items: [Int] = []
            while !take(")") {
                let word = parseWord()
                guard word.count <= 12, let item = Int(word), item >= 0 else {
                    throw .badNpy("header: bad shape element '\(word)'")
                }
                items.append(item)
                if !take(",") {
                    try require(")")
                    break
                }
            }
            return .tuple(items)
        }
        switch parseWord() {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case let word: throw .badNpy("header: unexpected value '\(word)'")
        }
    }
}

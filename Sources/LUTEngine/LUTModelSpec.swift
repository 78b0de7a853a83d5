/// The contents of a LUT model file (format v1, see docs/lut-format.md), independent of how it is stored.
///
/// `validate()` enforces every rule of the format; the file reader calls it, and so does the writer, so no
/// malformed description reaches the disk or the engine.
public struct LUTModelSpec: Equatable, Sendable {
    /// This struct describes "srlut" models; "imlut" files are `IMLUTSpec`s (see `LUTFileContents`).
    public enum Kind: String, Sendable { case srlut }

    public var kind: Kind
    public var name: String
    public var scale: Int
    public var stages: [Stage]
    /// Free-form provenance (source, training data, licence, measured figures).
    public var metadata: [JSONMember]

    public init(kind: Kind = .srlut, name: String, scale: Int, stages: [Stage], metadata: [JSONMember] = []) {
        self.kind = kind
        self.name = name
        self.scale = scale
        self.stages = stages
        self.metadata = metadata
    }

    public struct Stage: Equatable, Sendable {
        public var upscale: Int
        public var residual: Bool
        public var bias: Double
        public var luts: [LUT]

        public init(upscale: Int, residual: Bool = false, bias: Double = 0, luts: [LUT]) {
            self.upscale = upscale
            self.residual = residual
            self.bias = bias
            self.luts = luts
        }
    }

    public struct LUT: Equatable, Sendable {
        public var pattern: Pattern
        public var rotations: Int
        public var levels: [Int]
        public var table: Table

        public init(pattern: Pattern, rotations: Int, levels: [Int], table: Table) {
            self.pattern = pattern
            self.rotations = rotations
            self.levels = levels
            self.table = table
        }
    }

    /// Which 4 LR pixels index the table, as (dy, dx) offsets from the anchor, in index order a, b, c, d.
    public enum Pattern: String, Sendable, CaseIterable {
        /// A 2x2 square, its dilation by 2 and a Y shape (MuLUT); `i`: a line of 4 (with rotations, a row and a
        /// column through the anchor, 3 pixels on either side).
        case s = "S", d = "D", y = "Y", i = "I"

        public var offsets: [(dy: Int, dx: Int)] {
            switch self {
            case .s: [(0, 0), (0, 1), (1, 0), (1, 1)]
            case .d: [(0, 0), (0, 2), (2, 0), (2, 2)]
            case .y: [(0, 0), (1, 1), (1, 2), (2, 1)]
            case .i: [(0, 0), (0, 1), (0, 2), (0, 3)]
            }
        }

        /// Largest offset in any direction once rotated: the reflect padding a plane needs.
        public var reach: Int { offsets.map { max($0.dy, $0.dx) }.max()! }
    }

    public enum ElementType: String, Sendable {
        case int8, int16, float32
        public var byteCount: Int {
            switch self {
            case .int8: 1
            case .int16: 2
            case .float32: 4
            }
        }
    }

    /// Stored values, row-major: `entries` rows of `outputs` values.
    public enum Values: Equatable, Sendable {
        case int8([Int8])
        case int16([Int16])
        case float32([Float])

        public var type: ElementType {
            switch self {
            case .int8: .int8
            case .int16: .int16
            case .float32: .float32
            }
        }

        public var count: Int {
            switch self {
            case let .int8(v): v.count
            case let .int16(v): v.count
            case let .float32(v): v.count
            }
        }

        /// Stored value at `index` as a Double (before `scale`).
        public subscript(index: Int) -> Double {
            switch self {
            case let .int8(v): Double(v[index])
            case let .int16(v): Double(v[index])
            case let .float32(v): Double(v[index])
            }
        }
    }

    public struct Table: Equatable, Sendable {
        public var entries: Int
        public var outputs: Int
        /// Real value = stored value x `scale` (x `outputScales[output]` when present).
        public var scale: Double
        /// One factor per output: lets an integer table give each output its own step (an imlut's weights for
        /// one scale bin and node span a far smaller range than the table's peak).
        public var outputScales: [Double]?
        public var values: Values

        public init(entries: Int, outputs: Int, scale: Double = 1, outputScales: [Double]? = nil, values: Values) {
            self.entries = entries
            self.outputs = outputs
            self.scale = scale
            self.outputScales = outputScales
            self.values = values
        }

        public var type: ElementType { values.type }
        public var byteCount: Int { entries * outputs * type.byteCount }

        /// Real value of the value at `index` (entry-major, `outputs` per entry).
        public func real(_ index: Int) -> Double {
            guard let outputScales else { return values[index] * scale }
            return values[index] * scale * outputScales[index % outputs]
        }

        /// The largest magnitude of a real value: what the engines check against their limits.
        public var largestMagnitude: Double { (0..<values.count).reduce(0.0) { max($0, abs(real($1))) } }
    }
}

extension LUTModelSpec {
    /// Largest number of table entries accepted (65^4, SR-LUT's finest published sampling; its usual 17 levels
    /// give 83521), so sizes computed from a header cannot overflow.
    public static let maxEntries = 65 * 65 * 65 * 65

    /// Checks every rule of format v1 that does not depend on byte placement.
    public func validate() throws(LUTFileError) {
        guard !name.isEmpty else { throw .badField("name: must not be empty") }
        guard (1...16).contains(scale) else { throw .badField("scale: \(scale) outside 1...16") }
        guard !stages.isEmpty else { throw .badField("stages: must not be empty") }
        for (s, stage) in stages.enumerated() {
            try stage.validate(path: "stages[\(s)]", upscale: s == stages.count - 1 ? scale : 1, role: "an srlut cascade")
        }
    }
}

extension LUTModelSpec.Stage {
    /// Checks the stage's rules; `upscale` is what its place (`role`) in the model needs.
    func validate(path: String, upscale expected: Int, role: String) throws(LUTFileError) {
        guard upscale == expected else {
            throw .badField("\(path).upscale: \(upscale), but \(role) needs \(expected) here")
        }
        guard bias.isFinite else { throw .badField("\(path).bias: not finite") }
        guard !luts.isEmpty else { throw .badField("\(path).luts: must not be empty") }
        for (l, lut) in luts.enumerated() {
            try lut.validate(path: "\(path).luts[\(l)]", outputs: upscale * upscale)
        }
    }
}

extension LUTModelSpec.LUT {
    /// Checks the lut's rules; `outputs` is what its model kind needs per table row.
    func validate(path: String, outputs: Int) throws(LUTFileError) {
        guard rotations == 1 || rotations == 4 else { throw .badField("\(path).rotations: \(rotations), must be 1 or 4") }
        try LUTModelSpec.validateLevels(levels, path: "\(path).levels")
        let count = levels.count
        let entries = count * count * count * count
        guard entries <= LUTModelSpec.maxEntries else {
            throw .badTable("\(path).table: \(count) levels need \(entries) entries, more than the \(LUTModelSpec.maxEntries) supported")
        }
        guard table.entries == entries else {
            throw .badTable("\(path).table.entries: \(table.entries), but \(count) levels need \(count)^4 = \(entries)")
        }
        guard table.outputs == outputs else {
            throw .badTable("\(path).table.outputs: \(table.outputs), but \(outputs) are needed")
        }
        guard table.scale.isFinite, table.scale != 0 else { throw .badTable("\(path).table.scale: must be finite and non-zero") }
        if let factors = table.outputScales {
            guard factors.count == table.outputs else {
                throw .badTable("\(path).table.output_scales: \(factors.count) factors for \(table.outputs) outputs")
            }
            if let bad = factors.firstIndex(where: { !$0.isFinite || $0 == 0 }) {
                throw .badTable("\(path).table.output_scales[\(bad)]: must be finite and non-zero")
            }
        }
        guard table.values.count == entries * table.outputs else {
            throw .badTable("\(path).table: \(table.values.count) values for \(entries) x \(table.outputs)")
        }
        if case let .float32(values) = table.values, let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw .badTable("\(path).table: value \(bad) is not finite")
        }
    }
}

extension LUTModelSpec {
    static func validateLevels(_ levels: [Int], path: String) throws(LUTFileError) {
        guard levels.count >= 2 else { throw .badLevels("\(path): \(levels.count) levels, at least 2 needed") }
        guard levels.first == 0 else { throw .badLevels("\(path): first level is \(levels[0]), must be 0") }
        guard levels.last == 256 else { throw .badLevels("\(path): last level is \(levels[levels.count - 1]), must be 256") }
        for i in 1..<levels.count where levels[i] <= levels[i - 1] {
            throw .badLevels("\(path): not strictly ascending at index \(i) (\(levels[i - 1]), \(levels[i]))")
        }
    }

    /// SR-LUT's uniform levels: 0, 16, ..., 256.
    public static let uniformLevels17 = Array(stride(from: 0, through: 256, by: 16))
}

import Foundation
import VideoCore

/// A loaded, validated LUT super-resolution model, ready to make plans for any plane size and bit depth.
///
/// Accepts LUTScale `.lut` files and SR-LUT's published `.npy` tables. Everything that can be wrong with a
/// model is found here or in `makePlan`; rendering cannot fail.
public final class LUTModel: PlaneUpscaler, @unchecked Sendable {
    // @unchecked Sendable: every stored property is immutable after init except `prepared`, which is only
    // touched under `lock`; the cached tables themselves are immutable once built.
    public let spec: LUTModelSpec
    let stages: [EngineStage]
    private let lock = NSLock()
    private var prepared: [Int: PreparedStage] = [:]

    public var name: String { spec.name }
    /// Output size / input size in each dimension.
    public var scale: Int { spec.scale }

    /// The engine's limits beyond the file format's: they keep every fixed-point bound provable at plan time.
    public static let maxOutputs = 16
    public static let maxLUTsPerStage = 16
    public static let maxBias = 4096.0
    public static let maxTableMagnitude = 32767.0
    /// Finest fixed-point unit of float table values, 2^-16 of an 8-bit step.
    static let maxExponent = 16

    public init(_ spec: LUTModelSpec) throws(LUTFileError) {
        try spec.validate()
        self.spec = spec
        var stages: [EngineStage] = []
        for (s, stage) in spec.stages.enumerated() {
            stages.append(try EngineStage(stage, path: "stages[\(s)]"))
        }
        self.stages = stages
    }

    /// Loads `path` by its extension: `.lut` (LUTScale format) or `.npy` (an SR-LUT table).
    public static func load(path: String) throws(LUTFileError) -> LUTModel {
        let lower = path.lowercased()
        if lower.hasSuffix(".lut") { return try LUTModel(LUTFile.read(path: path)) }
        if lower.hasSuffix(".npy") { return try LUTModel(SRLUTNpy.read(path: path)) }
        throw .unknownExtension(path)
    }

    public func makePlan(input: PlaneSize, output: PlaneSize, bitDepth: Int) throws(UpscaleError) -> any UpscalePlan {
        try LUTPlan(model: self, input: input, output: output, bitDepth: bitDepth)
    }

    /// A plan whose kernels are those of `kernels` rather than the active tier (tests check every tier).
    public func makePlan(input: PlaneSize, output: PlaneSize, bitDepth: Int, kernels: KernelTier) throws(UpscaleError) -> any UpscalePlan {
        try LUTPlan(model: self, input: input, output: output, bitDepth: bitDepth, kernels: kernels)
    }

    /// The stage's tables laid out for the kernels, built on first use and shared by every plan.
    func preparedTables(stage index: Int) -> PreparedStage {
        lock.lock()
        defer { lock.unlock() }
        if let cached = prepared[index] { return cached }
        let built = PreparedStage(stages[index])
        prepared[index] = built
        return built
    }
}

/// A stage with each table as int16 values in a unit of its own (8-bit domain): int8/int16 tables as stored
/// (unit = the table's scale), float32 tables in the coarsest power-of-two unit that holds every value exactly,
/// else the finest that fits (rounded).
struct EngineStage: Sendable {
    struct LUT: Sendable {
        var pattern: LUTModelSpec.Pattern
        var rotations: Int
        var levels: [Int]
        var outputs: Int
        /// entries x outputs, row-major; real value = value x unit.
        var values: [Int16]
        var unit: Double
        var maxMagnitude: Int
        /// Whether value x unit is exactly the table's real value everywhere.
        var exact: Bool
    }

    var upscale: Int
    var residual: Bool
    var bias: Double
    var luts: [LUT]
    var lookups: Int { luts.reduce(0) { $0 + $1.rotations } }
    var reach: Int { luts.map(\.pattern.reach).max()! }

    init(upscale: Int, residual: Bool, bias: Double, luts: [LUT]) {
        self.upscale = upscale
        self.residual = residual
        self.bias = bias
        self.luts = luts
    }

    init(_ stage: LUTModelSpec.Stage, path: String) throws(LUTFileError) {
        guard stage.upscale * stage.upscale <= LUTModel.maxOutputs else {
            throw .unsupported("\(path): upscale \(stage.upscale) needs \(stage.upscale * stage.upscale) outputs per lookup, the engine handles at most \(LUTModel.maxOutputs)")
        }
        guard stage.luts.count <= LUTModel.maxLUTsPerStage else {
            throw .unsupported("\(path): \(stage.luts.count) LUTs, the engine handles at most \(LUTModel.maxLUTsPerStage) per stage")
        }
        guard abs(stage.bias) <= LUTModel.maxBias else {
            throw .unsupported("\(path).bias: \(stage.bias) outside +-\(LUTModel.maxBias)")
        }
        upscale = stage.upscale
        residual = stage.residual
        bias = stage.bias
        var luts: [LUT] = []
        for (l, lut) in stage.luts.enumerated() {
            let t = lut.table
            let maxReal = t.largestMagnitude
            guard maxReal <= LUTModel.maxTableMagnitude else {
                throw .unsupported("\(path).luts[\(l)]: table values reach \(maxReal), beyond +-\(LUTModel.maxTableMagnitude) in 8-bit units")
            }
            var values: [Int16], unit: Double, exact = true
            // Integers with one step for the whole table are the kernel's values as they are; anything else is
            // brought to one power-of-two step.
            switch (t.values, t.outputScales) {
            case let (.int8(v), nil):
                (values, unit) = (v.map { Int16($0) }, t.scale)
            case let (.int16(v), nil):
                (values, unit) = (v, t.scale)
            default:
                let finest = maxReal == 0 ? 0 : min(LUTModel.maxExponent, Int((LUTModel.maxTableMagnitude / maxReal).exponent))
                let fits = { (e: Int) in (0..<t.values.count).allSatisfy { i in
                    let v = t.real(i) * Double(sign: .plus, exponent: e, significand: 1)
                    return v == v.rounded()
                } }
                let coarsest = (0...finest).first(where: fits)
                exact = coarsest != nil
                let factor = Double(sign: .plus, exponent: coarsest ?? finest, significand: 1)
                values = (0..<t.values.count).map { Int16((t.real($0) * factor).rounded(.toNearestOrEven)) }
                unit = 1 / factor
            }
            let magnitude = values.reduce(0) { max($0, abs(Int($1))) }
            // An all-zero table's unit is moot; 1 keeps multipliers in range.
            luts.append(LUT(pattern: lut.pattern, rotations: lut.rotations, levels: lut.levels, outputs: t.outputs,
                            values: values, unit: magnitude == 0 ? 1 : unit, maxMagnitude: magnitude, exact: exact))
        }
        self.luts = luts
    }
}

/// One stage's lookups in window groups, and their tables: one copy per (LUT, rotation) with the output
/// block already rotated back and the index axes in the group window's pixel order, each row padded to 8 or
/// 16 int16 values (16 or 32 bytes), so a vertex is one or two SIMD loads and the lookups just add; tables of one
/// output keep rows of one value (`accumulate_single`). A group's tables are interleaved row by row: the rows of
/// one vertex lie together for every member, and members with rows of one value are read two at a time.
///
/// A lookup reads 4 LR pixels (its rotated pattern around its anchor). Rotations of S and D read the same 4
/// pixels as rotation 0 at another anchor (a 2x2 block, or its spread-out D form), only in another axis order.
/// The simplex walk depends on the sorted order of the 4 fractions alone, so once every table of a group is
/// indexed in the window's pixel order, one sort per window and one set of vertex offsets serve every member:
/// members differ only in their table and in where their result lands (the window's origin + `target`).
final class PreparedStage: @unchecked Sendable {
    // @unchecked Sendable: the storage is written only in init and freed in deinit.
    /// One (LUT, rotation) pair of a window group.
    struct Member: Sendable {
        var lut: Int
        var rotation: Int
        /// Anchor of this lookup relative to the window's origin.
        var target: (dy: Int, dx: Int)
        /// Byte offset of this member's table in `storage`.
        var offset: Int
    }

    /// Lookups reading the same 4 pixels with the same levels.
    struct WindowGroup: Sendable {
        var levels: [Int]
        /// The 4 pixels, relative to the window's origin, in table index order.
        var window: [(dy: Int, dx: Int)]
        var members: [Member]
        /// Bytes from one entry of a member's table to the next: a row of every member.
        var entryBytes = 0
    }

    /// 2 for stages of one output (x1 stages), 16 for at most 8 outputs (x2), else 32 per 16 outputs (an imlut mix
    /// of more than 16 values per LR pixel has rows of several 16-lane chunks, each summed into a record of its own).
    let rowBytes: Int
    /// 16-lane chunks of a row (1 for rows of 16 lanes or fewer).
    var chunks: Int { max(1, rowBytes / 32) }
    let groups: [WindowGroup]
    private let storage: UnsafeMutableRawPointer

    /// One (LUT, rotation) lookup as a model's contract defines it: the 4 pixels it reads around its anchor (in
    /// table axis order) and, for each output lane, the table output that lands there.
    struct Lookup {
        var lut: Int
        var rotation: Int
        var pixels: [(dy: Int, dx: Int)]
        var lanes: [Int]
    }

    /// A fixed-scale stage: rotation k reads the pattern rotated by k x 90 degrees and rotates its output block back.
    convenience init(_ stage: EngineStage) {
        let r = stage.upscale
        var lookups: [Lookup] = []
        for (l, lut) in stage.luts.enumerated() {
            for k in 0..<lut.rotations {
                lookups.append(Lookup(lut: l, rotation: k,
                                      pixels: lut.pattern.offsets.map { PreparedStage.rotatedOffset(dy: $0.dy, dx: $0.dx, rotation: k) },
                                      lanes: (0..<r * r).map { o in PreparedStage.rotatedLane(a: o / r, b: o % r, r: r, rotation: k) }))
            }
        }
        self.init(luts: stage.luts, lookups: lookups)
    }

    /// Groups `lookups` (at most `maxLanes` lanes each) by the pixels they read and lays out their tables.
    init(luts: [EngineStage.LUT], lookups: [Lookup]) {
        let widest = lookups.map(\.lanes.count).max() ?? 1
        precondition(widest <= Self.maxLanes, "a lookup fills at most \(Self.maxLanes) lanes")
        let width = widest == 1 ? 1 : widest <= 8 ? 8 : (widest + 15) / 16 * 16
        rowBytes = 2 * width
        // Group the lookups; `slots[g][m][axis]` is the window pixel that feeds table axis `axis` of member m, and
        // `lanes[g][m]` that member's lookup's lane map.
        var groups: [WindowGroup] = []
        var slots: [[[Int]]] = []
        var lanes: [[[Int]]] = []
        for lookup in lookups {
            let lut = luts[lookup.lut], pixels = lookup.pixels
            let member = Member(lut: lookup.lut, rotation: lookup.rotation, target: (0, 0), offset: 0)
            // A group of these levels whose window is these pixels moved by some t: the anchor is then the
            // window's origin + t.
            var joined = false
            search: for g in groups.indices where groups[g].levels == lut.levels {
                let window = groups[g].window
                for p in pixels {
                    let t = (dy: window[0].dy - p.dy, dx: window[0].dx - p.dx)
                    let axes = pixels.compactMap { q in window.firstIndex { $0 == (q.dy + t.dy, q.dx + t.dx) } }
                    guard Set(axes).count == 4 else { continue }
                    var moved = member
                    moved.target = t
                    groups[g].members.append(moved)
                    slots[g].append(axes)
                    lanes[g].append(lookup.lanes)
                    joined = true
                    break search
                }
            }
            if !joined {
                groups.append(WindowGroup(levels: lut.levels, window: pixels, members: [member]))
                slots.append([[0, 1, 2, 3]])
                lanes.append([lookup.lanes])
            }
        }
        // Each group's members interleaved: member m's row of entry e at the group's start + e x entryBytes + m x rowBytes.
        var total = 0
        for g in groups.indices {
            let lut = luts[groups[g].members[0].lut]
            groups[g].entryBytes = groups[g].members.count * rowBytes
            for m in groups[g].members.indices { groups[g].members[m].offset = total + m * rowBytes }
            total += lut.values.count / lut.outputs * groups[g].entryBytes
        }
        self.groups = groups
        // accumulate_single reads 4 bytes at a row of one value: 2 past the last table's end.
        storage = UnsafeMutableRawPointer.allocate(byteCount: max(total + 2, 64), alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: max(total + 2, 64))
        for (g, group) in groups.enumerated() {
            for (m, member) in group.members.enumerated() {
                let lut = luts[member.lut]
                let source = lanes[g][m]
                let count = lut.levels.count, entries = lut.values.count / lut.outputs
                // Stride in the stored table of a cell step of window pixel i.
                var step = [0, 0, 0, 0]
                for axis in 0..<4 { step[slots[g][m][axis]] = [count * count * count, count * count, count, 1][axis] }
                let base = (storage + member.offset).assumingMemoryBound(to: Int16.self), entryWidth = group.entryBytes / 2
                let (s0, s1, s2, s3) = (step[0], step[1], step[2], step[3])
                lut.values.withUnsafeBufferPointer { values in
                    for e in 0..<entries {
                        // e in window order: cells of the window's pixels 0, 1, 2, 3.
                        let stored = e / (count * count * count) * s0 + e / (count * count) % count * s1 + e / count % count * s2 + e % count * s3
                        for o in source.indices { base[e * entryWidth + o] = values[stored * lut.outputs + source[o]] }
                    }
                }
            }
        }
    }

    deinit { storage.deallocate() }

    /// Lanes of one lookup: three 16-lane chunks.
    static let maxLanes = 48

    func table(_ member: Member) -> UnsafeRawPointer { UnsafeRawPointer(storage + member.offset) }

    /// Whether every lookup has one output (rows of one value).
    var singleOutput: Bool { rowBytes == 2 }

    /// Whether rows hold 16 values (32 bytes, a chunk of them where there are more), else 8 or one.
    var sixteenLaneRows: Bool { rowBytes >= 32 }

    /// Rotating the image by `rotation` x 90 degrees counter-clockwise and the r x r output block back: the
    /// rotated frame's output lane that lands on (a, b) of the block.
    static func rotatedLane(a: Int, b: Int, r: Int, rotation: Int) -> Int {
        switch rotation {
        case 0: a * r + b
        case 1: (r - 1 - b) * r + a
        case 2: (r - 1 - a) * r + (r - 1 - b)
        default: b * r + (r - 1 - a)
        }
    }

    /// Where the pattern offset (dy, dx) of the rotated frame lies in the unrotated image.
    static func rotatedOffset(dy: Int, dx: Int, rotation: Int) -> (dy: Int, dx: Int) {
        switch rotation {
        case 0: (dy, dx)
        case 1: (dx, -dy)
        case 2: (-dy, -dx)
        default: (-dx, dy)
        }
    }
}

import CLUTKernels
import VideoCore

/// A LUT model's plan for one input size, output size and bit depth.
///
/// The output may be smaller than scale x input (a top-left crop, e.g. Set5 x3 where LR = ceil(HR / 3)).
/// Arithmetic: a d-bit plane is looked up with the model's levels scaled by 2^(d-8); each lookup's weights are
/// integers summing to 2^F, chosen so every fraction is exact when the cells are powers of two wide (SR-LUT's:
/// F = 4 at 8 bits, 6 at 10 bits), else rounded to 1/256 of a cell; sums are integers (see `PlanStage`).
struct LUTPlan: UpscalePlan {
    let input: PlaneSize
    let output: PlaneSize
    let bitDepth: Int
    let scale: Int
    let stages: [PlanStage]
    /// The instruction-set tier whose kernels render.
    let kernels: KernelTier

    var rowAlignment: Int { scale }
    /// Whether every stage is exact (see `PlanStage.isExact`): the output is then the format's semantics to the bit.
    var isExact: Bool { stages.allSatisfy(\.isExact) }

    init(model: LUTModel, input: PlaneSize, output: PlaneSize, bitDepth: Int, kernels: KernelTier = .active) throws(UpscaleError) {
        guard (8...16).contains(bitDepth) else { throw .unsupportedBitDepth(bitDepth) }
        let r = model.scale
        guard input.width > 0, input.height > 0 else {
            throw .unsupportedSize(input: input, output: output, reason: "the input is empty")
        }
        guard (1...r * input.width).contains(output.width), (1...r * input.height).contains(output.height) else {
            throw .unsupportedSize(input: input, output: output,
                                   reason: "\(model.name) makes at most \(r * input.width)x\(r * input.height) from this input (smaller outputs are crops)")
        }
        self.input = input
        self.output = output
        self.bitDepth = bitDepth
        self.scale = r
        self.kernels = kernels
        stages = model.stages.indices.map { PlanStage(stage: model.stages[$0], tables: model.preparedTables(stage: $0), bitDepth: bitDepth) }
    }

    func render(_ source: PlaneView, into destination: MutablePlaneView, rows: Range<Int>) {
        precondition(source.size == input && source.bitDepth == bitDepth, "source \(source.size) at \(source.bitDepth) bits does not match the plan")
        precondition(destination.size == output && destination.bitDepth == bitDepth, "destination \(destination.size) at \(destination.bitDepth) bits does not match the plan")
        let rows = rows.clamped(to: 0..<output.height)
        guard !rows.isEmpty else { return }
        let last = stages[stages.count - 1]
        let lrRows = rows.lowerBound / scale..<min(input.height, (rows.upperBound + scale - 1) / scale)
        PlanStage.withChain(stages.dropLast(), kernels: kernels.kernels, source: source,
                            rows: PlanStage.widened(lrRows, by: last.reach, height: input.height), bitDepth: bitDepth) { current in
            last.run(kernels: kernels.kernels, input: current, size: input, lrRows: lrRows,
                     target: StageTarget(base: destination.base, bytesPerRow: destination.bytesPerRow, firstRow: 0,
                                         width: output.width, rows: rows),
                     columns: min(input.width, (output.width + scale - 1) / scale), bitDepth: bitDepth)
        }
    }
}

extension PlanStage {
    /// Runs the x1 `stages` in turn on `source`, the last producing the rows `rows` and each earlier one the rows
    /// the next reads (its reach around them), and calls `body` with the last output: an intermediate plane that
    /// holds exactly those rows (bands recompute their margins), or `source` itself when there are no stages.
    static func withChain<R>(_ stages: ArraySlice<PlanStage>, kernels: UnsafePointer<lut_kernels>, source: PlaneView,
                             rows: Range<Int>, bitDepth: Int, _ body: (StageInput) -> R) -> R {
        let size = source.size
        var needed = Array(repeating: rows, count: stages.count)
        for s in stride(from: stages.count - 1, to: 0, by: -1) {
            needed[s - 1] = widened(needed[s], by: stages[stages.startIndex + s].reach, height: size.height)
        }
        var current = StageInput(base: source.base, bytesPerRow: source.bytesPerRow, firstRow: 0)
        let bytesPerRow = (size.width * source.bytesPerSample + 63) & ~63
        var intermediate: UnsafeMutableRawPointer? = nil
        defer { intermediate?.deallocate() }
        for (s, stage) in stages.enumerated() {
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytesPerRow * needed[s].count), alignment: 64)
            stage.run(kernels: kernels, input: current, size: size, lrRows: needed[s],
                      target: StageTarget(base: buffer, bytesPerRow: bytesPerRow, firstRow: needed[s].lowerBound,
                                          width: size.width, rows: needed[s]),
                      columns: size.width, bitDepth: bitDepth)
            intermediate?.deallocate()
            intermediate = buffer
            current = StageInput(base: UnsafeRawPointer(buffer), bytesPerRow: bytesPerRow, firstRow: needed[s].lowerBound)
        }
        return body(current)
    }

    /// The rows a stage of reach `reach` reads to produce `rows` of a plane `height` rows high.
    static func widened(_ rows: Range<Int>, by reach: Int, height: Int) -> Range<Int> {
        max(0, rows.lowerBound - reach)..<min(height, rows.upperBound + reach)
    }
}

/// Rows of a stage's input plane: logical row y is at `base + (y - firstRow) * bytesPerRow`.
struct StageInput {
    var base: UnsafeRawPointer
    var bytesPerRow: Int
    var firstRow: Int
    func row(_ y: Int) -> UnsafeRawPointer { base + (y - firstRow) * bytesPerRow }
}

/// Where a stage writes: output row `o` (for `o` in `rows`) at `base + (o - firstRow) * bytesPerRow`.
struct StageTarget {
    var base: UnsafeMutableRawPointer
    var bytesPerRow: Int
    var firstRow: Int
    var width: Int
    var rows: Range<Int>
}

/// One stage of a plan: its arithmetic, fixed-point parameters, window groups (see `PreparedStage`) and
/// per-value (cell, fraction) tables.
///
/// Fixed point: each lookup's weights are integers summing to 2^F, each table's values integers in its own
/// unit u. Tables sharing one power-of-two unit 2^-K are summed directly; otherwise, in 32-bit lanes, each
/// table's lookups are multiplied by m = u x 2^K (exact when that is an integer). Either way the total is in
/// units of 2^-(F+K) of an 8-bit step.
struct PlanStage: Sendable {
    let lanes: LaneWidth
    /// Per LUT: the integer its lookups are multiplied by (all 1 in 16-bit lanes).
    let multipliers: [Int32]
    /// The multiplier of each set of records: with `scaled` lanes one set per distinct multiplier, applied when a
    /// row is emitted; otherwise (or with one output) one set, times 1.
    let recordSets: [Int32]
    /// Per LUT: the set of records its lookups add to.
    let recordSet: [Int]
    /// Whether this stage computes the format's semantics exactly: cells powers of two and at most 2^14 samples
    /// wide at this depth (2^(22-d) in 8-bit units), table values, multipliers and bias exact in the fixed
    /// point (true for SR-LUT's tables at every depth).
    let isExact: Bool
    let tables: PreparedStage
    /// How a sample value becomes a (key, cell) pair under one levels list.
    enum CellLookup: Sendable {
        /// value -> key << 16 | cell (see `cellTable`).
        case table([UInt32])
        /// Cells a power of two wide, fractions exact in F bits: the shifts that compute the same keys and cells
        /// (`fill_cells_uniform`), no table needed.
        case uniform(cell: Int32, fraction: Int32)
    }

    /// For each group: its levels list in `cellLookups`.
    let cellTableIndex: [Int]
    /// For each distinct levels list.
    let cellLookups: [CellLookup]
    let one: UInt64
    let emit: EmitParams
    let reach: Int
    /// F + K: sums are in units of 2^-(F+K) of an 8-bit step.
    let sumBits: Int
    /// Bytes of one pixel's record: 16 lanes of int16 (narrow) or int32; with one output, one int32 in every lane
    /// width (32-bit sums of the values the lanes' proof bounds are the same integers).
    var recordBytes: Int { tables.singleOutput ? 4 : lanes == .narrow ? 32 : 64 }
    /// Whether the records are in accumulate's pair order (wide sums of 16-lane rows).
    var pairedRecords: Bool { lanes == .wide && tables.sixteenLaneRows }

    /// `inexactFractionBits`: F where the cells are not all powers of two wide (see `Arithmetic`).
    init(stage: EngineStage, tables: PreparedStage, bitDepth: Int, inexactFractionBits: Int = Arithmetic.inexactFractionBits) {
        let arithmetic = Arithmetic(stage, bitDepth: bitDepth, inexactFractionBits: inexactFractionBits)
        lanes = arithmetic.lanes
        multipliers = arithmetic.multipliers
        if lanes == .scaled && !tables.singleOutput {
            var sets: [Int32] = []
            for m in multipliers where !sets.contains(m) { sets.append(m) }
            recordSets = sets
            recordSet = multipliers.map { sets.firstIndex(of: $0)! }
        } else {
            recordSets = [1]
            recordSet = multipliers.map { _ in 0 }
        }
        isExact = arithmetic.exact
        self.tables = tables
        sumBits = arithmetic.fractionBits + arithmetic.unitBits
        one = 1 << UInt64(arithmetic.fractionBits)
        reach = stage.reach
        var levelLists: [[Int]] = []
        for group in tables.groups where !levelLists.contains(group.levels) { levelLists.append(group.levels) }
        cellTableIndex = tables.groups.map { levelLists.firstIndex(of: $0.levels)! }
        cellLookups = levelLists.map { levels in
            let width = (levels[1] - levels[0]) << (bitDepth - 8), bits = width.trailingZeroBitCount
            let uniform = levels.first == 0 && width.nonzeroBitCount == 1
                && zip(levels, levels.dropFirst()).allSatisfy { ($1 - $0) << (bitDepth - 8) == width }
            return uniform && bits <= arithmetic.fractionBits
                ? .uniform(cell: Int32(bits), fraction: Int32(arithmetic.fractionBits - bits))
                : .table(PlanStage.cellTable(levels: levels, bitDepth: bitDepth, fractionBits: arithmetic.fractionBits))
        }
        emit = EmitParams(
            shift: Int32(arithmetic.fractionBits + arithmetic.unitBits - (bitDepth - 8)),
            bias: Int32((stage.bias * Double(sign: .plus, exponent: arithmetic.fractionBits + arithmetic.unitBits, significand: 1)).rounded(.toNearestOrEven)),
            maxValue: Int32((1 << bitDepth) - 1), residual: stage.residual, upscale: stage.upscale)
    }

    /// value -> key << 16 | cell: key = fraction (units 2^-F) << 2, XOR 0x8000 so that signed 16-bit
    /// comparisons order keys as unsigned (room for the window pixel's index in the low 2 bits). A value whose
    /// rounded fraction reaches 1 (cells wider than 2^F samples) is the next cell at fraction 0: the same point,
    /// the same simplex vertices and weights.
    static func cellTable(levels: [Int], bitDepth: Int, fractionBits: Int) -> [UInt32] {
        let shift = bitDepth - 8
        var table = [UInt32](repeating: 0, count: 1 << bitDepth)
        var cell = 0
        for v in 0..<table.count {
            while v >= levels[cell + 1] << shift { cell += 1 }
            let lo = levels[cell] << shift, width = (levels[cell + 1] - levels[cell]) << shift
            var fraction = ((v - lo) << (fractionBits + 1) + width) / (2 * width), at = cell
            if fraction == 1 << fractionBits { (fraction, at) = (0, cell + 1) }
            table[v] = UInt32((fraction << 2) ^ 0x8000) << 16 | UInt32(at)
        }
        return table
    }
}

/// Turns a stage's integer sums into samples: value = (sum + bias [+ anchor << shift]) / 2^shift, rounded
/// half to even, clamped to 0...maxValue.
struct EmitParams: Sendable {
    var shift: Int32
    var bias: Int32
    var maxValue: Int32
    var residual: Bool
    var upscale: Int
}

/// How a stage's lookups are summed, fastest first: all of them in 16-bit lanes that wrap (exact when the plan
/// proves the final value fits); each lookup in 16-bit lanes, then added to 32-bit lanes of its table unit's
/// records, which are multiplied once per pixel; or every row widened to 32-bit lanes and multiplied there.
enum LaneWidth: Hashable, Sendable {
    case narrow, scaled, wide
}

/// The choice of fraction bits F, unit bits K, lanes and multipliers for one stage at one bit depth: the most
/// exact arithmetic whose every intermediate value provably fits its lanes, and among those the fastest.
struct Arithmetic {
    var lanes: LaneWidth
    var fractionBits: Int
    var unitBits: Int
    /// Per LUT: m = its unit x 2^K, rounded (1 for all when they share the unit 2^-K).
    var multipliers: [Int32]
    var exact: Bool

    /// Preference at each F, from F exact for the cells (or 8 when cells are not powers of two) downwards:
    /// 1. narrow: tables share a power-of-two unit and the whole sum fits 16 bits (SR-LUT at 8 bits);
    /// 2. scaled: each lookup's sum fits 16 bits, the total 32 bits;
    /// 3. wide: the total fits 32 bits.
    /// In 2 and 3, K is the shared power-of-two unit's if there is one (multipliers 1), else as exact as possible,
    /// else as fine as 16-bit multipliers allow. Weights (<= 2^14) times multipliers (< 2^15) fit 32 bits. The
    /// model's limits (|real values| <= 32767, <= 64 lookups, |bias| <= 4096) make wide at F = 0, K = d - 8 always
    /// fit, so the search ends.
    /// The fraction bits that make every cell's fractions exact (cells all powers of two wide), if any.
    static func exactFractionBits(levels: [[Int]], bitDepth: Int) -> Int? {
        var exactBits: Int? = 0
        for list in levels {
            for (lo, hi) in zip(list, list.dropFirst()) {
                let width = (hi - lo) << (bitDepth - 8)
                if let bits = exactBits, width.nonzeroBitCount == 1 {
                    exactBits = max(bits, width.trailingZeroBitCount)
                } else {
                    exactBits = nil
                }
            }
        }
        return exactBits
    }

    /// F for cells that are not powers of two wide: fractions rounded to 1/256 of a cell, which keeps int8 tables'
    /// lookups within 16 bits (fast lanes).
    static let inexactFractionBits = 8

    /// The F a stage starts from: weights (up to 2^F) are int16 multipliers, so F <= 14.
    static func wantedFractionBits(levels: [[Int]], bitDepth: Int, inexact: Int = inexactFractionBits) -> Int {
        exactFractionBits(levels: levels, bitDepth: bitDepth).map { min($0, 14) } ?? inexact
    }

    init(_ stage: EngineStage, bitDepth: Int, inexactFractionBits: Int = Arithmetic.inexactFractionBits) {
        let shift = bitDepth - 8
        let maxValue = (1 << bitDepth) - 1
        let exactBits = Self.exactFractionBits(levels: stage.luts.map(\.levels), bitDepth: bitDepth)
        let wanted = Self.wantedFractionBits(levels: stage.luts.map(\.levels), bitDepth: bitDepth, inexact: inexactFractionBits)
        var units: [Double] = []
        for lut in stage.luts where !units.contains(lut.unit) { units.append(lut.unit) }
        let shared: Int? = units.count == 1 && units[0] > 0 && units[0].significand == 1 && units[0].exponent <= 0
            ? Int(-units[0].exponent) : nil
        // Smallest K making every multiplier an integer, if there is one below the 16-bit multiplier limit.
        let largestUnit = units.map(abs).max()!
        let multiplierBits = largestUnit == 0 ? 30 : Int((32767 / largestUnit).exponent)
        let exactUnitBits = (0...max(0, min(30, multiplierBits))).first { k in
            units.allSatisfy { u in let m = u * Double(sign: .plus, exponent: k, significand: 1); return m == m.rounded() }
        }
        let luts = stage.luts, residual = stage.residual, bias = abs(stage.bias)
        let allValuesExact = luts.allSatisfy(\.exact)

        // Largest magnitude of a total plus the emit's bias, residual and rounding; nil if G is out of range.
        func emitBound(_ f: Int, _ k: Int, _ sums: Int) -> Int? {
            let g = f + k - shift
            guard g >= 0, g <= 30 else { return nil }
            let b = Int((bias * Double(sign: .plus, exponent: f + k, significand: 1)).rounded(.up))
            return sums + b + (residual ? maxValue << g : 0) + (1 << g)
        }
        func multiplier(_ u: Double, _ k: Int) -> Int { Int((u * Double(sign: .plus, exponent: k, significand: 1)).rounded(.toNearestOrEven)) }
        func isExact(_ f: Int, _ k: Int, multipliers: Bool) -> Bool {
            let b = stage.bias * Double(sign: .plus, exponent: f + k, significand: 1)
            return allValuesExact && exactBits == f && b == b.rounded()
                && (!multipliers || units.allSatisfy { Double(multiplier($0, k)) == $0 * Double(sign: .plus, exponent: k, significand: 1) })
        }
        let ones = [Int32](repeating: 1, count: luts.count)

        for f in stride(from: wanted, through: 0, by: -1) {
            let sums = luts.reduce(0) { $0 + $1.rotations * (1 << f) * $1.maxMagnitude }
            if let k = shared, let bound = emitBound(f, k, sums), bound <= Int(Int16.max) {
                (lanes, fractionBits, unitBits, multipliers, exact) = (.narrow, f, k, ones, isExact(f, k, multipliers: false))
                return
            }
            let lookupsFit = luts.allSatisfy { (1 << f) * $0.maxMagnitude <= Int(Int16.max) }
            for candidate in lookupsFit ? [LaneWidth.scaled, .wide] : [.wide] {
                if let k = shared, let bound = emitBound(f, k, sums), bound <= Int(Int32.max) {
                    (lanes, fractionBits, unitBits, multipliers, exact) = (candidate, f, k, ones, isExact(f, k, multipliers: false))
                    return
                }
                for k in stride(from: min(exactUnitBits ?? multiplierBits, 30), through: shift - f, by: -1) {
                    let total = luts.reduce(0) { $0 + $1.rotations * (1 << f) * $1.maxMagnitude * abs(multiplier($1.unit, k)) }
                    if let bound = emitBound(f, k, total), bound <= Int(Int32.max) {
                        (lanes, fractionBits, unitBits, exact) = (candidate, f, k, isExact(f, k, multipliers: true))
                        multipliers = luts.map { Int32(multiplier($0.unit, k)) }
                        return
                    }
                }
            }
        }
        preconditionFailure("no fixed point fits: the model limits should rule this out")
    }
}

/// A LUT model's plan for one input size, output size and bit depth.
///
/// The output may be smaller than scale x input (a top-left crop, e.g. Set5 x3 where LR = ceil(HR / 3)).
/// Arithmetic: a d-bit plane is looked up with the model's levels scaled by 2^(d-8); each lookup's weights are
/// integers summing to 2^F, table values integers in units of 2^-E, so a stage's sum is an exact integer in
/// units of 2^-(F+E) of an 8-bit step. F is chosen so every fraction is exact when the cells are powers of two
/// wide (SR-LUT's are: F = 4 at 8 bits, 6 at 10 bits); otherwise fractions are rounded to 2^-F of a cell.
struct LUTPlan: UpscalePlan {
    let input: PlaneSize
    let output: PlaneSize
    let bitDepth: Int
    let scale: Int
    let stages: [PlanStage]

    var rowAlignment: Int { scale }
    /// Whether every stage is exact (see `PlanStage.isExact`): the output is then the format's semantics to the bit.
    var isExact: Bool { stages.allSatisfy(\.isExact) }

    init(model: LUTModel, input: PlaneSize, output: PlaneSize, bitDepth: Int) throws(UpscaleError) {
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
        stages = model.stages.indices.map { PlanStage(model: model, index: $0, bitDepth: bitDepth) }
    }

    func render(_ source: PlaneView, into destination: MutablePlaneView, rows: Range<Int>) {
        precondition(source.size == input && source.bitDepth == bitDepth, "source \(source.size) at \(source.bitDepth) bits does not match the plan")
        precondition(destination.size == output && destination.bitDepth == bitDepth, "destination \(destination.size) at \(destination.bitDepth) bits does not match the plan")
        let rows = rows.clamped(to: 0..<output.height)
        guard !rows.isEmpty else { return }
        // LR rows each stage must produce, from the last stage back: a stage needs its reach around them.
        var needed = Array(repeating: 0..<0, count: stages.count)
        needed[stages.count - 1] = rows.lowerBound / scale..<min(input.height, (rows.upperBound + scale - 1) / scale)
        for s in stride(from: stages.count - 1, to: 0, by: -1) {
            let reach = stages[s].reach
            needed[s - 1] = max(0, needed[s].lowerBound - reach)..<min(input.height, needed[s].upperBound + reach)
        }
        var current = StageInput(base: source.base, bytesPerRow: source.bytesPerRow, firstRow: 0)
        var intermediate: UnsafeMutableRawPointer? = nil
        defer { intermediate?.deallocate() }
        for (s, stage) in stages.enumerated() {
            if s == stages.count - 1 {
                stage.run(input: current, size: input, lrRows: needed[s],
                          target: StageTarget(base: destination.base, bytesPerRow: destination.bytesPerRow, firstRow: 0,
                                              width: output.width, rows: rows),
                          columns: min(input.width, (output.width + scale - 1) / scale), bitDepth: bitDepth)
            } else {
                // Each intermediate plane covers exactly the rows the next stage reads; bands recompute their margins.
                let bytesPerRow = (input.width * source.bytesPerSample + 63) & ~63
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytesPerRow * needed[s].count), alignment: 64)
                stage.run(input: current, size: input, lrRows: needed[s],
                          target: StageTarget(base: buffer, bytesPerRow: bytesPerRow, firstRow: needed[s].lowerBound,
                                              width: input.width, rows: needed[s]),
                          columns: input.width, bitDepth: bitDepth)
                intermediate?.deallocate()
                intermediate = buffer
                current = StageInput(base: UnsafeRawPointer(buffer), bytesPerRow: bytesPerRow, firstRow: needed[s].lowerBound)
            }
        }
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

/// NumPy 'reflect' extension of index `i` into 0..<n (the edge sample is not repeated).
@inline(__always)
func reflect(_ i: Int, _ n: Int) -> Int {
    guard n > 1 else { return 0 }
    let period = 2 * (n - 1)
    var m = i % period
    if m < 0 { m += period }
    return m < n ? m : period - m
}

/// One stage of a plan: its tier, fixed-point parameters and per-value (cell, fraction) tables.
struct PlanStage: Sendable {
    struct LookupSpec: Sendable {
        var lut: Int
        var rotation: Int
        var group: Int
        var offsets: [(dy: Int, dx: Int)]
        var strides: [UInt64]
    }

    let tier: Tier
    /// Whether this stage computes the format's semantics exactly: cells powers of two and at most 2^14 samples
    /// wide at this depth (2^(22-d) in 8-bit units), table values and bias representable in the fixed point
    /// (true for SR-LUT's tables at every depth).
    let isExact: Bool
    let tables: PreparedStage
    let lookups: [LookupSpec]
    /// For each distinct levels list: value -> fraction (units 2^-F) << 32 | cell.
    let cellTables: [[UInt64]]
    let one: UInt64
    let emit: EmitParams
    let reach: Int

    init(model: LUTModel, index: Int, bitDepth: Int) {
        let stage = model.stages[index]
        let shift = bitDepth - 8
        let (tier, fractionBits, exact) = PlanStage.arithmetic(stage, bitDepth: bitDepth)
        self.tier = tier
        isExact = exact
        tables = model.preparedTables(stage: index)
        one = 1 << UInt64(fractionBits)
        reach = stage.reach

        var groups: [[Int]] = []
        var lookups: [LookupSpec] = []
        for (l, lut) in stage.luts.enumerated() {
            if !groups.contains(lut.levels) { groups.append(lut.levels) }
            let count = UInt64(lut.levels.count)
            let row = UInt64(tables.rowBytes)
            let strides = [count * count * count * row, count * count * row, count * row, row]
            for k in 0..<lut.rotations {
                lookups.append(LookupSpec(
                    lut: l, rotation: k, group: groups.firstIndex(of: lut.levels)!,
                    offsets: lut.pattern.offsets.map { PreparedStage.rotatedOffset(dy: $0.dy, dx: $0.dx, rotation: k) },
                    strides: strides))
            }
        }
        self.lookups = lookups
        cellTables = groups.map { PlanStage.cellTable(levels: $0, bitDepth: bitDepth, fractionBits: fractionBits) }

        let g = fractionBits + stage.exponent - shift
        let r = stage.upscale
        emit = EmitParams(
            shift: Int32(g),
            bias: Int32((stage.bias * Double(sign: .plus, exponent: fractionBits + stage.exponent, significand: 1)).rounded(.toNearestOrEven)),
            maxValue: Int32((1 << bitDepth) - 1), residual: stage.residual, upscale: r)
    }

    /// Picks the tier and the fraction bits F. Wanted: F exact for power-of-two cells, else F = 14.
    /// Narrow if the largest possible value fits Int16; otherwise wide, with
    /// F lowered only if the Int32 emit would overflow (never for SR-LUT-like tables). The model's limits
    /// (|values| <= 32767, E <= 16, |bias| <= 4096, <= 64 lookups) guarantee F = max(0, d - 8 - E) fits.
    static func arithmetic(_ stage: EngineStage, bitDepth: Int) -> (tier: Tier, fractionBits: Int, exact: Bool) {
        let shift = bitDepth - 8
        var exact: Int? = 0
        for lut in stage.luts {
            for (lo, hi) in zip(lut.levels, lut.levels.dropFirst()) {
                let width = (hi - lo) << shift
                if let bits = exact, width.nonzeroBitCount == 1 {
                    exact = max(bits, width.trailingZeroBitCount)
                } else {
                    exact = nil
                }
            }
        }
        // Weights (up to 2^F) are int16 multipliers, so F <= 14; cells that are not powers of two get F = 14.
        let wanted = min(exact ?? 14, 14)
        let lookups = stage.lookups, magnitude = stage.maxMagnitude
        let maxValue = (1 << bitDepth) - 1
        // Largest magnitude the sums, and the emit's bias, residual and rounding on top, can reach.
        func fits(_ f: Int, limit: Int) -> Bool {
            let g = f + stage.exponent - shift
            guard g >= 0, g <= 30 else { return false }
            let bias = Int((abs(stage.bias) * Double(sign: .plus, exponent: f + stage.exponent, significand: 1)).rounded(.up))
            return lookups * (1 << f) * magnitude + bias + (stage.residual ? maxValue << g : 0) + (1 << g) <= limit
        }
        func isExact(_ f: Int) -> Bool {
            let bias = stage.bias * Double(sign: .plus, exponent: f + stage.exponent, significand: 1)
            return stage.exactValues && exact == f && bias == bias.rounded()
        }
        if fits(wanted, limit: Int(Int16.max)) { return (.narrow, wanted, isExact(wanted)) }
        let lowest = max(0, shift - stage.exponent)
        guard let f = stride(from: wanted, through: lowest, by: -1).first(where: { fits($0, limit: Int(Int32.max)) }) else {
            preconditionFailure("no fraction precision fits: the model limits should rule this out")
        }
        return (.wide, f, isExact(f))
    }

    static func cellTable(levels: [Int], bitDepth: Int, fractionBits: Int) -> [UInt64] {
        let shift = bitDepth - 8
        var table = [UInt64](repeating: 0, count: 1 << bitDepth)
        var cell = 0
        for v in 0..<table.count {
            while v >= levels[cell + 1] << shift { cell += 1 }
            let lo = levels[cell] << shift, width = (levels[cell + 1] - levels[cell]) << shift
            let fraction = ((v - lo) << (fractionBits + 1) + width) / (2 * width)
            table[v] = UInt64(fraction) << 32 | UInt64(cell)
        }
        return table
    }
}

/// One member of a window group, resolved for one window row: its table, and the record (16 lanes) of its
/// anchor for the window at column 0 (the window at column x adds x records).
struct BlockLookup {
    var table: UnsafeRawPointer
    var target: UnsafeMutableRawPointer
}

/// Integer lane arithmetic of a tier. A record is 16 lanes of `Lane`, output `o` of the block in lane `o`
/// (lanes past the row's width stay zero); `add` is acc += w x row for the outputs of one table row.
protocol LaneTier {
    associatedtype Acc
    associatedtype Weight
    associatedtype Lane: FixedWidthInteger & SignedInteger & SIMDScalar
    static func weight(_ w: Int16) -> Weight
    static func load(_ record: UnsafeRawPointer) -> Acc
    static func add(_ acc: inout Acc, _ row: UnsafeRawPointer, _ w: Weight)
    static func store(_ acc: Acc, to record: UnsafeMutableRawPointer)
}

/// Table row width: 8 int16 values (16 bytes, at most 8 outputs) or 16 (32 bytes).
protocol RowWidth {
    static var sixteen: Bool { get }
}

enum EightValues: RowWidth { static let sixteen = false }
enum SixteenValues: RowWidth { static let sixteen = true }

/// 16-bit lanes: per vertex one load, multiply and add per row (one register of 16 lanes where the target has
/// 256-bit vectors, else two). Sums wrap modulo 2^16, so the result is exact whenever the final value fits in
/// Int16, which the plan proves before choosing this tier.
enum NarrowLanes<Width: RowWidth>: LaneTier {
    typealias Lane = Int16

    @inline(__always) static func weight(_ w: Int16) -> SIMD16<Int16> { SIMD16(repeating: w) }

    @inline(__always) static func load(_ record: UnsafeRawPointer) -> SIMD16<Int16> {
        Width.sixteen ? record.load(as: SIMD16<Int16>.self) : SIMD16(lowHalf: record.load(as: SIMD8<Int16>.self), highHalf: SIMD8())
    }

    @inline(__always) static func add(_ acc: inout SIMD16<Int16>, _ row: UnsafeRawPointer, _ w: SIMD16<Int16>) {
        if Width.sixteen {
            acc &+= row.loadUnaligned(as: SIMD16<Int16>.self) &* w
        } else {
            acc.lowHalf &+= row.loadUnaligned(as: SIMD8<Int16>.self) &* w.lowHalf
        }
    }

    @inline(__always) static func store(_ acc: SIMD16<Int16>, to record: UnsafeMutableRawPointer) {
        if Width.sixteen {
            record.storeBytes(of: acc, as: SIMD16<Int16>.self)
        } else {
            record.storeBytes(of: acc.lowHalf, as: SIMD8<Int16>.self)
        }
    }
}

/// 32-bit lanes for deep planes and large tables. Products of int16 values and weights (at most 2^14) are
/// exact in 32 bits; LLVM lowers the widening multiply to pmullw/pmulhw and an interleave on baseline SSE2.
enum WideLanes<Width: RowWidth>: LaneTier {
    typealias Lane = Int32

    struct Acc {
        var low: SIMD8<Int32>
        var high: SIMD8<Int32>
    }

    @inline(__always) static func weight(_ w: Int16) -> SIMD8<Int32> { SIMD8(repeating: Int32(w)) }

    @inline(__always) static func load(_ record: UnsafeRawPointer) -> Acc {
        Acc(low: record.load(as: SIMD8<Int32>.self),
            high: Width.sixteen ? record.load(fromByteOffset: 32, as: SIMD8<Int32>.self) : SIMD8())
    }

    @inline(__always) static func add(_ acc: inout Acc, _ row: UnsafeRawPointer, _ w: SIMD8<Int32>) {
        acc.low &+= SIMD8<Int32>(truncatingIfNeeded: row.loadUnaligned(as: SIMD8<Int16>.self)) &* w
        if Width.sixteen {
            acc.high &+= SIMD8<Int32>(truncatingIfNeeded: row.loadUnaligned(fromByteOffset: 16, as: SIMD8<Int16>.self)) &* w
        }
    }

    @inline(__always) static func store(_ acc: Acc, to record: UnsafeMutableRawPointer) {
        record.storeBytes(of: acc.low, toByteOffset: 0, as: SIMD8<Int32>.self)
        if Width.sixteen { record.storeBytes(of: acc.high, toByteOffset: 32, as: SIMD8<Int32>.self) }
    }
}

@inline(__always)
private func order(_ a: inout SIMD16<Int16>, _ b: inout SIMD16<Int16>) {
    let high = pointwiseMax(a, b)
    b = pointwiseMin(a, b)
    a = high
}

/// Per-window walk of one row of windows, 16 windows per step: the keys of the window's 4 pixels (biased
/// fraction << 2, see `PlanStage.cellTable`) tagged with the pixel's index and sorted, largest first. The
/// simplex walk sets the sorted pixels' bits in turn; its 5 weights are the differences of the sorted
/// fractions (ties leave zero weights, so their order is moot). Writes, per window at `x - columns.lowerBound`,
/// the weights to `walk[0...4]` and the pixels of the first three steps to `walk[5...7]` (rows of `capacity`).
@inline(__always)
func sortWindows(keys: UnsafePointer<Int16>, window: (Int, Int, Int, Int), columns: Range<Int>, one: Int16,
                 walk: UnsafeMutablePointer<Int16>, capacity: Int) {
    let bias = SIMD16<Int16>(repeating: Int16.min)
    var i = 0
    for x in stride(from: columns.lowerBound, to: columns.upperBound, by: 16) {
        let p = UnsafeRawPointer(keys + x)
        var k0 = p.loadUnaligned(fromByteOffset: 2 &* window.0, as: SIMD16<Int16>.self)
        var k1 = p.loadUnaligned(fromByteOffset: 2 &* window.1, as: SIMD16<Int16>.self) | SIMD16(repeating: 1)
        var k2 = p.loadUnaligned(fromByteOffset: 2 &* window.2, as: SIMD16<Int16>.self) | SIMD16(repeating: 2)
        var k3 = p.loadUnaligned(fromByteOffset: 2 &* window.3, as: SIMD16<Int16>.self) | SIMD16(repeating: 3)
        order(&k0, &k1)
        order(&k2, &k3)
        order(&k0, &k2)
        order(&k1, &k3)
        order(&k1, &k2)
        // Unbiased, the keys are fraction << 2 | pixel, below 2^16: a logical shift recovers the fractions.
        let f1 = SIMD16<Int16>(truncatingIfNeeded: SIMD16<UInt16>(truncatingIfNeeded: k0 ^ bias) &>> 2)
        let f2 = SIMD16<Int16>(truncatingIfNeeded: SIMD16<UInt16>(truncatingIfNeeded: k1 ^ bias) &>> 2)
        let f3 = SIMD16<Int16>(truncatingIfNeeded: SIMD16<UInt16>(truncatingIfNeeded: k2 ^ bias) &>> 2)
        let f4 = SIMD16<Int16>(truncatingIfNeeded: SIMD16<UInt16>(truncatingIfNeeded: k3 ^ bias) &>> 2)
        let out = UnsafeMutableRawPointer(walk + i)
        let row = 2 &* capacity
        out.storeBytes(of: SIMD16(repeating: one) &- f1, as: SIMD16<Int16>.self)
        out.storeBytes(of: f1 &- f2, toByteOffset: row, as: SIMD16<Int16>.self)
        out.storeBytes(of: f2 &- f3, toByteOffset: 2 &* row, as: SIMD16<Int16>.self)
        out.storeBytes(of: f3 &- f4, toByteOffset: 3 &* row, as: SIMD16<Int16>.self)
        out.storeBytes(of: f4, toByteOffset: 4 &* row, as: SIMD16<Int16>.self)
        out.storeBytes(of: k0 & SIMD16(repeating: 3), toByteOffset: 5 &* row, as: SIMD16<Int16>.self)
        out.storeBytes(of: k1 & SIMD16(repeating: 3), toByteOffset: 6 &* row, as: SIMD16<Int16>.self)
        out.storeBytes(of: k2 & SIMD16(repeating: 3), toByteOffset: 7 &* row, as: SIMD16<Int16>.self)
        i &+= 16
    }
}

/// The hot loop: one window group along one row of windows (origins at `columns` of `cells`, a row of a cell
/// plane; `window` holds the element offsets of its 4 pixels, `strides` the tables' row steps in bytes for a
/// cell step of each, `walk` what `sortWindows` wrote). Every lookup of the group adds its table's 5 weighted
/// rows, at the same offsets, to its anchor's record.
@inline(__always)
func accumulateWindows<T: LaneTier>(_: T.Type, cells: UnsafePointer<UInt8>, window: (Int, Int, Int, Int),
                                    strides: UnsafePointer<Int>, columns: Range<Int>, walk: UnsafePointer<Int16>, capacity: Int,
                                    lookups: UnsafeBufferPointer<BlockLookup>, recordBytes: Int) {
    let s0 = strides[0], s1 = strides[1], s2 = strides[2], s3 = strides[3]
    let far = s0 &+ s1 &+ s2 &+ s3
    for x in columns {
        let p = cells + x
        let base = Int(p[window.0]) &* s0 &+ Int(p[window.1]) &* s1 &+ Int(p[window.2]) &* s2 &+ Int(p[window.3]) &* s3
        let w = walk + (x &- columns.lowerBound)
        let v1 = base &+ strides[Int(w[5 &* capacity])]
        let v2 = v1 &+ strides[Int(w[6 &* capacity])]
        let v3 = v2 &+ strides[Int(w[7 &* capacity])]
        let v4 = base &+ far
        let w0 = T.weight(w[0]), w1 = T.weight(w[capacity]), w2 = T.weight(w[2 &* capacity])
        let w3 = T.weight(w[3 &* capacity]), w4 = T.weight(w[4 &* capacity])
        for l in lookups {
            let record = l.target + x &* recordBytes
            var acc = T.load(record)
            T.add(&acc, l.table + base, w0)
            T.add(&acc, l.table + v1, w1)
            T.add(&acc, l.table + v2, w2)
            T.add(&acc, l.table + v3, w3)
            T.add(&acc, l.table + v4, w4)
            T.store(acc, to: record)
        }
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

/// Converts one LR row of sums, clearing them for the next row, and writes its r x r blocks to the output
/// rows in `rows` (output row `r * y + a` lives at `target + (r * y + a - firstRow) * bytesPerRow`), cropped
/// to `width` columns; `samples` holds 16 samples per pixel on the way.
@inline(__always)
func emitRow<S: FixedWidthInteger & UnsignedInteger & SIMDScalar, Lane: FixedWidthInteger & SignedInteger & SIMDScalar>(
    _: S.Type, _: Lane.Type, records: UnsafeMutableRawPointer, samples: UnsafeMutableRawPointer, count: Int,
    anchors: UnsafeRawPointer, params: EmitParams,
    y: Int, target: UnsafeMutableRawPointer, bytesPerRow: Int, firstRow: Int, width: Int, rows: Range<Int>
) {
    let r = params.upscale
    // The plan proves every intermediate value below fits in Lane. Plain pointer loops: LLVM vectorises the
    // 16 lanes of a pixel (SIMD16 conversions between lane widths would not be).
    let shift = Lane(params.shift)
    let addend: Lane = shift > 0 ? (1 << (shift - 1)) - 1 : 0
    let oddMask: Lane = shift > 0 ? 1 : 0
    let bias = Lane(params.bias)
    // Sums never exceed Lane.max, so a larger maximum (16-bit samples in 16-bit lanes) clamps nothing.
    let maxValue = Lane(clamping: params.maxValue)
    let maxSample = S(truncatingIfNeeded: params.maxValue)
    let size = MemoryLayout<S>.size
    let sums = records.assumingMemoryBound(to: Lane.self)
    let out = samples.assumingMemoryBound(to: S.self)
    let anchor = anchors.assumingMemoryBound(to: S.self)
    // Pass 1: sums -> samples, 16 per pixel.
    for x in 0..<count {
        // Out-of-range input samples are read as the maximum, as for the lookups.
        let offset = params.residual ? bias &+ Lane(truncatingIfNeeded: min(anchor[x], maxSample)) &<< shift : bias
        let sum = sums + 16 &* x, sample = out + 16 &* x
        for lane in 0..<16 {
            let t = sum[lane] &+ offset
            let q = (t &+ addend &+ ((t &>> shift) & oddMask)) &>> shift
            sample[lane] = S(truncatingIfNeeded: max(0, min(q, maxValue)))
            sum[lane] = 0
        }
    }
    // Pass 2: each block row of the band, four samples per store (the extra ones are overwritten by the next
    // block); the last blocks, where four would pass the crop width, sample by sample. (Reading back from
    // memory here, rather than right after each pixel's conversion, avoids store-forwarding stalls.)
    let wholeBlocks = width >= 4 ? min(count, (width - 4) / r + 1) : 0
    for a in 0..<r where rows.contains(r * y + a) {
        let dst = target + (r * y + a - firstRow) * bytesPerRow
        let lane = a * r * size
        for x in 0..<wholeBlocks {
            dst.storeBytes(of: samples.loadUnaligned(fromByteOffset: 16 &* size &* x &+ lane, as: SIMD4<S>.self),
                           toByteOffset: r &* x &* size, as: SIMD4<S>.self)
        }
        for x in wholeBlocks..<count {
            for b in 0..<min(r, width - r * x) {
                dst.storeBytes(of: samples.load(fromByteOffset: (16 * x + a * r + b) * size, as: S.self),
                               toByteOffset: (r * x + b) * size, as: S.self)
            }
        }
    }
}

extension PlanStage {
    /// Computes LR rows `lrRows`, columns 0..<columns, of this stage and writes them to `target`.
    func run(input: StageInput, size: PlaneSize, lrRows: Range<Int>, target: StageTarget, columns: Int, bitDepth: Int) {
        if bitDepth > 8 {
            run(UInt16.self, input: input, size: size, lrRows: lrRows, target: target, columns: columns, bitDepth: bitDepth)
        } else {
            run(UInt8.self, input: input, size: size, lrRows: lrRows, target: target, columns: columns, bitDepth: bitDepth)
        }
    }

    // The generic driver lives in this file with the kernels it calls, so it is specialised even when the
    // module is compiled file by file (debug builds).
    private func run<S: FixedWidthInteger & UnsignedInteger & SIMDScalar>(_: S.Type, input: StageInput, size: PlaneSize, lrRows: Range<Int>,
                                                                          target: StageTarget, columns: Int, bitDepth: Int) {
        guard !lrRows.isEmpty else { return }
        switch (tier, tables.rowBytes == 32) {
        case (.narrow, false): run(NarrowLanes<EightValues>.self, S.self, input: input, size: size, lrRows: lrRows, target: target, columns: columns, bitDepth: bitDepth)
        case (.narrow, true): run(NarrowLanes<SixteenValues>.self, S.self, input: input, size: size, lrRows: lrRows, target: target, columns: columns, bitDepth: bitDepth)
        case (.wide, false): run(WideLanes<EightValues>.self, S.self, input: input, size: size, lrRows: lrRows, target: target, columns: columns, bitDepth: bitDepth)
        case (.wide, true): run(WideLanes<SixteenValues>.self, S.self, input: input, size: size, lrRows: lrRows, target: target, columns: columns, bitDepth: bitDepth)
        }
    }

    /// Windows are visited row by row; each lookup adds into the records of its anchor's row, kept in a ring
    /// of rows (anchors lie at most the targets' spread below a window). Once no later window row reaches an
    /// LR row, its records are complete: it is emitted, which clears its ring slot for reuse.
    private func run<T: LaneTier, S: FixedWidthInteger & UnsignedInteger & SIMDScalar>(
        _: T.Type, _: S.Type, input: StageInput, size: PlaneSize, lrRows: Range<Int>, target: StageTarget, columns: Int, bitDepth: Int
    ) {
        let groups = tables.groups
        let members = groups.flatMap(\.members)
        let lowest = members.map(\.target.dy).min()!, highest = members.map(\.target.dy).max()!
        let ringRows = highest - lowest + 1
        let pad = reach
        // Window columns reach `pad` beyond the plane on either side; anchors `margin` beyond it.
        let margin = 2 * pad
        let paddedWidth = size.width + 2 * pad
        let paddedRows = lrRows.count + 2 * pad
        // sortWindows reads up to 15 keys past a row's last window.
        let planeCount = paddedWidth * paddedRows + 16
        let capacity = (columns + 2 * margin + 15) & ~15
        let recordBytes = 16 * MemoryLayout<T.Lane>.size
        let rowBytes = (columns + 2 * margin) * recordBytes
        let sums = chunks?.count ?? 1
        let keys = UnsafeMutablePointer<Int16>.allocate(capacity: cellTables.count * planeCount)
        let cells = UnsafeMutablePointer<UInt8>.allocate(capacity: cellTables.count * planeCount)
        keys.initialize(repeating: 0, count: cellTables.count * planeCount)
        let records = UnsafeMutableRawPointer.allocate(byteCount: sums * ringRows * rowBytes, alignment: 64)
        records.initializeMemory(as: UInt8.self, repeating: 0, count: sums * ringRows * rowBytes)
        let totals = UnsafeMutableRawPointer.allocate(byteCount: chunks == nil ? 64 : 64 * columns, alignment: 64)
        let samples = UnsafeMutableRawPointer.allocate(byteCount: 32 * columns, alignment: 64)
        let walk = UnsafeMutablePointer<Int16>.allocate(capacity: 8 * capacity)
        let resolved = UnsafeMutablePointer<BlockLookup>.allocate(capacity: members.count)
        let strides = UnsafeMutablePointer<Int>.allocate(capacity: 4 * groups.count)
        defer {
            keys.deallocate()
            cells.deallocate()
            records.deallocate()
            totals.deallocate()
            samples.deallocate()
            walk.deallocate()
            resolved.deallocate()
            strides.deallocate()
        }
        for (g, group) in groups.enumerated() {
            let n = group.levels.count, row = tables.rowBytes
            (strides + 4 * g).initialize(from: [n * n * n * row, n * n * row, n * row, row], count: 4)
        }
        // Reflect-padded key and cell planes, one pair per distinct levels list.
        let columnMap = (0..<paddedWidth).map { reflect($0 - pad, size.width) }
        let maxValue = S(truncatingIfNeeded: (1 << bitDepth) - 1)
        columnMap.withUnsafeBufferPointer { columnMap in
            for (g, table) in cellTables.enumerated() {
                table.withUnsafeBufferPointer { table in
                    for i in 0..<paddedRows {
                        let src = input.row(reflect(lrRows.lowerBound - pad + i, size.height)).assumingMemoryBound(to: S.self)
                        let rowKeys = keys + g * planeCount + i * paddedWidth, rowCells = cells + g * planeCount + i * paddedWidth
                        for j in 0..<paddedWidth {
                            let v = table[Int(min(src[columnMap[j]], maxValue))]
                            rowKeys[j] = Int16(truncatingIfNeeded: v >> 16)
                            rowCells[j] = UInt8(truncatingIfNeeded: v)
                        }
                    }
                }
            }
        }
        /// Records of LR row `y` in accumulator `a`, at column 0.
        func recordRow(_ a: Int, _ y: Int) -> UnsafeMutableRawPointer {
            let slot = ((y - lowest) % ringRows + ringRows) % ringRows
            return records + (a * ringRows + slot) * rowBytes + margin * recordBytes
        }
        // Window rows from the first whose lookups reach lrRows to the last.
        for b in (lrRows.lowerBound - highest)..<(lrRows.upperBound - lowest) {
            for (g, group) in groups.enumerated() {
                var count = 0, first = Int.max, last = Int.min
                for (m, member) in group.members.enumerated() where lrRows.contains(b + member.target.dy) {
                    resolved[count] = BlockLookup(table: tables.table(member),
                                                  target: recordRow(accumulators[g][m], b + member.target.dy) + member.target.dx * recordBytes)
                    count += 1
                    first = min(first, -member.target.dx)
                    last = max(last, columns - member.target.dx)
                }
                guard count > 0 else { continue }
                let o = group.window.map { $0.dy * paddedWidth + $0.dx }
                let origin = cellTableIndex[g] * planeCount + (b - lrRows.lowerBound + pad) * paddedWidth + pad
                sortWindows(keys: keys + origin, window: (o[0], o[1], o[2], o[3]), columns: first..<last, one: Int16(one),
                            walk: walk, capacity: capacity)
                accumulateWindows(T.self, cells: cells + origin, window: (o[0], o[1], o[2], o[3]), strides: strides + 4 * g,
                                  columns: first..<last, walk: walk, capacity: capacity,
                                  lookups: UnsafeBufferPointer(start: resolved, count: count), recordBytes: recordBytes)
            }
            // Row y gets nothing from later window rows.
            let y = b + lowest
            guard lrRows.contains(y) else { continue }
            if let chunks {
                combine(T.Lane.self, chunks: chunks, records: { recordRow($0, y) }, count: columns, totals: totals)
                emitRow(S.self, Int32.self, records: totals, samples: samples, count: columns, anchors: input.row(y), params: emit,
                        y: y, target: target.base, bytesPerRow: target.bytesPerRow, firstRow: target.firstRow,
                        width: target.width, rows: target.rows)
            } else {
                emitRow(S.self, T.Lane.self, records: recordRow(0, y), samples: samples, count: columns, anchors: input.row(y),
                        params: emit, y: y, target: target.base, bytesPerRow: target.bytesPerRow, firstRow: target.firstRow,
                        width: target.width, rows: target.rows)
            }
        }
    }
}

/// Chunks of lookups into 32-bit totals, clearing the chunks' records for the next row: totals = sum of each
/// chunk's records x its multiplier (16 lanes per pixel).
@inline(__always)
func combine<Lane: FixedWidthInteger & SignedInteger>(_: Lane.Type, chunks: [PlanStage.Chunk], records: (Int) -> UnsafeMutableRawPointer,
                                                       count: Int, totals: UnsafeMutableRawPointer) {
    let total = totals.assumingMemoryBound(to: Int32.self)
    for (c, chunk) in chunks.enumerated() {
        let sums = records(c).assumingMemoryBound(to: Lane.self)
        let m = chunk.multiplier
        if c == 0 {
            for i in 0..<16 * count { total[i] = Int32(truncatingIfNeeded: sums[i]) &* m }
        } else {
            for i in 0..<16 * count { total[i] &+= Int32(truncatingIfNeeded: sums[i]) &* m }
        }
        sums.update(repeating: 0, count: 16 * count)
    }
}

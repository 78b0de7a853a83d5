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
    static func weight(_ w: UInt64) -> Weight
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

/// 16-bit lanes: per vertex one load, multiply and add per 8 values. Sums wrap modulo 2^16, so the result is
/// exact whenever the final value fits in Int16, which the plan proves before choosing this tier.
enum NarrowLanes<Width: RowWidth>: LaneTier {
    typealias Lane = Int16

    struct Acc {
        var low: SIMD8<Int16>
        var high: SIMD8<Int16>
    }

    @inline(__always) static func weight(_ w: UInt64) -> SIMD8<Int16> {
        SIMD8(repeating: Int16(truncatingIfNeeded: w))
    }

    @inline(__always) static func load(_ record: UnsafeRawPointer) -> Acc {
        Acc(low: record.load(as: SIMD8<Int16>.self),
            high: Width.sixteen ? record.load(fromByteOffset: 16, as: SIMD8<Int16>.self) : SIMD8())
    }

    @inline(__always) static func add(_ acc: inout Acc, _ row: UnsafeRawPointer, _ w: SIMD8<Int16>) {
        acc.low &+= row.loadUnaligned(as: SIMD8<Int16>.self) &* w
        if Width.sixteen { acc.high &+= row.loadUnaligned(fromByteOffset: 16, as: SIMD8<Int16>.self) &* w }
    }

    @inline(__always) static func store(_ acc: Acc, to record: UnsafeMutableRawPointer) {
        record.storeBytes(of: acc.low, toByteOffset: 0, as: SIMD8<Int16>.self)
        if Width.sixteen { record.storeBytes(of: acc.high, toByteOffset: 16, as: SIMD8<Int16>.self) }
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

    @inline(__always) static func weight(_ w: UInt64) -> SIMD8<Int32> {
        SIMD8(repeating: Int32(Int16(truncatingIfNeeded: w)))
    }

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
private func order(_ a: inout UInt64, _ b: inout UInt64) {
    let high = max(a, b)
    b = min(a, b)
    a = high
}

/// The hot loop: one window group along one row of windows (origins at `columns` of `cells`, a row of a
/// (fraction << 32 | cell) plane; `window` holds the element offsets of its 4 pixels, `strides` the tables'
/// row steps in bytes for a cell step of each). Per window, the base row comes from the 4 cells; each fraction
/// is packed above its pixel's row step, so sorting the four keys (largest fraction first) yields the simplex
/// walk's steps directly, and the weights are the differences of the sorted fractions (ties leave zero
/// weights, so their order is moot). Every lookup of the group then adds its table's 5 weighted rows at the
/// same offsets to its anchor's record.
@inline(__always)
func accumulateWindows<T: LaneTier>(_: T.Type, cells: UnsafePointer<UInt64>, window: (Int, Int, Int, Int),
                                    strides: (UInt64, UInt64, UInt64, UInt64), columns: Range<Int>,
                                    lookups: UnsafeBufferPointer<BlockLookup>, one: UInt64, recordBytes: Int) {
    let low: UInt64 = 0xFFFF_FFFF
    let far = Int(truncatingIfNeeded: strides.0 &+ strides.1 &+ strides.2 &+ strides.3)
    for x in columns {
        let p = cells + x
        let ta = p[window.0], tb = p[window.1], tc = p[window.2], td = p[window.3]
        let base = Int(truncatingIfNeeded: (ta & low) &* strides.0 &+ (tb & low) &* strides.1 &+ (tc & low) &* strides.2 &+ (td & low) &* strides.3)
        var k0 = (ta & ~low) | strides.0, k1 = (tb & ~low) | strides.1, k2 = (tc & ~low) | strides.2, k3 = (td & ~low) | strides.3
        order(&k0, &k1)
        order(&k2, &k3)
        order(&k0, &k2)
        order(&k1, &k3)
        order(&k1, &k2)
        let f1 = k0 >> 32, f2 = k1 >> 32, f3 = k2 >> 32, f4 = k3 >> 32
        let w0 = T.weight(one &- f1), w1 = T.weight(f1 &- f2), w2 = T.weight(f2 &- f3), w3 = T.weight(f3 &- f4), w4 = T.weight(f4)
        let v1 = base &+ Int(truncatingIfNeeded: k0 & low)
        let v2 = v1 &+ Int(truncatingIfNeeded: k1 & low)
        let v3 = v2 &+ Int(truncatingIfNeeded: k2 & low)
        let v4 = base &+ far
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

/// Converts one LR row of sums and writes its r x r blocks to the output rows in `rows` (output row
/// `r * y + a` lives at `target + (r * y + a - firstRow) * bytesPerRow`), cropped to `width` columns.
@inline(__always)
func emitRow<S: FixedWidthInteger & UnsignedInteger & SIMDScalar, Lane: FixedWidthInteger & SignedInteger & SIMDScalar>(
    _: S.Type, _: Lane.Type, records: UnsafeMutableRawPointer, count: Int, anchors: UnsafeRawPointer, params: EmitParams,
    y: Int, target: UnsafeMutableRawPointer, bytesPerRow: Int, firstRow: Int, width: Int, rows: Range<Int>
) {
    let r = params.upscale
    // The plan proves every intermediate value below fits in Lane.
    let shift = SIMD16<Lane>(repeating: Lane(params.shift))
    let addend = SIMD16<Lane>(repeating: params.shift > 0 ? (1 << (Lane(params.shift) - 1)) - 1 : 0)
    let oddMask = SIMD16<Lane>(repeating: params.shift > 0 ? 1 : 0)
    let bias = SIMD16<Lane>(repeating: Lane(params.bias))
    // Sums never exceed Lane.max, so a larger maximum (16-bit samples in 16-bit lanes) clamps nothing.
    let maxValue = SIMD16<Lane>(repeating: Lane(clamping: params.maxValue))
    let signShift = SIMD16<Lane>(repeating: Lane(Lane.bitWidth - 1))
    // Pass 1: sums -> samples, 16 per pixel, compacted in place (sample x lands on sums already read).
    let size = MemoryLayout<S>.size
    let maxSample = S(truncatingIfNeeded: params.maxValue)
    for x in 0..<count {
        var t = records.load(fromByteOffset: 16 &* MemoryLayout<Lane>.size &* x, as: SIMD16<Lane>.self) &+ bias
        if params.residual {
            // Out-of-range input samples are read as the maximum, as for the lookups.
            let anchor = min(anchors.load(fromByteOffset: x &* size, as: S.self), maxSample)
            t &+= SIMD16(repeating: Lane(truncatingIfNeeded: anchor) &<< Lane(params.shift))
        }
        var q = (t &+ addend &+ ((t &>> shift) & oddMask)) &>> shift
        // Clamp with sign masks (LLVM lowers SIMD selects on 16-bit lanes to scalar code); 0 first, so that
        // q - maxValue cannot overflow.
        q &= ~(q &>> signShift)
        let over = q &- maxValue
        q &-= over & ~(over &>> signShift)
        records.storeBytes(of: SIMD16<S>(truncatingIfNeeded: q), toByteOffset: 16 &* size &* x, as: SIMD16<S>.self)
    }
    // Pass 2: each block row of the band, four samples per store (the extra ones are overwritten by the next
    // block); the last blocks, where four would pass the crop width, sample by sample. (Reading back from
    // memory here, rather than right after each pixel's conversion, avoids store-forwarding stalls.)
    let samples = UnsafeRawPointer(records)
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
    /// LR row, its records are complete: it is emitted and its ring slot cleared for reuse.
    private func run<T: LaneTier, S: FixedWidthInteger & UnsignedInteger & SIMDScalar>(
        _: T.Type, _: S.Type, input: StageInput, size: PlaneSize, lrRows: Range<Int>, target: StageTarget, columns: Int, bitDepth: Int
    ) {
        let pad = reach
        let paddedWidth = size.width + 2 * pad
        let paddedRows = lrRows.count + 2 * pad
        let planeCount = paddedWidth * paddedRows
        let groups = tables.groups
        let members = groups.flatMap(\.members)
        let lowest = members.map(\.target.dy).min()!, highest = members.map(\.target.dy).max()!
        let ringRows = highest - lowest + 1
        // Records of one ring row: `margin` on each side for anchors of windows just outside the columns.
        let margin = 2 * pad
        let recordBytes = 16 * MemoryLayout<T.Lane>.size
        let rowBytes = (columns + 2 * margin) * recordBytes
        let sums = chunks?.count ?? 1
        let cells = UnsafeMutablePointer<UInt64>.allocate(capacity: cellTables.count * planeCount)
        let records = UnsafeMutableRawPointer.allocate(byteCount: sums * ringRows * rowBytes, alignment: 64)
        records.initializeMemory(as: UInt8.self, repeating: 0, count: sums * ringRows * rowBytes)
        let totals = UnsafeMutableRawPointer.allocate(byteCount: chunks == nil ? 64 : 64 * columns, alignment: 64)
        let resolved = UnsafeMutablePointer<BlockLookup>.allocate(capacity: members.count)
        defer {
            cells.deallocate()
            records.deallocate()
            totals.deallocate()
            resolved.deallocate()
        }
        // Reflect-padded (fraction, cell) planes, one per distinct levels list.
        let columnMap = (0..<paddedWidth).map { reflect($0 - pad, size.width) * MemoryLayout<S>.size }
        let maxValue = S(truncatingIfNeeded: (1 << bitDepth) - 1)
        columnMap.withUnsafeBufferPointer { columnMap in
            for (g, table) in cellTables.enumerated() {
                table.withUnsafeBufferPointer { table in
                    for i in 0..<paddedRows {
                        let src = input.row(reflect(lrRows.lowerBound - pad + i, size.height))
                        let dst = cells + g * planeCount + i * paddedWidth
                        for j in 0..<paddedWidth {
                            let v = min(src.load(fromByteOffset: columnMap[j], as: S.self), maxValue)
                            dst[j] = table[Int(v)]
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
                let n = UInt64(group.levels.count), row = UInt64(tables.rowBytes)
                accumulateWindows(T.self, cells: UnsafePointer(cells + cellTableIndex[g] * planeCount + (b - lrRows.lowerBound + pad) * paddedWidth + pad),
                                  window: (o[0], o[1], o[2], o[3]), strides: (n * n * n * row, n * n * row, n * row, row), columns: first..<last,
                                  lookups: UnsafeBufferPointer(start: resolved, count: count), one: one, recordBytes: recordBytes)
            }
            // Row y gets nothing from later window rows.
            let y = b + lowest
            if lrRows.contains(y) {
                if let chunks {
                    combine(T.Lane.self, chunks: chunks, records: { recordRow($0, y) }, count: columns, totals: totals)
                    emitRow(S.self, Int32.self, records: totals, count: columns, anchors: input.row(y), params: emit, y: y,
                            target: target.base, bytesPerRow: target.bytesPerRow, firstRow: target.firstRow,
                            width: target.width, rows: target.rows)
                } else {
                    emitRow(S.self, T.Lane.self, records: recordRow(0, y), count: columns, anchors: input.row(y), params: emit, y: y,
                            target: target.base, bytesPerRow: target.bytesPerRow, firstRow: target.firstRow,
                            width: target.width, rows: target.rows)
                }
            }
            for a in 0..<sums {
                (recordRow(a, y) - margin * recordBytes).initializeMemory(as: UInt8.self, repeating: 0, count: rowBytes)
            }
        }
    }
}

/// Chunks of lookups into 32-bit totals: totals = sum of each chunk's records x its multiplier (16 lanes per pixel).
@inline(__always)
func combine<Lane: FixedWidthInteger & SignedInteger>(_: Lane.Type, chunks: [PlanStage.Chunk], records: (Int) -> UnsafeMutableRawPointer,
                                                       count: Int, totals: UnsafeMutableRawPointer) {
    let total = totals.assumingMemoryBound(to: Int32.self)
    for (c, chunk) in chunks.enumerated() {
        let sums = UnsafePointer(records(c).assumingMemoryBound(to: Lane.self))
        let m = chunk.multiplier
        if c == 0 {
            for i in 0..<16 * count { total[i] = Int32(truncatingIfNeeded: sums[i]) &* m }
        } else {
            for i in 0..<16 * count { total[i] &+= Int32(truncatingIfNeeded: sums[i]) &* m }
        }
    }
}

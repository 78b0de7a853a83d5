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

/// What the hot loop needs per window, for up to `Walk.windows` consecutive windows, as arrays at fixed
/// offsets from one pointer: 5 weights (Int16) and the byte offsets (Int32) of the walk's first 4 vertices in
/// a table (vertex 1111 is the first plus the sum of the steps); then, on the way, the walk's first three
/// steps as pixel indices (Int16).
enum Walk {
    static let windows = 64
    static let bytes = 5 * 2 * windows + 4 * 4 * windows + 3 * 2 * windows
    @inline(__always) static func weight(_ k: Int) -> Int { 2 &* windows &* k }
    @inline(__always) static func vertex(_ k: Int) -> Int { 10 &* windows &+ 4 &* windows &* k }
    static let steps = 26 * windows
}

/// Fills a `Walk` for the windows at `columns` (at most `Walk.windows`) of one window row, whose pixels are at
/// element offsets `window` from a window's origin in `keys` and `cells` (rows of the key and cell planes).
/// Sorting, 16 windows per step: each pixel's key (biased fraction << 2, see `PlanStage.cellTable`) tagged with
/// the pixel's index, largest first. The simplex walk sets the sorted pixels' bits in turn; its 5 weights are
/// the differences of the sorted fractions (ties leave zero weights, so their order is moot). Then, per
/// window, the base row from the 4 cells and the steps of the walk (`strides`: a cell step of each pixel).
@inline(__always)
func prepareWalk(keys: UnsafePointer<Int16>, cells: UnsafePointer<UInt8>, window: (Int, Int, Int, Int), columns: Range<Int>,
                 strides: UnsafePointer<Int>, one: Int16, walk: UnsafeMutableRawPointer) {
    let bias = SIMD16<Int16>(repeating: Int16.min)
    let steps = walk + Walk.steps
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
        let out = walk + 2 &* i
        out.storeBytes(of: SIMD16(repeating: one) &- f1, toByteOffset: Walk.weight(0), as: SIMD16<Int16>.self)
        out.storeBytes(of: f1 &- f2, toByteOffset: Walk.weight(1), as: SIMD16<Int16>.self)
        out.storeBytes(of: f2 &- f3, toByteOffset: Walk.weight(2), as: SIMD16<Int16>.self)
        out.storeBytes(of: f3 &- f4, toByteOffset: Walk.weight(3), as: SIMD16<Int16>.self)
        out.storeBytes(of: f4, toByteOffset: Walk.weight(4), as: SIMD16<Int16>.self)
        (steps + 2 &* i).storeBytes(of: k0 & SIMD16(repeating: 3), toByteOffset: 0, as: SIMD16<Int16>.self)
        (steps + 2 &* i).storeBytes(of: k1 & SIMD16(repeating: 3), toByteOffset: 2 &* Walk.windows, as: SIMD16<Int16>.self)
        (steps + 2 &* i).storeBytes(of: k2 & SIMD16(repeating: 3), toByteOffset: 4 &* Walk.windows, as: SIMD16<Int16>.self)
        i &+= 16
    }
    // Vertices, scalar (a table lookup per step).
    let s0 = strides[0], s1 = strides[1], s2 = strides[2], s3 = strides[3]
    let stepIndex = UnsafePointer(steps.assumingMemoryBound(to: Int16.self))
    let vertex = (walk + Walk.vertex(0)).assumingMemoryBound(to: Int32.self)
    for n in 0..<columns.count {
        let p = cells + (columns.lowerBound &+ n)
        let b0 = Int(p[window.0]) &* s0, b1 = Int(p[window.1]) &* s1, b2 = Int(p[window.2]) &* s2, b3 = Int(p[window.3]) &* s3
        let base = b0 &+ b1 &+ b2 &+ b3
        let a = Int(stepIndex[n]), b = Int(stepIndex[Walk.windows &+ n]), c = Int(stepIndex[2 &* Walk.windows &+ n])
        let v1 = base &+ strides[a], v2 = v1 &+ strides[b]
        vertex[n] = Int32(truncatingIfNeeded: base)
        vertex[Walk.windows &+ n] = Int32(truncatingIfNeeded: v1)
        vertex[2 &* Walk.windows &+ n] = Int32(truncatingIfNeeded: v2)
        vertex[3 &* Walk.windows &+ n] = Int32(truncatingIfNeeded: v2 &+ strides[c])
    }
}

/// The hot loop: one window group along up to `Walk.windows` windows of a row (`first` the first window's
/// column, `walk` what `prepareWalk` wrote). Every lookup of the group adds its table's 5 weighted rows, at
/// the same offsets, to its anchor's record.
@inline(__always)
func accumulateWindows<T: LaneTier>(_: T.Type, walk: UnsafeRawPointer, first: Int, count: Int, far: Int,
                                    lookups: UnsafeBufferPointer<BlockLookup>, recordBytes: Int) {
    for n in 0..<count {
        let w = walk + 2 &* n, v = walk + 4 &* n
        let base = Int(v.load(fromByteOffset: Walk.vertex(0), as: Int32.self))
        let v1 = Int(v.load(fromByteOffset: Walk.vertex(1), as: Int32.self))
        let v2 = Int(v.load(fromByteOffset: Walk.vertex(2), as: Int32.self))
        let v3 = Int(v.load(fromByteOffset: Walk.vertex(3), as: Int32.self))
        let v4 = base &+ far
        let w0 = T.weight(w.load(fromByteOffset: Walk.weight(0), as: Int16.self))
        let w1 = T.weight(w.load(fromByteOffset: Walk.weight(1), as: Int16.self))
        let w2 = T.weight(w.load(fromByteOffset: Walk.weight(2), as: Int16.self))
        let w3 = T.weight(w.load(fromByteOffset: Walk.weight(3), as: Int16.self))
        let w4 = T.weight(w.load(fromByteOffset: Walk.weight(4), as: Int16.self))
        let offset = (first &+ n) &* recordBytes
        for l in lookups {
            let record = l.target + offset
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

/// Converts one LR row of sums (`Record`s, times `multiplier` if any, in `Lane`s), clearing them for the next row, and
/// writes its r x r blocks to the output rows in `rows` (output row `r * y + a` lives at
/// `target + (r * y + a - firstRow) * bytesPerRow`), cropped to `width` columns; `samples` holds 16 samples
/// per pixel on the way.
@inline(__always)
func emitRow<S: FixedWidthInteger & UnsignedInteger & SIMDScalar, Record: FixedWidthInteger & SignedInteger,
             Lane: FixedWidthInteger & SignedInteger & SIMDScalar>(
    _: S.Type, _: Record.Type, _: Lane.Type, records: UnsafeMutableRawPointer, multiplier: Record?, samples: UnsafeMutableRawPointer,
    count: Int, anchors: UnsafeRawPointer, params: EmitParams,
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
    let sums = records.assumingMemoryBound(to: Record.self)
    let out = samples.assumingMemoryBound(to: S.self)
    let anchor = anchors.assumingMemoryBound(to: S.self)
    @inline(__always) func sample(_ t: Lane) -> S {
        let q = (t &+ addend &+ ((t &>> shift) & oddMask)) &>> shift
        return S(truncatingIfNeeded: max(0, min(q, maxValue)))
    }
    // Pass 1: sums -> samples, 16 per pixel. (A 16-bit multiplier of 16-bit records is a 16 x 16 -> 32-bit
    // multiply, cheap even on SSE2.)
    for x in 0..<count {
        // Out-of-range input samples are read as the maximum, as for the lookups.
        let offset = params.residual ? bias &+ Lane(truncatingIfNeeded: min(anchor[x], maxSample)) &<< shift : bias
        let sum = sums + 16 &* x, samples = out + 16 &* x
        if let multiplier {
            for lane in 0..<16 {
                samples[lane] = sample(Lane(truncatingIfNeeded: sum[lane]) &* Lane(truncatingIfNeeded: multiplier) &+ offset)
                sum[lane] = 0
            }
        } else {
            for lane in 0..<16 {
                samples[lane] = sample(Lane(truncatingIfNeeded: sum[lane]) &+ offset)
                sum[lane] = 0
            }
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
        let walk = UnsafeMutableRawPointer.allocate(byteCount: Walk.bytes, alignment: 64)
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
                let far = (0..<4).reduce(0) { $0 + strides[4 * g + $1] }
                for start in stride(from: first, to: last, by: Walk.windows) {
                    let chunk = start..<min(last, start + Walk.windows)
                    prepareWalk(keys: keys + origin, cells: cells + origin, window: (o[0], o[1], o[2], o[3]), columns: chunk,
                                strides: strides + 4 * g, one: Int16(one), walk: walk)
                    accumulateWindows(T.self, walk: walk, first: start, count: chunk.count, far: far,
                                      lookups: UnsafeBufferPointer(start: resolved, count: count), recordBytes: recordBytes)
                }
            }
            // Row y gets nothing from later window rows.
            let y = b + lowest
            guard lrRows.contains(y) else { continue }
            if let chunks, chunks.count > 1 {
                combine(T.Lane.self, chunks: chunks, records: { recordRow($0, y) }, count: columns, totals: totals)
                emitRow(S.self, Int32.self, Int32.self, records: totals, multiplier: nil, samples: samples, count: columns,
                        anchors: input.row(y), params: emit, y: y, target: target.base, bytesPerRow: target.bytesPerRow,
                        firstRow: target.firstRow, width: target.width, rows: target.rows)
            } else if let chunks {
                // One chunk: its multiplier applied on the way.
                emitRow(S.self, T.Lane.self, Int32.self, records: recordRow(0, y),
                        multiplier: T.Lane(truncatingIfNeeded: chunks[0].multiplier), samples: samples,
                        count: columns, anchors: input.row(y), params: emit, y: y, target: target.base,
                        bytesPerRow: target.bytesPerRow, firstRow: target.firstRow, width: target.width, rows: target.rows)
            } else {
                emitRow(S.self, T.Lane.self, T.Lane.self, records: recordRow(0, y), multiplier: nil, samples: samples, count: columns,
                        anchors: input.row(y), params: emit, y: y, target: target.base, bytesPerRow: target.bytesPerRow,
                        firstRow: target.firstRow, width: target.width, rows: target.rows)
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

/// One table lookup of a pixel: a (LUT, rotation) pair, with everything the hot loop needs as plain values.
struct Lookup {
    /// Rows of this rotation's prepared table.
    var table: UnsafeRawPointer
    /// Padded (fraction << 32 | cell) plane for this LUT's levels, at padded row 0, column 0.
    var cells: UnsafePointer<UInt64>
    /// Element offsets of the pattern's pixels a, b, c, d from the anchor in `cells`.
    var oa: Int, ob: Int, oc: Int, od: Int
    /// Table row step in bytes for a cell step of a, b, c, d (L^3, L^2, L, 1 rows).
    var sa: UInt64, sb: UInt64, sc: UInt64, sd: UInt64
    /// Offset of vertex 1111 from vertex 0000.
    var far: Int
}

/// Integer lane arithmetic of a tier. `add` is acc += w x row for the outputs of one table row;
/// `store` writes 16 sums as `Lane`s, output `o` in lane `o` (zeros past the row's width).
protocol LaneTier {
    associatedtype Acc
    associatedtype Weight
    associatedtype Lane: FixedWidthInteger & SignedInteger & SIMDScalar
    static func zero() -> Acc
    static func weight(_ w: UInt64) -> Weight
    static func add(_ acc: inout Acc, _ row: UnsafeRawPointer, _ w: Weight)
    static func store(_ acc: Acc, to out: UnsafeMutableRawPointer)
    /// total += acc x multiplier, exact in 32 bits (the plan bounds both).
    static func combine(_ acc: Acc, _ multiplier: Int32, into total: inout Totals)
}

/// 16 sums in 32-bit lanes: what chunks with multipliers add up to.
struct Totals {
    var low = SIMD8<Int32>()
    var high = SIMD8<Int32>()

    @inline(__always) func store(to out: UnsafeMutableRawPointer) {
        out.storeBytes(of: low, toByteOffset: 0, as: SIMD8<Int32>.self)
        out.storeBytes(of: high, toByteOffset: 32, as: SIMD8<Int32>.self)
    }
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
        var low = SIMD8<Int16>()
        var high = SIMD8<Int16>()
    }

    @inline(__always) static func zero() -> Acc { Acc() }

    @inline(__always) static func weight(_ w: UInt64) -> SIMD8<Int16> {
        SIMD8(repeating: Int16(truncatingIfNeeded: w))
    }

    @inline(__always) static func add(_ acc: inout Acc, _ row: UnsafeRawPointer, _ w: SIMD8<Int16>) {
        acc.low &+= row.loadUnaligned(as: SIMD8<Int16>.self) &* w
        if Width.sixteen { acc.high &+= row.loadUnaligned(fromByteOffset: 16, as: SIMD8<Int16>.self) &* w }
    }

    @inline(__always) static func store(_ acc: Acc, to out: UnsafeMutableRawPointer) {
        out.storeBytes(of: acc.low, toByteOffset: 0, as: SIMD8<Int16>.self)
        out.storeBytes(of: acc.high, toByteOffset: 16, as: SIMD8<Int16>.self)
    }

    /// Multipliers fit 16 bits, so the widening multiply is pmullw/pmulhw and an interleave.
    @inline(__always) static func combine(_ acc: Acc, _ multiplier: Int32, into total: inout Totals) {
        let m = SIMD8<Int32>(repeating: Int32(Int16(truncatingIfNeeded: multiplier)))
        total.low &+= SIMD8<Int32>(truncatingIfNeeded: acc.low) &* m
        if Width.sixteen { total.high &+= SIMD8<Int32>(truncatingIfNeeded: acc.high) &* m }
    }
}

/// 32-bit lanes for deep planes and large tables. Products of int16 values and weights (at most 2^14) are
/// exact in 32 bits; LLVM lowers the widening multiply to pmullw/pmulhw and an interleave on baseline SSE2.
enum WideLanes<Width: RowWidth>: LaneTier {
    typealias Lane = Int32

    struct Acc {
        var low = SIMD8<Int32>()
        var high = SIMD8<Int32>()
    }

    @inline(__always) static func zero() -> Acc { Acc() }

    @inline(__always) static func weight(_ w: UInt64) -> SIMD8<Int32> {
        SIMD8(repeating: Int32(Int16(truncatingIfNeeded: w)))
    }

    @inline(__always) static func add(_ acc: inout Acc, _ row: UnsafeRawPointer, _ w: SIMD8<Int32>) {
        acc.low &+= SIMD8<Int32>(truncatingIfNeeded: row.loadUnaligned(as: SIMD8<Int16>.self)) &* w
        if Width.sixteen {
            acc.high &+= SIMD8<Int32>(truncatingIfNeeded: row.loadUnaligned(fromByteOffset: 16, as: SIMD8<Int16>.self)) &* w
        }
    }

    @inline(__always) static func store(_ acc: Acc, to out: UnsafeMutableRawPointer) {
        out.storeBytes(of: acc.low, toByteOffset: 0, as: SIMD8<Int32>.self)
        out.storeBytes(of: acc.high, toByteOffset: 32, as: SIMD8<Int32>.self)
    }

    @inline(__always) static func combine(_ acc: Acc, _ multiplier: Int32, into total: inout Totals) {
        let m = SIMD8<Int32>(repeating: multiplier)
        total.low &+= acc.low &* m
        if Width.sixteen { total.high &+= acc.high &* m }
    }
}

@inline(__always)
private func order(_ a: inout UInt64, _ b: inout UInt64) {
    let high = max(a, b)
    b = min(a, b)
    a = high
}

/// One lookup's 4-simplex interpolation added to `acc`: the four (fraction, cell) words give the base row;
/// each fraction is packed above its axis's row step, so sorting the four keys (largest fraction first) yields
/// the simplex walk's steps directly, and the weights are the differences of the sorted fractions. Ties leave
/// zero weights, so their order is moot.
@inline(__always)
func lookup<T: LaneTier>(_: T.Type, _ l: Lookup, at anchor: Int, one: UInt64, into acc: inout T.Acc) {
    let low: UInt64 = 0xFFFF_FFFF
    let p = l.cells + anchor
    let ta = p[l.oa], tb = p[l.ob], tc = p[l.oc], td = p[l.od]
    let base = (ta & low) &* l.sa &+ (tb & low) &* l.sb &+ (tc & low) &* l.sc &+ (td & low) &* l.sd
    let row = l.table + Int(truncatingIfNeeded: base)
    var k0 = (ta & ~low) | l.sa, k1 = (tb & ~low) | l.sb, k2 = (tc & ~low) | l.sc, k3 = (td & ~low) | l.sd
    order(&k0, &k1)
    order(&k2, &k3)
    order(&k0, &k2)
    order(&k1, &k3)
    order(&k1, &k2)
    let f1 = k0 >> 32, f2 = k1 >> 32, f3 = k2 >> 32, f4 = k3 >> 32
    let v1 = row + Int(truncatingIfNeeded: k0 & low)
    let v2 = v1 + Int(truncatingIfNeeded: k1 & low)
    let v3 = v2 + Int(truncatingIfNeeded: k2 & low)
    T.add(&acc, row, T.weight(one &- f1))
    T.add(&acc, v1, T.weight(f1 &- f2))
    T.add(&acc, v2, T.weight(f2 &- f3))
    T.add(&acc, v3, T.weight(f3 &- f4))
    T.add(&acc, row + l.far, T.weight(f4))
}

/// The hot loop, one accumulator: every lookup of `count` anchors (from element `anchor` of the cell planes)
/// summed into 16 `T.Lane` per pixel at `records`.
@inline(__always)
func accumulateRow<T: LaneTier>(_: T.Type, lookups: UnsafeBufferPointer<Lookup>, anchor: Int, count: Int,
                                one: UInt64, records: UnsafeMutableRawPointer) {
    for x in 0..<count {
        var acc = T.zero()
        for l in lookups { lookup(T.self, l, at: anchor &+ x, one: one, into: &acc) }
        T.store(acc, to: records + 16 &* MemoryLayout<T.Lane>.size &* x)
    }
}

/// The hot loop with chunks: each chunk's lookups summed in `T`'s lanes, scaled by its multiplier into 16
/// Int32 per pixel at `records`.
@inline(__always)
func accumulateChunkedRow<T: LaneTier>(_: T.Type, chunks: UnsafeBufferPointer<PlanStage.Chunk>, lookups: UnsafeBufferPointer<Lookup>,
                                       anchor: Int, count: Int, one: UInt64, records: UnsafeMutableRawPointer) {
    for x in 0..<count {
        var total = Totals()
        for chunk in chunks {
            var acc = T.zero()
            for i in chunk.lookups { lookup(T.self, lookups[i], at: anchor &+ x, one: one, into: &acc) }
            T.combine(acc, chunk.multiplier, into: &total)
        }
        total.store(to: records + 64 &* x)
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
        let pad = reach
        let paddedWidth = size.width + 2 * pad
        let paddedRows = lrRows.count + 2 * pad
        let planeCount = paddedWidth * paddedRows
        let cells = UnsafeMutablePointer<UInt64>.allocate(capacity: cellTables.count * planeCount)
        let records = UnsafeMutableRawPointer.allocate(byteCount: 64 * columns, alignment: 64)  // 16 lanes of up to 4 bytes
        defer {
            cells.deallocate()
            records.deallocate()
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
        let resolved = lookups.map { spec in
            let o = spec.offsets.map { $0.dy * paddedWidth + $0.dx }
            return Lookup(table: tables.table(lut: spec.lut, rotation: spec.rotation),
                          cells: UnsafePointer(cells + spec.group * planeCount),
                          oa: o[0], ob: o[1], oc: o[2], od: o[3],
                          sa: spec.strides[0], sb: spec.strides[1], sc: spec.strides[2], sd: spec.strides[3],
                          far: Int(spec.strides.reduce(0, +)))
        }
        resolved.withUnsafeBufferPointer { lookups in
            switch (tier, tables.rowBytes == 32) {
            case (.narrow, false): rows(NarrowLanes<EightValues>.self, S.self, lookups: lookups, records: records, input: input,
                                        lrRows: lrRows, paddedWidth: paddedWidth, target: target, columns: columns)
            case (.narrow, true): rows(NarrowLanes<SixteenValues>.self, S.self, lookups: lookups, records: records, input: input,
                                       lrRows: lrRows, paddedWidth: paddedWidth, target: target, columns: columns)
            case (.wide, false): rows(WideLanes<EightValues>.self, S.self, lookups: lookups, records: records, input: input,
                                      lrRows: lrRows, paddedWidth: paddedWidth, target: target, columns: columns)
            case (.wide, true): rows(WideLanes<SixteenValues>.self, S.self, lookups: lookups, records: records, input: input,
                                     lrRows: lrRows, paddedWidth: paddedWidth, target: target, columns: columns)
            }
        }
    }

    @inline(__always)
    private func rows<T: LaneTier, S: FixedWidthInteger & UnsignedInteger & SIMDScalar>(
        _: T.Type, _: S.Type, lookups: UnsafeBufferPointer<Lookup>, records: UnsafeMutableRawPointer, input: StageInput,
        lrRows: Range<Int>, paddedWidth: Int, target: StageTarget, columns: Int
    ) {
        for y in lrRows {
            let anchor = (y - lrRows.lowerBound + reach) * paddedWidth + reach
            if let chunks {
                chunks.withUnsafeBufferPointer { chunks in
                    accumulateChunkedRow(T.self, chunks: chunks, lookups: lookups, anchor: anchor, count: columns, one: one, records: records)
                }
                emitRow(S.self, Int32.self, records: records, count: columns, anchors: input.row(y), params: emit, y: y,
                        target: target.base, bytesPerRow: target.bytesPerRow, firstRow: target.firstRow,
                        width: target.width, rows: target.rows)
            } else {
                accumulateRow(T.self, lookups: lookups, anchor: anchor, count: columns, one: one, records: records)
                emitRow(S.self, T.Lane.self, records: records, count: columns, anchors: input.row(y), params: emit, y: y,
                        target: target.base, bytesPerRow: target.bytesPerRow, firstRow: target.firstRow,
                        width: target.width, rows: target.rows)
            }
        }
    }
}

/// One table lookup of a pixel: a (LUT, rotation) pair, with everything the hot loop needs as plain values.
struct Lookup {
    /// Rows of this rotation's prepared table.
    var table: UnsafeRawPointer
    /// Padded (fraction << 16 | cell) plane for this LUT's levels, at padded row 0, column 0.
    var cells: UnsafePointer<UInt32>
    /// Element offsets of the pattern's pixels a, b, c, d from the anchor in `cells`.
    var oa: Int, ob: Int, oc: Int, od: Int
    /// Table row step in bytes for a cell step of a, b, c, d (L^3, L^2, L, 1 rows).
    var sa: UInt64, sb: UInt64, sc: UInt64, sd: UInt64
    /// Offset of vertex 1111 from vertex 0000.
    var far: Int
}

/// Integer lane arithmetic of a tier. `add` is acc += w x row for the 16 outputs of one table row;
/// `store` writes the 16 sums as Int32 in the tier's lane order (`Tier.lane(ofOutput:)`).
protocol LaneTier {
    associatedtype Acc
    associatedtype Weight
    static func zero() -> Acc
    static func weight(_ w: UInt64) -> Weight
    static func add(_ acc: inout Acc, _ row: UnsafeRawPointer, _ w: Weight)
    static func store(_ acc: Acc, to out: UnsafeMutableRawPointer)
}

/// int8 rows, 16-bit lanes. Sums wrap modulo 2^16, so the result is exact whenever the final total fits in
/// Int16, which the plan proves before choosing this tier. One 16-byte load per vertex; the sign extension of
/// the even and odd bytes is two shifts each (baseline SSE2 has no byte-to-word widening).
enum NarrowLanes: LaneTier {
    struct Acc {
        var even = SIMD8<Int16>()
        var odd = SIMD8<Int16>()
    }

    @inline(__always) static func zero() -> Acc { Acc() }

    @inline(__always) static func weight(_ w: UInt64) -> SIMD8<Int16> {
        SIMD8(repeating: Int16(truncatingIfNeeded: w))
    }

    @inline(__always) static func add(_ acc: inout Acc, _ row: UnsafeRawPointer, _ w: SIMD8<Int16>) {
        let v = row.loadUnaligned(as: SIMD8<Int16>.self)
        acc.even &+= ((v &<< 8) &>> 8) &* w
        acc.odd &+= (v &>> 8) &* w
    }

    @inline(__always) static func store(_ acc: Acc, to out: UnsafeMutableRawPointer) {
        let even = unsafeBitCast(acc.even, to: SIMD4<Int32>.self)
        let odd = unsafeBitCast(acc.odd, to: SIMD4<Int32>.self)
        out.storeBytes(of: (even &<< 16) &>> 16, toByteOffset: 0, as: SIMD4<Int32>.self)
        out.storeBytes(of: even &>> 16, toByteOffset: 16, as: SIMD4<Int32>.self)
        out.storeBytes(of: (odd &<< 16) &>> 16, toByteOffset: 32, as: SIMD4<Int32>.self)
        out.storeBytes(of: odd &>> 16, toByteOffset: 48, as: SIMD4<Int32>.self)
    }
}

/// int16 rows, 32-bit lanes: for deep planes and tables whose totals do not fit 16 bits.
enum WideLanes: LaneTier {
    struct Acc {
        var a0 = SIMD4<Int32>(), a1 = SIMD4<Int32>(), a2 = SIMD4<Int32>(), a3 = SIMD4<Int32>()
    }

    @inline(__always) static func zero() -> Acc { Acc() }

    @inline(__always) static func weight(_ w: UInt64) -> SIMD4<Int32> {
        SIMD4(repeating: Int32(truncatingIfNeeded: w))
    }

    @inline(__always) static func add(_ acc: inout Acc, _ row: UnsafeRawPointer, _ w: SIMD4<Int32>) {
        let x0 = row.loadUnaligned(as: SIMD4<Int32>.self)
        let x1 = row.loadUnaligned(fromByteOffset: 16, as: SIMD4<Int32>.self)
        acc.a0 &+= ((x0 &<< 16) &>> 16) &* w
        acc.a1 &+= (x0 &>> 16) &* w
        acc.a2 &+= ((x1 &<< 16) &>> 16) &* w
        acc.a3 &+= (x1 &>> 16) &* w
    }

    @inline(__always) static func store(_ acc: Acc, to out: UnsafeMutableRawPointer) {
        out.storeBytes(of: acc.a0, toByteOffset: 0, as: SIMD4<Int32>.self)
        out.storeBytes(of: acc.a1, toByteOffset: 16, as: SIMD4<Int32>.self)
        out.storeBytes(of: acc.a2, toByteOffset: 32, as: SIMD4<Int32>.self)
        out.storeBytes(of: acc.a3, toByteOffset: 48, as: SIMD4<Int32>.self)
    }
}

@inline(__always)
private func order(_ a: inout UInt64, _ b: inout UInt64) {
    let high = max(a, b)
    b = min(a, b)
    a = high
}

/// The hot loop: for `count` anchors starting at element `anchor` of the cell planes, sums every lookup's
/// 4-simplex interpolation into 16 Int32 per pixel at `records` (64 bytes per pixel).
///
/// Per lookup: the four (fraction, cell) words give the base row; each fraction is packed above its axis's
/// row step, so sorting the four keys (largest fraction first) yields the simplex walk's steps directly, and
/// the weights are the differences of the sorted fractions. Ties leave zero weights, so their order is moot.
@inline(__always)
func accumulateRow<T: LaneTier>(_: T.Type, lookups: UnsafeBufferPointer<Lookup>, anchor: Int, count: Int,
                                one: UInt64, records: UnsafeMutableRawPointer) {
    let low: UInt64 = 0xFFFF_FFFF
    for x in 0..<count {
        var acc = T.zero()
        for l in lookups {
            let p = l.cells + (anchor + x)
            let ta = UInt64(p[l.oa]), tb = UInt64(p[l.ob]), tc = UInt64(p[l.oc]), td = UInt64(p[l.od])
            let base = (ta & 0xFFFF) &* l.sa &+ (tb & 0xFFFF) &* l.sb &+ (tc & 0xFFFF) &* l.sc &+ (td & 0xFFFF) &* l.sd
            let row = l.table + Int(truncatingIfNeeded: base)
            var k0 = (ta >> 16) << 32 | l.sa, k1 = (tb >> 16) << 32 | l.sb
            var k2 = (tc >> 16) << 32 | l.sc, k3 = (td >> 16) << 32 | l.sd
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
        T.store(acc, to: records + 64 * x)
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
    /// Lane of each output (a, b) of the block, raster order.
    var lanes: [Int]
}

/// Converts one LR row of records in place, then writes its r x r blocks to the output rows in `rows`
/// (output row `r * y + a` lives at `target + (r * y + a - firstRow) * bytesPerRow`), cropped to `width`.
@inline(__always)
func emitRow<S: FixedWidthInteger & UnsignedInteger>(
    _: S.Type, records: UnsafeMutableRawPointer, count: Int, anchors: UnsafeRawPointer, params: EmitParams,
    lanes: UnsafePointer<Int>, y: Int, target: UnsafeMutableRawPointer, bytesPerRow: Int, firstRow: Int,
    width: Int, rows: Range<Int>
) {
    let shift = SIMD16<Int32>(repeating: params.shift)
    let addend = SIMD16<Int32>(repeating: params.shift > 0 ? (1 << (params.shift - 1)) - 1 : 0)
    let oddMask = SIMD16<Int32>(repeating: params.shift > 0 ? 1 : 0)
    let bias = SIMD16<Int32>(repeating: params.bias)
    let maxValue = SIMD16<Int32>(repeating: params.maxValue)
    for x in 0..<count {
        let p = records + 64 * x
        var t = p.loadUnaligned(as: SIMD16<Int32>.self) &+ bias
        if params.residual {
            t &+= SIMD16(repeating: Int32(anchors.load(fromByteOffset: x * MemoryLayout<S>.size, as: S.self)) &<< params.shift)
        }
        let q = (t &+ addend &+ ((t &>> shift) & oddMask)) &>> shift
        p.storeBytes(of: pointwiseMax(pointwiseMin(q, maxValue), .zero), as: SIMD16<Int32>.self)
    }
    let r = params.upscale
    let values = records.assumingMemoryBound(to: Int32.self)
    for a in 0..<r where rows.contains(r * y + a) {
        let dst = (target + (r * y + a - firstRow) * bytesPerRow).assumingMemoryBound(to: S.self)
        for b in 0..<r {
            let lane = lanes[a * r + b]
            let n = min(count, (width - b + r - 1) / r)
            for x in 0..<n { dst[r * x + b] = S(truncatingIfNeeded: values[16 * x + lane]) }
        }
    }
}

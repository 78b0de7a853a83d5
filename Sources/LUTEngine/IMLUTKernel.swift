// The imlut plan's per-pixel steps: the 4-simplex walk over Float fractions, scalar (mix) and in 8 lanes (refine).

/// Orders two keys, larger first, without branches.
@inline(__always)
func order(_ a: inout UInt64, _ b: inout UInt64) {
    let high = max(a, b)
    b = min(a, b)
    a = high
}

/// The 4-simplex walk over fractions `f` (in [0, 1]) with row steps `s`: the four vertex offsets after the base
/// row and the five weights. Each key holds a fraction's bits (ordered as the fraction, which is not negative)
/// above its step, so sorting the keys sorts the axes by fraction, largest first; ties get zero weights.
@inline(__always)
func simplex(_ f: (Float, Float, Float, Float), _ s: (Int, Int, Int, Int))
    -> (offsets: (Int, Int, Int, Int), weights: (Float, Float, Float, Float, Float)) {
    var a = UInt64(f.0.bitPattern) << 32 | UInt64(truncatingIfNeeded: s.0)
    var b = UInt64(f.1.bitPattern) << 32 | UInt64(truncatingIfNeeded: s.1)
    var c = UInt64(f.2.bitPattern) << 32 | UInt64(truncatingIfNeeded: s.2)
    var d = UInt64(f.3.bitPattern) << 32 | UInt64(truncatingIfNeeded: s.3)
    order(&a, &b)
    order(&c, &d)
    order(&a, &c)
    order(&b, &d)
    order(&b, &c)
    let low: UInt64 = 0xFFFF_FFFF
    let o1 = Int(truncatingIfNeeded: a & low), o2 = o1 &+ Int(truncatingIfNeeded: b & low)
    let o3 = o2 &+ Int(truncatingIfNeeded: c & low), o4 = o3 &+ Int(truncatingIfNeeded: d & low)
    let f1 = Float(bitPattern: UInt32(truncatingIfNeeded: a >> 32)), f2 = Float(bitPattern: UInt32(truncatingIfNeeded: b >> 32))
    let f3 = Float(bitPattern: UInt32(truncatingIfNeeded: c >> 32)), f4 = Float(bitPattern: UInt32(truncatingIfNeeded: d >> 32))
    return ((o1, o2, o3, o4), (1 - f1, f1 - f2, f2 - f3, f3 - f4, f4))
}

/// One refine lookup for 8 neighbouring pixels, added to `total[0..<8]`: the scalar `simplex` walk in lanes
/// (`cells`: each axis's cell already times its row step `s`).
/// Keys hold a fraction's bits (ordered as the fraction, which is in [0, 1]) above its axis, with the sign bit
/// flipped so signed min/max order them as unsigned; the table rows are gathered lane by lane. Written with
/// min/max and bit masks, which lower to SSE2 vector code (per-lane `replacing` and lane stores do not).
@inline(__always)
func refineStep(cells c: (UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Int32>),
                        fractions f: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
                        steps s: (SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>),
                        table: UnsafePointer<Float>, into total: UnsafeMutablePointer<Float>) {
    typealias Ints = SIMD8<Int32>
    typealias Vec = SIMD8<Float>
    @inline(__always) func ints(_ p: UnsafeRawPointer) -> Ints { p.loadUnaligned(as: Ints.self) }
    @inline(__always) func key(_ p: UnsafePointer<Float>, _ axis: Int32) -> Ints {
        (ints(p) &<< 2 | Ints(repeating: axis)) ^ Ints(repeating: Int32.min)
    }
    @inline(__always) func order(_ a: inout Ints, _ b: inout Ints) {
        let high = pointwiseMax(a, b)
        b = pointwiseMin(a, b)
        a = high
    }
    @inline(__always) func fraction(_ k: Ints) -> Vec {
        unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: k ^ Ints(repeating: Int32.min)) &>> 2, to: Vec.self)
    }
    /// The row step of each lane's axis (k & 3): all-ones masks from (axis ^ i) - 1 < 0.
    @inline(__always) func step(_ k: Ints) -> Ints {
        let axis = k & 3
        let m0 = (axis &- 1) &>> 31, m1 = ((axis ^ 1) &- 1) &>> 31, m2 = ((axis ^ 2) &- 1) &>> 31, m3 = ((axis ^ 3) &- 1) &>> 31
        return (m0 & s.0) | (m1 & s.1) | (m2 & s.2) | (m3 & s.3)
    }
    @inline(__always) func gather(_ i: Ints) -> Vec {
        Vec(table[Int(i[0])], table[Int(i[1])], table[Int(i[2])], table[Int(i[3])],
            table[Int(i[4])], table[Int(i[5])], table[Int(i[6])], table[Int(i[7])])
    }
    let base = ints(c.0) &+ ints(c.1) &+ ints(c.2) &+ ints(c.3)
    var k0 = key(f.0, 0), k1 = key(f.1, 1), k2 = key(f.2, 2), k3 = key(f.3, 3)
    order(&k0, &k1)
    order(&k2, &k3)
    order(&k0, &k2)
    order(&k1, &k3)
    order(&k1, &k2)
    let o1 = base &+ step(k0), o2 = o1 &+ step(k1), o3 = o2 &+ step(k2), o4 = o3 &+ step(k3)
    let g1 = fraction(k0), g2 = fraction(k1), g3 = fraction(k2), g4 = fraction(k3)
    let sum = (1 - g1) * gather(base) + (g1 - g2) * gather(o1) + (g2 - g3) * gather(o2) + (g3 - g4) * gather(o3) + g4 * gather(o4)
    let target = UnsafeMutableRawPointer(total)
    target.storeBytes(of: target.loadUnaligned(as: Vec.self) + sum, as: Vec.self)
}

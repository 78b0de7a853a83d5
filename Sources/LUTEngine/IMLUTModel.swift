#if canImport(Glibc)
import Glibc
#endif

/// A loaded, validated "imlut" model (docs/imlut.md): upscales by any real scale from 1 to `maxScale` in each
/// axis. Everything that can be wrong is found by `init` or `makePlan`; rendering cannot fail.
public struct IMLUTModel: PlaneUpscaler {
    public let spec: IMLUTSpec

    public var name: String { spec.name }
    public var maxScale: Double { spec.maxScale }

    /// Largest real table value accepted: keeps every Float sum of a render finite.
    public static let maxTableMagnitude = 1.0e6

    public init(_ spec: IMLUTSpec) throws(LUTFileError) {
        try spec.validate()
        let named = spec.mix.enumerated().map { ("mix.luts[\($0)]", $1) } + (spec.refine ?? []).enumerated().map { ("refine.luts[\($0)]", $1) }
        for (path, lut) in named {
            let largest = lut.table.largestMagnitude
            guard largest <= Self.maxTableMagnitude else {
                throw .unsupported("\(path): table values reach \(largest), beyond +-\(Self.maxTableMagnitude)")
            }
        }
        self.spec = spec
    }

    public static func load(path: String) throws(LUTFileError) -> IMLUTModel {
        guard path.lowercased().hasSuffix(".lut") else { throw .unknownExtension(path) }
        switch try LUTFile.readContents(path: path) {
        case let .imlut(spec): return try IMLUTModel(spec)
        case .srlut: throw .wrongKind(found: "srlut", expected: "imlut")
        }
    }

    /// Whether `output` / `input` lies in [1, maxScale] in both axes.
    public func serves(input: PlaneSize, output: PlaneSize) -> Bool {
        guard input.width > 0, input.height > 0 else { return false }
        let sx = Double(output.width) / Double(input.width), sy = Double(output.height) / Double(input.height)
        return sx >= 1 && sy >= 1 && sx <= spec.maxScale && sy <= spec.maxScale
    }

    public func makePlan(input: PlaneSize, output: PlaneSize, bitDepth: Int) throws(UpscaleError) -> any UpscalePlan {
        try IMLUTPlan(model: self, input: input, output: output, bitDepth: bitDepth)
    }

    /// Weights of the scale bins at s = sqrt(sx * sy): piecewise linear between neighbours, clamped at the ends.
    static func binWeights(_ bins: [Double], s: Double) -> [Double] {
        var g = [Double](repeating: 0, count: bins.count)
        if s <= bins[0] {
            g[0] = 1
        } else if s >= bins[bins.count - 1] {
            g[bins.count - 1] = 1
        } else {
            let b = bins.lastIndex { $0 <= s }!
            let t = (s - bins[b]) / (bins[b + 1] - bins[b])
            g[b] = 1 - t
            g[b + 1] = t
        }
        return g
    }

    /// The separable candidate kernels' weights on the 6 taps floor(u) - 2 ... floor(u) + 3 (normalised to sum 1;
    /// `constant` has none: its value is added as a bias).
    static func tapWeights(_ interpolator: IMLUTSpec.Interpolator, u: Double) -> [Double] {
        let base = u.rounded(.down) - 2
        var w = [Double](repeating: 0, count: 6)
        switch interpolator {
        case .constant: return w
        case .nearest: w[Int((u + 0.5).rounded(.down) - base)] = 1
        case .bilinear:
            let f = u - u.rounded(.down)
            w[2] = 1 - f
            w[3] = f
        case .bicubic:
            for i in 1...4 { w[i] = keys(u - (base + Double(i))) }
        case .lanczos3:
            for i in 0..<6 {
                let t = u - (base + Double(i))
                w[i] = abs(t) < 3 ? sinc(t) * sinc(t / 3) : 0
            }
        }
        let sum = w.reduce(0, +)
        return w.map { $0 / sum }
    }

    static func keys(_ x: Double) -> Double {
        let t = abs(x), a = -0.5
        if t <= 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
        if t < 2 { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a }
        return 0
    }

    static func sinc(_ x: Double) -> Double {
        x == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x)
    }

    /// rho_r: where LUT-frame offset (dy, dx) lies in the image frame under rotation r.
    static func rotate(dy: Int, dx: Int, rotation: Int) -> (dy: Int, dx: Int) {
        switch rotation {
        case 0: (dy, dx)
        case 1: (-dx, dy)
        case 2: (-dy, -dx)
        default: (dx, -dy)
        }
    }
}

/// NumPy 'reflect' index of `i` into 0..<n.
@inline(__always)
func reflectIndex(_ i: Int, _ n: Int) -> Int {
    guard n > 1 else { return 0 }
    let period = 2 * (n - 1)
    var m = i % period
    if m < 0 { m += period }
    return m < n ? m : period - m
}

/// Memory a plan owns: filled while the plan is built, read-only afterwards, freed with the plan.
final class PlanMemory: @unchecked Sendable {
    // @unchecked Sendable: `blocks` only changes during the plan's init, before the plan can be shared.
    private var blocks: [UnsafeMutableRawPointer] = []

    func allocate<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let bytes = max(64, count * MemoryLayout<T>.stride)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        blocks.append(raw)
        return raw.bindMemory(to: T.self, capacity: max(1, count))
    }

    deinit { for block in blocks { block.deallocate() } }
}

/// A Float plane for one render, freed with it.
final class FloatPlane: @unchecked Sendable {
    // @unchecked Sendable: concurrent bands write disjoint samples, and it is read only after they all finished.
    let base: UnsafeMutablePointer<Float>

    init(count: Int) {
        base = .allocate(capacity: max(1, count))
        base.initialize(repeating: 0, count: max(1, count))
    }

    deinit { base.deallocate() }
}

/// Everything a plan precomputes, as raw pointers for the hot loops.
final class IMLUTPlanData: @unchecked Sendable {
    // @unchecked Sendable: every property is set in init and never changes; the pointed-to memory is owned by
    // `memory` and only written during init.
    typealias Vec = SIMD8<Float>

    /// A 4-pixel read of a lut under one rotation: image-frame offsets, the cell tables of its levels, its
    /// blended table and row steps per axis.
    struct Lookup {
        var dy: (Int, Int, Int, Int)
        var dx: (Int, Int, Int, Int)
        var group: Int
        var strides: (Int, Int, Int, Int)
        /// Mix: table rows of `mixRowVectors` 4-float vectors (N*N nodes of `nodeVectors` each); refine: one
        /// Float per row.
        var table: UnsafeRawPointer
        /// Mix: the image-frame vector each table vector of a row adds to under this lookup's rotation.
        var permutation: UnsafePointer<Int32>
    }

    let memory = PlanMemory()
    let input: PlaneSize
    let output: PlaneSize
    let nodes: Int
    /// 4-float vectors per node of a mix vector (K values, zero padded): 1 for K <= 4, else 2.
    let nodeVectors: Int
    /// 4-float vectors per mix vector V or mix table row: N*N nodes.
    let mixRowVectors: Int
    let maxValue: Float
    let bias: Vec

    let columnWeights: UnsafeMutablePointer<Vec>
    let columnTap: UnsafeMutablePointer<Int32>
    let columnNode: UnsafeMutablePointer<Int32>
    let columnFraction: UnsafeMutablePointer<Float>
    let rowWeights: UnsafeMutablePointer<Vec>
    let rowTap: UnsafeMutablePointer<Int32>
    let rowAnchor: UnsafeMutablePointer<Int32>
    let rowNode: UnsafeMutablePointer<Int32>
    let rowFraction: UnsafeMutablePointer<Float>

    let mix: [Lookup]
    /// Per distinct mix levels list: cell and fraction of each integer sample value.
    let mixCells: [UnsafeMutablePointer<Int32>]
    let mixFractions: [UnsafeMutablePointer<Float>]
    /// Column reflection of the LR plane for offsets -2...2: entry c + 2 is reflect(c).
    let columnReflect: UnsafeMutablePointer<Int32>

    let refine: [Lookup]
    let refineReach: Int
    /// Per distinct refine levels list: cell of floor(v), and each cell's low level and width (d-bit units).
    let refineCells: [UnsafeMutablePointer<Int32>]
    let refineLow: [UnsafeMutablePointer<Float>]
    let refineWidth: [UnsafeMutablePointer<Float>]
    let refineLevelCounts: [Int]

    init(spec: IMLUTSpec, input: PlaneSize, output: PlaneSize, bitDepth: Int) {
        let n = spec.phaseNodes, k = spec.interpolators.count, nn = n * n
        self.input = input
        self.output = output
        let unit = Double(1 << (bitDepth - 8))
        nodes = n
        nodeVectors = (k + 3) / 4
        mixRowVectors = nn * nodeVectors
        maxValue = Float((1 << bitDepth) - 1)
        var b = Vec()
        for (i, interpolator) in spec.interpolators.enumerated() where interpolator == .constant { b[i] = Float(unit) }
        bias = b

        // Geometry, per column and per row.
        func axis(length: Int, source: Int, weights: UnsafeMutablePointer<Vec>, tap: UnsafeMutablePointer<Int32>,
                  anchor: UnsafeMutablePointer<Int32>?, node: UnsafeMutablePointer<Int32>, fraction: UnsafeMutablePointer<Float>,
                  columnTaps: Bool) {
            let s = Double(length) / Double(source)
            for x in 0..<length {
                let u = (Double(x) + 0.5) / s - 0.5
                let a = min(source - 1, max(0, Int((u + 0.5).rounded(.down))))
                let d = u - Double(a)
                let g = (d + 0.5) * Double(n - 1)
                let cell = min(n - 2, max(0, Int(g.rounded(.down))))
                for (i, interpolator) in spec.interpolators.enumerated() {
                    let w = IMLUTModel.tapWeights(interpolator, u: u)
                    for t in 0..<6 { weights[6 * x + t][i] = Float(w[t]) }
                }
                let floorU = Int(u.rounded(.down))
                // Columns index a row padded by 3 on each side; rows keep the raw first tap and clamp on use.
                tap[x] = Int32(columnTaps ? floorU + 1 : floorU - 2)
                anchor?[x] = Int32(a)
                node[x] = Int32(columnTaps ? a * n + cell : cell)
                fraction[x] = Float(g - Double(cell))
            }
        }
        columnWeights = memory.allocate(Vec.self, count: 6 * output.width)
        columnTap = memory.allocate(Int32.self, count: output.width)
        columnNode = memory.allocate(Int32.self, count: output.width)
        columnFraction = memory.allocate(Float.self, count: output.width)
        axis(length: output.width, source: input.width, weights: columnWeights, tap: columnTap, anchor: nil,
             node: columnNode, fraction: columnFraction, columnTaps: true)
        rowWeights = memory.allocate(Vec.self, count: 6 * output.height)
        rowTap = memory.allocate(Int32.self, count: output.height)
        rowAnchor = memory.allocate(Int32.self, count: output.height)
        rowNode = memory.allocate(Int32.self, count: output.height)
        rowFraction = memory.allocate(Float.self, count: output.height)
        axis(length: output.height, source: input.height, weights: rowWeights, tap: rowTap, anchor: rowAnchor,
             node: rowNode, fraction: rowFraction, columnTaps: false)

        // Tables blended over the scale bins.
        let s = (Double(output.width) / Double(input.width) * Double(output.height) / Double(input.height)).squareRoot()
        let g = IMLUTModel.binWeights(spec.scaleBins, s: s)
        let bins = g.indices.filter { g[$0] != 0 }
        let binCount = spec.scaleBins.count

        // Under each rotation, the image-frame vector of each table vector (nodes map to nodes, see rho_r).
        let nv = nodeVectors
        var permutations: [UnsafeMutablePointer<Int32>] = []
        for r in 0..<4 {
            let p = memory.allocate(Int32.self, count: nn * nv)
            for q in 0..<nn {
                let c = IMLUTModel.rotate(dy: 2 * (q / n) - (n - 1), dx: 2 * (q % n) - (n - 1), rotation: r)
                let j = (c.dy + n - 1) / 2 * n + (c.dx + n - 1) / 2
                for v in 0..<nv { p[q * nv + v] = Int32(j * nv + v) }
            }
            permutations.append(p)
        }

        // Tables blended over the scale bins once, rows of N*N nodes of K values padded to whole vectors: a table
        // small enough to stay in cache (K = 4: no padding at all).
        var levelGroups: [[Int]] = []
        var mixLookups: [Lookup] = []
        let rowFloats = 4 * mixRowVectors
        for lut in spec.mix {
            if !levelGroups.contains(lut.levels) { levelGroups.append(lut.levels) }
            let entries = lut.table.entries, outputs = lut.table.outputs
            precondition(outputs == binCount * nn * k)
            let table = memory.allocate(Float.self, count: entries * rowFloats)
            for e in 0..<entries {
                for q in 0..<nn {
                    for i in 0..<k {
                        var sum = 0.0
                        for bin in bins { sum += g[bin] * lut.table.real(e * outputs + (bin * nn + q) * k + i) }
                        table[e * rowFloats + 4 * q * nv + i] = Float(sum)
                    }
                }
            }
            mixLookups += Self.lookups(lut, group: levelGroups.firstIndex(of: lut.levels)!, rowSize: mixRowVectors,
                                       table: UnsafeRawPointer(table), permutations: permutations)
        }
        mix = mixLookups
        var cells: [UnsafeMutablePointer<Int32>] = [], fractions: [UnsafeMutablePointer<Float>] = []
        for levels in levelGroups {
            let count = 1 << bitDepth
            let c = memory.allocate(Int32.self, count: count), f = memory.allocate(Float.self, count: count)
            let scaled = levels.map { $0 << (bitDepth - 8) }
            var cell = 0
            for v in 0..<count {
                while v >= scaled[cell + 1] { cell += 1 }
                c[v] = Int32(cell)
                f[v] = Float(Double(v - scaled[cell]) / Double(scaled[cell + 1] - scaled[cell]))
            }
            cells.append(c)
            fractions.append(f)
        }
        mixCells = cells
        mixFractions = fractions
        columnReflect = memory.allocate(Int32.self, count: input.width + 4)
        for c in -2..<(input.width + 2) { columnReflect[c + 2] = Int32(reflectIndex(c, input.width)) }

        var refineGroups: [[Int]] = []
        var refineLookups: [Lookup] = []
        let dilation = IMLUTSpec.dilationFactor(s: s)
        func factor(_ lut: LUTModelSpec.LUT) -> Int { lut.dilation == nil ? 1 : dilation }
        for lut in spec.refine ?? [] {
            if !refineGroups.contains(lut.levels) { refineGroups.append(lut.levels) }
            let entries = lut.table.entries
            let table = memory.allocate(Float.self, count: entries)
            for e in 0..<entries {
                var sum = 0.0
                for bin in bins { sum += g[bin] * lut.table.real(e * binCount + bin) }
                table[e] = Float(sum * unit)
            }
            refineLookups += Self.lookups(lut, group: refineGroups.firstIndex(of: lut.levels)!, rowSize: 1,
                                          table: UnsafeRawPointer(table), permutations: permutations,
                                          dilation: factor(lut))
        }
        refine = refineLookups
        refineReach = (spec.refine ?? []).map { $0.pattern.reach * factor($0) }.max() ?? 0
        var refineCells: [UnsafeMutablePointer<Int32>] = [], low: [UnsafeMutablePointer<Float>] = [], width: [UnsafeMutablePointer<Float>] = []
        for levels in refineGroups {
            let count = 1 << bitDepth
            let c = memory.allocate(Int32.self, count: count)
            let lo = memory.allocate(Float.self, count: levels.count), w = memory.allocate(Float.self, count: levels.count)
            let scaled = levels.map { $0 << (bitDepth - 8) }
            var cell = 0
            for v in 0..<count {
                while v >= scaled[cell + 1] { cell += 1 }
                c[v] = Int32(cell)
            }
            for i in 0..<levels.count - 1 {
                lo[i] = Float(scaled[i])
                w[i] = Float(scaled[i + 1] - scaled[i])
            }
            refineCells.append(c)
            low.append(lo)
            width.append(w)
        }
        self.refineCells = refineCells
        refineLevelCounts = refineGroups.map(\.count)
        refineLow = low
        refineWidth = width
    }

    /// The lookups of one lut, one per rotation, its offsets times `dilation`.
    static func lookups(_ lut: LUTModelSpec.LUT, group: Int, rowSize: Int, table: UnsafeRawPointer,
                        permutations: [UnsafeMutablePointer<Int32>], dilation: Int = 1) -> [Lookup] {
        let l = lut.levels.count
        return (0..<lut.rotations).map { r in
            let o = lut.pattern.offsets.map { IMLUTModel.rotate(dy: $0.dy * dilation, dx: $0.dx * dilation, rotation: r) }
            return Lookup(dy: (o[0].dy, o[1].dy, o[2].dy, o[3].dy), dx: (o[0].dx, o[1].dx, o[2].dx, o[3].dx), group: group,
                          strides: (l * l * l * rowSize, l * l * rowSize, l * rowSize, rowSize), table: table,
                          permutation: UnsafePointer(permutations[r]))
        }
    }
}

/// Orders two keys, larger first, without branches.
@inline(__always)
private func order(_ a: inout UInt64, _ b: inout UInt64) {
    let high = max(a, b)
    b = min(a, b)
    a = high
}

/// The 4-simplex walk over fractions `f` (in [0, 1]) with row steps `s`: the four vertex offsets after the base
/// row and the five weights. Each key holds a fraction's bits (ordered as the fraction, which is not negative)
/// above its step, so sorting the keys sorts the axes by fraction, largest first; ties get zero weights.
@inline(__always)
private func simplex(_ f: (Float, Float, Float, Float), _ s: (Int, Int, Int, Int))
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
private func refineStep(cells c: (UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Int32>),
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

/// An imlut model's plan for one input size, output size and bit depth (see docs/imlut.md for the arithmetic,
/// done here in Float). A band of output rows computes the mix vectors of each LR row it needs once, the mixed
/// rows it needs (its own and, with refinement, `refineReach` more on each side), then the refined rows. A
/// "transpose" ensemble first runs the model on the transposed plane as a whole (its bands are the output's
/// columns), then averages each row with it before rounding.
struct IMLUTPlan: UpscalePlan {
    typealias Vec = SIMD8<Float>
    let input: PlaneSize
    let output: PlaneSize
    let bitDepth: Int
    let data: IMLUTPlanData
    /// The ensemble's transposed run (input and output transposed); nil without an ensemble.
    let transposed: IMLUTPlanData?

    var rowAlignment: Int { 1 }

    init(model: IMLUTModel, input: PlaneSize, output: PlaneSize, bitDepth: Int) throws(UpscaleError) {
        guard (8...16).contains(bitDepth) else { throw .unsupportedBitDepth(bitDepth) }
        guard input.width > 0, input.height > 0 else {
            throw .unsupportedSize(input: input, output: output, reason: "the input is empty")
        }
        guard model.serves(input: input, output: output) else {
            throw .unsupportedSize(input: input, output: output,
                                   reason: "\(model.name) scales each axis by 1 to \(model.maxScale)")
        }
        self.input = input
        self.output = output
        self.bitDepth = bitDepth
        data = IMLUTPlanData(spec: model.spec, input: input, output: output, bitDepth: bitDepth)
        transposed = model.spec.ensemble == .transpose
            ? IMLUTPlanData(spec: model.spec, input: input.transposed, output: output.transposed, bitDepth: bitDepth) : nil
    }

    func render(_ source: PlaneView, into destination: MutablePlaneView, rows: Range<Int>) {
        check(source, destination)
        let rows = rows.clamped(to: 0..<output.height)
        guard !rows.isEmpty else { return }
        if bitDepth > 8 {
            render(UInt16.self, source, destination, rows, other: transposedRun(UInt16.self, source, workers: 1))
        } else {
            render(UInt8.self, source, destination, rows, other: transposedRun(UInt8.self, source, workers: 1))
        }
    }

    /// Row bands (with `others`) on `workers` threads, after the ensemble's transposed run (itself in bands) where
    /// there is one.
    func renderParallel(_ source: PlaneView, into destination: MutablePlaneView, workers: Int, alongside others: [@Sendable () -> Void]) {
        check(source, destination)
        if bitDepth > 8 {
            let other = transposedRun(UInt16.self, source, workers: workers)
            forEachBand(height: output.height, alignment: 1, workers: workers, alongside: others) { render(UInt16.self, source, destination, $0, other: other) }
        } else {
            let other = transposedRun(UInt8.self, source, workers: workers)
            forEachBand(height: output.height, alignment: 1, workers: workers, alongside: others) { render(UInt8.self, source, destination, $0, other: other) }
        }
    }

    private func check(_ source: PlaneView, _ destination: MutablePlaneView) {
        precondition(source.size == input && source.bitDepth == bitDepth, "source \(source.size) at \(source.bitDepth) bits does not match the plan")
        precondition(destination.size == output && destination.bitDepth == bitDepth, "destination \(destination.size) at \(destination.bitDepth) bits does not match the plan")
    }

    /// Output rows `rows`: the model's values, averaged with `other` (the transposed run, in the output's
    /// orientation) when given, clamped and rounded.
    private func render<S: FixedWidthInteger & UnsignedInteger & SIMDScalar>(_: S.Type, _ source: PlaneView, _ destination: MutablePlaneView,
                                                                            _ rows: Range<Int>, other: FloatPlane?) {
        let outW = output.width, maxValue = data.maxValue
        run(S.self, data, source, rows) { values, y in
            if let other {
                let row = other.base + y * outW
                for x in 0..<outW { values[x] = (values[x] + row[x]) * 0.5 }
            }
            Self.emit(S.self, values, count: outW, maxValue: maxValue, into: destination, row: y)
        }
    }

    /// The ensemble's run on the transposed source, stored back in the output's orientation (nil: no ensemble).
    private func transposedRun<S: FixedWidthInteger & UnsignedInteger & SIMDScalar & SendableMetatype>(_: S.Type, _ source: PlaneView, workers: Int) -> FloatPlane? {
        guard let transposed else { return nil }
        let flipped = PlaneBuffer(size: input.transposed, bitDepth: bitDepth)
        let target = flipped.mutableView, size = MemoryLayout<S>.size
        for y in 0..<input.height {
            let row = source.base + y * source.bytesPerRow
            for x in 0..<input.width {
                target.base.storeBytes(of: row.load(fromByteOffset: x * size, as: S.self), toByteOffset: x * target.bytesPerRow + y * size, as: S.self)
            }
        }
        let result = FloatPlane(count: output.width * output.height)
        let outW = output.width, outH = output.height
        forEachBand(height: outW, alignment: 1, workers: workers) { rows in
            run(S.self, transposed, flipped.view, rows) { values, column in
                for x in 0..<outH { result.base[x * outW + column] = values[x] }
            }
        }
        return result
    }

    /// Clamps a row of values to 0...maxValue and rounds half to even into row `y`: adding 2^23 leaves the rounded
    /// integer (at most 2^16) in the mantissa, the FPU rounding half to even.
    private static func emit<S: FixedWidthInteger & UnsignedInteger & SIMDScalar>(_: S.Type, _ values: UnsafePointer<Float>, count: Int, maxValue: Float,
                                                                                  into destination: MutablePlaneView, row y: Int) {
        let row = destination.base + y * destination.bytesPerRow
        let high = Vec(repeating: maxValue), magic = Vec(repeating: 8_388_608)
        var x = 0
        while x + 8 <= count {
            let v = UnsafeRawPointer(values + x).loadUnaligned(as: Vec.self).clamped(lowerBound: Vec(), upperBound: high) + magic
            let bits = unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7F_FFFF
            row.storeBytes(of: SIMD8<S>(truncatingIfNeeded: bits), toByteOffset: x * MemoryLayout<S>.size, as: SIMD8<S>.self)
            x += 8
        }
        while x < count {
            let v = min(max(values[x], 0), maxValue) + 8_388_608
            row.storeBytes(of: S(truncatingIfNeeded: v.bitPattern & 0x7F_FFFF), toByteOffset: x * MemoryLayout<S>.size, as: S.self)
            x += 1
        }
    }

    /// The model's values (before clamping and rounding) of output rows `rows` of `d`, one row at a time into
    /// `sink` (which may change them).
    private func run<S: FixedWidthInteger & UnsignedInteger & SIMDScalar>(_: S.Type, _ d: IMLUTPlanData, _ source: PlaneView, _ rows: Range<Int>,
                                                                         _ sink: (UnsafeMutablePointer<Float>, Int) -> Void) {
        let input = d.input, output = d.output
        let n = d.nodes, nv = d.nodeVectors, rowVectors = d.mixRowVectors
        let w = input.width, outW = output.width
        // Scratch for the band, allocated once per call.
        let vRow = UnsafeMutablePointer<SIMD4<Float>>.allocate(capacity: w * rowVectors)
        let uRow = UnsafeMutablePointer<Vec>.allocate(capacity: w * n)
        let hRow = UnsafeMutablePointer<Vec>.allocate(capacity: w + 6)
        defer { vRow.deallocate(); uRow.deallocate(); hRow.deallocate() }
        var vRowAnchor = -1

        func sample(_ y: Int, _ x: Int) -> S { (source.base + y * source.bytesPerRow).load(fromByteOffset: x * MemoryLayout<S>.size, as: S.self) }

        /// The mix vectors V of LR row `y`.
        func computeV(_ y: Int) {
            for (index, lookup) in d.mix.enumerated() {
                // The first lookup writes every vector (the permutation is a bijection), the others add.
                let first = index == 0
                let r0 = source.base + reflectIndex(y + lookup.dy.0, input.height) * source.bytesPerRow
                let r1 = source.base + reflectIndex(y + lookup.dy.1, input.height) * source.bytesPerRow
                let r2 = source.base + reflectIndex(y + lookup.dy.2, input.height) * source.bytesPerRow
                let r3 = source.base + reflectIndex(y + lookup.dy.3, input.height) * source.bytesPerRow
                let cells = d.mixCells[lookup.group], fractions = d.mixFractions[lookup.group]
                let table = lookup.table.assumingMemoryBound(to: SIMD4<Float>.self), perm = lookup.permutation
                let reflect = d.columnReflect + 2
                let size = MemoryLayout<S>.size
                for x in 0..<w {
                    let v0 = Int(r0.load(fromByteOffset: Int(reflect[x + lookup.dx.0]) * size, as: S.self))
                    let v1 = Int(r1.load(fromByteOffset: Int(reflect[x + lookup.dx.1]) * size, as: S.self))
                    let v2 = Int(r2.load(fromByteOffset: Int(reflect[x + lookup.dx.2]) * size, as: S.self))
                    let v3 = Int(r3.load(fromByteOffset: Int(reflect[x + lookup.dx.3]) * size, as: S.self))
                    let base = Int(cells[v0]) &* lookup.strides.0 &+ Int(cells[v1]) &* lookup.strides.1
                        &+ Int(cells[v2]) &* lookup.strides.2 &+ Int(cells[v3]) &* lookup.strides.3
                    let (o, wt) = simplex((fractions[v0], fractions[v1], fractions[v2], fractions[v3]), lookup.strides)
                    let t0 = table + base, t1 = t0 + o.0, t2 = t0 + o.1, t3 = t0 + o.2, t4 = t0 + o.3
                    let target = vRow + x * rowVectors
                    for c in 0..<rowVectors {
                        let j = Int(perm[c])
                        var acc = first ? SIMD4<Float>() : target[j]
                        acc += wt.0 * t0[c]
                        acc += wt.1 * t1[c]
                        acc += wt.2 * t2[c]
                        acc += wt.3 * t3[c]
                        acc += wt.4 * t4[c]
                        target[j] = acc
                    }
                }
            }
        }

        /// Mixed row `y` (before clamping) into `out[0..<outW]`.
        func mixedRow(_ y: Int, into out: UnsafeMutablePointer<Float>) {
            let anchor = Int(d.rowAnchor[y])
            if anchor != vRowAnchor {
                computeV(anchor)
                vRowAnchor = anchor
            }
            let iy = Int(d.rowNode[y]), fy = d.rowFraction[y]
            // U: the node column's K weights between node rows iy and iy + 1 (lanes K... zero).
            for x in 0..<w {
                let v = vRow + x * rowVectors + iy * n * nv
                for jx in 0..<n {
                    let a0 = v[jx * nv], b0 = v[(n + jx) * nv]
                    let a = nv == 1 ? Vec(lowHalf: a0, highHalf: .zero) : Vec(lowHalf: a0, highHalf: v[jx * nv + 1])
                    let b = nv == 1 ? Vec(lowHalf: b0, highHalf: .zero) : Vec(lowHalf: b0, highHalf: v[(n + jx) * nv + 1])
                    uRow[x * n + jx] = a + fy * (b - a)
                }
            }
            // Vertical pass of every candidate kernel at once (lane k: interpolator k), rows clamped.
            let tap = Int(d.rowTap[y])
            let rw = d.rowWeights + 6 * y
            func lrRow(_ i: Int) -> UnsafeRawPointer { source.base + min(input.height - 1, max(0, tap + i)) * source.bytesPerRow }
            let (p0, p1, p2, p3, p4, p5) = (lrRow(0), lrRow(1), lrRow(2), lrRow(3), lrRow(4), lrRow(5))
            let (w0, w1, w2, w3, w4, w5) = (rw[0], rw[1], rw[2], rw[3], rw[4], rw[5])
            let size = MemoryLayout<S>.size
            for x in 0..<w {
                let o = x * size
                var acc = w0 * Float(p0.load(fromByteOffset: o, as: S.self))
                acc += w1 * Float(p1.load(fromByteOffset: o, as: S.self))
                acc += w2 * Float(p2.load(fromByteOffset: o, as: S.self))
                acc += w3 * Float(p3.load(fromByteOffset: o, as: S.self))
                acc += w4 * Float(p4.load(fromByteOffset: o, as: S.self))
                acc += w5 * Float(p5.load(fromByteOffset: o, as: S.self))
                hRow[x + 3] = acc
            }
            for i in 0..<3 {
                hRow[i] = hRow[3]
                hRow[w + 3 + i] = hRow[w + 2]
            }
            // Horizontal pass, weights, mix.
            let bias = d.bias
            for x in 0..<outW {
                let cw = d.columnWeights + 6 * x
                let h = hRow + Int(d.columnTap[x])
                var c = bias
                c += cw[0] * h[0]
                c += cw[1] * h[1]
                c += cw[2] * h[2]
                c += cw[3] * h[3]
                c += cw[4] * h[4]
                c += cw[5] * h[5]
                let u = uRow + Int(d.columnNode[x])
                let weights = u[0] + d.columnFraction[x] * (u[1] - u[0])
                out[x] = (weights * c).sum()
            }
        }

        let maxValue = d.maxValue
        guard !d.refine.isEmpty else {
            let mixed = UnsafeMutablePointer<Float>.allocate(capacity: outW)
            defer { mixed.deallocate() }
            for y in rows {
                mixedRow(y, into: mixed)
                sink(mixed, y)
            }
            return
        }

        // Refinement: a ring of 2R + 1 clamped mixed rows, reflect-padded by R columns, with per levels list their
        // fractions and their cells times each axis's row step (L^3, L^2, L, 1: a lookup adds four planes for its
        // base row); 8 more zero columns (cell 0, fraction 0) let the last 8-pixel step read whole vectors.
        let reach = d.refineReach, slots = 2 * reach + 1, padded = outW + 2 * reach, stride = padded + 8
        let groups = d.refineCells.count
        let ring = UnsafeMutablePointer<Float>.allocate(capacity: slots * stride)
        let ringCells = UnsafeMutablePointer<Int32>.allocate(capacity: 4 * groups * slots * stride)
        let ringFractions = UnsafeMutablePointer<Float>.allocate(capacity: groups * slots * stride)
        ringCells.initialize(repeating: 0, count: 4 * groups * slots * stride)
        ringFractions.initialize(repeating: 0, count: groups * slots * stride)
        defer { ring.deallocate(); ringCells.deallocate(); ringFractions.deallocate() }
        let height = output.height
        var next = max(0, rows.lowerBound - reach)
        let last = min(height, rows.upperBound + reach)
        let refine = d.refine
        let total = UnsafeMutablePointer<Float>.allocate(capacity: outW + 8)
        total.initialize(repeating: 0, count: outW + 8)
        defer { total.deallocate() }
        for y in rows {
            while next < min(last, y + reach + 1) {
                let slot = next % slots
                let m = ring + slot * stride
                mixedRow(next, into: m + reach)
                for x in 0..<outW { m[reach + x] = min(max(m[reach + x], 0), maxValue) }
                for c in 0..<reach {
                    m[c] = m[reach + reflectIndex(c - reach, outW)]
                    m[reach + outW + c] = m[reach + reflectIndex(outW + c, outW)]
                }
                for g in 0..<groups {
                    let cells = d.refineCells[g], low = d.refineLow[g], width = d.refineWidth[g]
                    let l = Int32(d.refineLevelCounts[g])
                    let c0 = ringCells + (4 * g * slots + slot) * stride, c1 = c0 + slots * stride
                    let c2 = c1 + slots * stride, c3 = c2 + slots * stride
                    let fractionRow = ringFractions + (g * slots + slot) * stride
                    for x in 0..<padded {
                        let v = m[x]
                        let cell = cells[Int(v)]
                        c3[x] = cell
                        c2[x] = cell &* l
                        c1[x] = cell &* l &* l
                        c0[x] = cell &* l &* l &* l
                        fractionRow[x] = (v - low[Int(cell)]) / width[Int(cell)]
                    }
                }
                next += 1
            }
            // The clamped mixed row plus each lookup in turn (a row at a time keeps its pointers in registers).
            let m = ring + (y % slots) * stride + reach
            total.update(from: m, count: outW)
            for lookup in refine {
                /// Read `axis` of the pattern: its premultiplied cells and fractions at logical column 0.
                func rows(_ axis: Int, _ dy: Int, _ dx: Int) -> (UnsafePointer<Int32>, UnsafePointer<Float>) {
                    let slot = reflectIndex(y + dy, height) % slots
                    return (UnsafePointer(ringCells + ((4 * lookup.group + axis) * slots + slot) * stride + reach + dx),
                            UnsafePointer(ringFractions + (lookup.group * slots + slot) * stride + reach + dx))
                }
                let (c0, f0) = rows(0, lookup.dy.0, lookup.dx.0), (c1, f1) = rows(1, lookup.dy.1, lookup.dx.1)
                let (c2, f2) = rows(2, lookup.dy.2, lookup.dx.2), (c3, f3) = rows(3, lookup.dy.3, lookup.dx.3)
                let steps = (SIMD8<Int32>(repeating: Int32(lookup.strides.0)), SIMD8<Int32>(repeating: Int32(lookup.strides.1)),
                             SIMD8<Int32>(repeating: Int32(lookup.strides.2)), SIMD8<Int32>(repeating: Int32(lookup.strides.3)))
                let table = lookup.table.assumingMemoryBound(to: Float.self)
                var x = 0
                while x < outW {
                    refineStep(cells: (c0 + x, c1 + x, c2 + x, c3 + x), fractions: (f0 + x, f1 + x, f2 + x, f3 + x),
                               steps: steps, table: table, into: total + x)
                    x += 8
                }
            }
            sink(total, y)
        }
    }
}

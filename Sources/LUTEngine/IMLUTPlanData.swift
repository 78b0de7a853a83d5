import VideoCore
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
        for c in -2..<(input.width + 2) { columnReflect[c + 2] = Int32(reflect(c, input.width)) }

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

import VideoCore
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
                let r0 = source.base + reflect(y + lookup.dy.0, input.height) * source.bytesPerRow
                let r1 = source.base + reflect(y + lookup.dy.1, input.height) * source.bytesPerRow
                let r2 = source.base + reflect(y + lookup.dy.2, input.height) * source.bytesPerRow
                let r3 = source.base + reflect(y + lookup.dy.3, input.height) * source.bytesPerRow
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
                    m[c] = m[reach + reflect(c - reach, outW)]
                    m[reach + outW + c] = m[reach + reflect(outW + c, outW)]
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
                    let slot = reflect(y + dy, height) % slots
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

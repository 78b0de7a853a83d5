import CLUTKernels
import VideoCore

/// An imlut model's plan for one input size, output size and bit depth (docs/imlut.md).
///
/// Every table lookup happens on the LR grid: the mix luts, blended over the scale bins once here, form one stage
/// of the fixed-scale engine (`PlanStage`: the same window groups, simplex walk and fixed-point sums, in the
/// plan's kernel tier) whose N x N x K outputs per LR pixel are the node values V. Per output pixel only the
/// interpolation remains: the weights are V bilinearly interpolated at the pixel's phase (across columns once
/// per LR row, `blend_columns`; between the two node rows per output row, `mix_row`), each multiplied by its
/// candidate, a separable classic filter (horizontal pass once per LR row, vertical in `mix_row`).
struct IMLUTPlan: UpscalePlan {
    let input: PlaneSize
    let output: PlaneSize
    let bitDepth: Int
    let kernels: KernelTier
    /// The model's pre-stages, run on the LR rows the mix and the candidates read.
    let preStages: [PlanStage]
    let stage: PlanStage
    let nodes: Int
    /// The model's interpolators in the order of the stage's lanes: the spec's, except that when it has both a
    /// constant and a nearest candidate, nearest comes last, folded into the constant per LR pixel (both are
    /// constant over the pixel's cell, so their weights blend as one) and not filtered per output pixel.
    let interpolators: [IMLUTSpec.Interpolator]
    let foldsNearest: Bool
    /// Per output column: its LR anchor, and the bilinear weight of each node column jx at its phase (N rows of
    /// `stride` floats).
    let columnAnchor: [Int32]
    let columnWeights: [Float]
    /// Floats per row of output width in a render's scratch: room for the 16-sample blocks of mix_row and of the
    /// horizontal pass.
    let stride: Int
    /// Per output row: the LR anchor row, the lower node row jy0 and the fraction towards jy0 + 1.
    let rowAnchor: [Int]
    let rowNode: [Int]
    let rowFraction: [Float]
    /// Per interpolator filtered per output pixel (all but a folded nearest; nil: constant): its horizontal pass and
    /// vertical taps.
    let horizontal: [RowFilter?]
    let vertical: [FilterBank?]
    /// The unit of the stage's sums: node values are sums x 2^-sumBits.
    let sumScale: Float
    /// Per interpolator: the largest magnitude of its weights, which the stage's tables are divided by.
    let candidateScale: [Float]

    var rowAlignment: Int { 1 }
    /// F for cells that are not powers of two wide: 1/4096 of a cell, in 32-bit lanes with 15-bit tables. (1/64 of
    /// a cell with 9-bit tables would sum each lookup in 16-bit lanes, 11% faster, moving Set5 by 0.004 dB, but
    /// rougher models, such as the NumPy oracle's, by up to 9 steps of 1023 at 10 bits.)
    static let inexactFractionBits = 12
    /// Output columns mixed at a time: the node planes' and candidate rows' floats of a strip (about 16 rows of it)
    /// fit the L1 cache.
    static let mixStrip = 512

    init(model: IMLUTModel, input: PlaneSize, output: PlaneSize, bitDepth: Int, kernels: KernelTier = .active) throws(UpscaleError) {
        guard (8...16).contains(bitDepth) else { throw .unsupportedBitDepth(bitDepth) }
        guard input.width > 0, input.height > 0 else {
            throw .unsupportedSize(input: input, output: output, reason: "the input is empty")
        }
        guard model.serves(input: input, output: output) else {
            throw .unsupportedSize(input: input, output: output,
                                   reason: "\(model.name) scales each axis by 1 to \(model.maxScale)")
        }
        let spec = model.spec
        preStages = zip(model.preStages, model.preparedPreStages).map { PlanStage(stage: $0, tables: $1, bitDepth: bitDepth) }
        self.input = input
        self.output = output
        self.bitDepth = bitDepth
        self.kernels = kernels
        let sx = Double(output.width) / Double(input.width), sy = Double(output.height) / Double(input.height)
        let g = IMLUTModel.binWeights(spec.scaleBins, s: (sx * sy).squareRoot())
        let n = spec.planNodes(binWeights: g), k = spec.interpolators.count, lanes = n * n * k
        nodes = n
        // order[e]: the spec's index of the interpolator in lane e of each node.
        var order = Array(0..<k)
        foldsNearest = spec.interpolators.contains(.constant) && spec.interpolators.contains(.nearest)
        if foldsNearest, let near = spec.interpolators.firstIndex(of: .nearest) {
            order.remove(at: near)
            order.append(near)
        }
        interpolators = order.map { spec.interpolators[$0] }
        // The tables blended over the bins on the plan's n x n nodes: a bin of fewer nodes enters through the
        // bilinear weights of its nodes at each of the plan's (`carry[b][j]`: (its node, weight) pairs).
        let carry = zip(spec.phaseNodes, g).map { nb, weight -> [[(node: Int, weight: Double)]] in
            guard weight != 0 else { return [] }
            let axis = IMLUTSpec.nodeWeights(from: nb, to: n)
            return (0..<n * n).map { j in
                (0..<nb * nb).compactMap { i in
                    let w = axis[j / n][i / nb] * axis[j % n][i % nb]
                    return w == 0 ? nil : (i, weight * w)
                }
            }
        }
        let blended = spec.mix.map { lut -> [Double] in
            let entries = lut.table.entries
            var values = [Double](repeating: 0, count: entries * lanes)
            for e in 0..<entries {
                for (b, nodeWeights) in carry.enumerated() where !nodeWeights.isEmpty {
                    let row = e * lut.table.outputs + spec.binOffset(b)
                    for (j, sources) in nodeWeights.enumerated() {
                        for (i, weight) in sources {
                            for c in 0..<k { values[e * lanes + j * k + c] += weight * lut.table.real(row + i * k + c) }
                        }
                    }
                }
            }
            return values
        }
        // Each candidate's weights are brought to the same range (its candidate is multiplied back, `candidateScale`),
        // so a residual in 8-bit levels leaves the dimensionless weights their full precision; then one unit, the
        // finest whose totals fit 32 bits at the stage's fraction bits (multipliers 1, no rounding there).
        var range = [Double](repeating: 0, count: k)
        for values in blended {
            for (o, value) in values.enumerated() { range[o % k] = max(range[o % k], abs(value)) }
        }
        let scales = range.map { $0 == 0 ? 1 : $0 }
        candidateScale = order.map { Float(scales[$0]) }
        let lookupCount = spec.mix.reduce(0) { $0 + $1.rotations }
        let fractionBits = Arithmetic.wantedFractionBits(levels: spec.mix.map(\.levels), bitDepth: bitDepth, inexact: Self.inexactFractionBits)
        let limit = Double(min(32767, (1 << 30) / (lookupCount << fractionBits)))
        let unitBits = Int(limit.exponent)
        let factor = Double(sign: .plus, exponent: unitBits, significand: 1)
        let luts = zip(spec.mix, blended).map { lut, values in
            let ints = values.enumerated().map { o, value in Int16((value / scales[o % k] * factor).rounded(.toNearestOrEven)) }
            return EngineStage.LUT(pattern: lut.pattern, rotations: lut.rotations, levels: lut.levels, outputs: lanes, values: ints,
                                   unit: 1 / factor, maxMagnitude: ints.reduce(0) { max($0, abs(Int($1))) }, exact: false)
        }
        // Rotation r reads the pattern at rho_r(offset) and its LUT-frame node q lands on image node rho_r(q).
        var lookups: [PreparedStage.Lookup] = []
        for (l, lut) in spec.mix.enumerated() {
            for r in 0..<lut.rotations {
                var source = [Int](repeating: 0, count: lanes)
                for qy in 0..<n {
                    for qx in 0..<n {
                        let image = IMLUTModel.rotate(dy: 2 * qy - (n - 1), dx: 2 * qx - (n - 1), rotation: r)
                        let j = (image.dy + n - 1) / 2 * n + (image.dx + n - 1) / 2
                        for e in 0..<k { source[j * k + e] = (qy * n + qx) * k + order[e] }
                    }
                }
                lookups.append(PreparedStage.Lookup(lut: l, rotation: r,
                                                    pixels: lut.pattern.offsets.map { IMLUTModel.rotate(dy: $0.dy, dx: $0.dx, rotation: r) },
                                                    lanes: source))
            }
        }
        let engineStage = EngineStage(upscale: 1, residual: false, bias: 0, luts: luts)
        stage = PlanStage(stage: engineStage, tables: PreparedStage(luts: luts, lookups: lookups), bitDepth: bitDepth,
                          inexactFractionBits: Self.inexactFractionBits)
        sumScale = Float(Double(sign: .plus, exponent: -stage.sumBits, significand: 1))

        /// Anchor, lower node and fraction of output index i along an axis of ratio s over `count` LR samples.
        func phase(_ i: Int, _ s: Double, _ count: Int) -> (anchor: Int, node: Int, fraction: Float) {
            let u = (Double(i) + 0.5) / s - 0.5
            let anchor = min(max(Int((u + 0.5).rounded(.down)), 0), count - 1)
            let grid = (u - Double(anchor) + 0.5) * Double(n - 1)
            let node = min(max(Int(grid.rounded(.down)), 0), n - 2)
            return (anchor, node, Float(grid - Double(node)))
        }
        let columns = (0..<output.width).map { phase($0, sx, input.width) }
        let stride = (output.width + 15) / 16 * 16 + 16
        self.stride = stride
        columnAnchor = columns.map { Int32($0.anchor) }
        var weights = [Float](repeating: 0, count: n * stride)
        for (x, column) in columns.enumerated() {
            weights[column.node * stride + x] = 1 - column.fraction
            weights[(column.node + 1) * stride + x] = column.fraction
        }
        columnWeights = weights
        let rows = (0..<output.height).map { phase($0, sy, input.height) }
        rowAnchor = rows.map(\.anchor)
        rowNode = rows.map(\.node)
        rowFraction = rows.map(\.fraction)
        let filtered = interpolators.prefix(foldsNearest ? k - 1 : k)
        horizontal = filtered.map { $0.kernel.map { RowFilter(FilterBank(kernel: $0, from: input.width, to: output.width), kernels: kernels) } }
        vertical = filtered.map { $0.kernel.map { FilterBank(kernel: $0, from: input.height, to: output.height) } }
    }

    func render(_ source: PlaneView, into destination: MutablePlaneView, rows: Range<Int>) {
        precondition(source.size == input && source.bitDepth == bitDepth, "source \(source.size) at \(source.bitDepth) bits does not match the plan")
        precondition(destination.size == output && destination.bitDepth == bitDepth, "destination \(destination.size) at \(destination.bitDepth) bits does not match the plan")
        let rows = rows.clamped(to: 0..<output.height)
        guard !rows.isEmpty else { return }
        let anchors = rowAnchor[rows.lowerBound]..<(rowAnchor[rows.upperBound - 1] + 1)
        // The LR rows the mix (its reach around the anchors) and the candidates' vertical taps read: what the
        // pre-stages must produce.
        var read = PlanStage.widened(anchors, by: stage.reach, height: input.height)
        for bank in vertical.compactMap({ $0 }) {
            read = min(read.lowerBound, Int(bank.starts[rows.lowerBound]))..<max(read.upperBound, Int(bank.starts[rows.upperBound - 1]) + bank.taps)
        }
        PlanStage.withChain(preStages[...], kernels: kernels.kernels, source: source, rows: read, bitDepth: bitDepth) { plane in
            mix(plane, into: destination, rows: rows, anchors: anchors)
        }
    }

    /// Output rows `rows` from the LR plane the mix and the candidates read (the source or the pre-stages' output),
    /// whose rows `anchors` are the rows' anchors.
    private func mix(_ plane: StageInput, into destination: MutablePlaneView, rows: Range<Int>, anchors: Range<Int>) {
        let k = kernels.kernels.pointee
        let toFloats = k.records_to_floats!, foldNearest = k.fold_nearest!, blendColumns = k.blend_columns!, mixRow = k.mix_row!
        let samplesToFloats = k.samples_to_floats!
        let n = nodes, kCount = interpolators.count, planes = n * kCount
        // The candidates filtered per output pixel: all but a folded nearest (the last lane).
        let mixed = horizontal.count
        let constantLane = interpolators.firstIndex(of: .constant)
        let constantLevel = Float(1 << (bitDepth - 8)) * (constantLane.map { candidateScale[$0] } ?? 0)
        let sampleBytes = destination.bytesPerSample
        // One plane of LR width per value of a pixel (16 per chunk of the stage's rows), readable 16 floats past the
        // last anchor.
        let valueStride = input.width + 32
        let chunks = stage.tables.chunks
        let values = UnsafeMutablePointer<Float>.allocate(capacity: 16 * chunks * valueStride)
        values.initialize(repeating: 0, count: 16 * chunks * valueStride)
        let nodePlanes = UnsafeMutablePointer<Float>.allocate(capacity: planes * stride)
        let sum = UnsafeMutablePointer<Float>.allocate(capacity: stride)
        // Rings of LR rows (vertical taps only move down; 8 rows hold the 6 of Lanczos-3 and the anchor's): as floats,
        // zero-padded to what the widest horizontal pass reads, converted once for all candidates; and each
        // candidate's horizontal pass of them.
        let ringRows = 8
        let lineLength = max(input.width, horizontal.compactMap { $0?.paddedSourceLength }.max() ?? 0)
        let lines = UnsafeMutablePointer<Float>.allocate(capacity: ringRows * lineLength)
        lines.initialize(repeating: 0, count: ringRows * lineLength)
        var lineRow = [Int](repeating: -1, count: ringRows)
        let ring = UnsafeMutablePointer<Float>.allocate(capacity: mixed * ringRows * stride)
        var ringRow = [Int](repeating: -1, count: mixed * ringRows)
        defer {
            values.deallocate()
            nodePlanes.deallocate()
            sum.deallocate()
            lines.deallocate()
            ring.deallocate()
        }
        func floatRow(_ y: Int) -> UnsafePointer<Float> {
            let slot = y % ringRows
            let target = lines + slot * lineLength
            if lineRow[slot] != y {
                samplesToFloats(plane.row(y), Int32(sampleBytes), Int32(input.width), target)
                lineRow[slot] = y
            }
            return UnsafePointer(target)
        }
        func candidateRow(_ c: Int, _ y: Int) -> UnsafePointer<Float> {
            let slot = c * ringRows + y % ringRows
            let target = ring + slot * stride
            if ringRow[slot] != y {
                horizontal[c]!.apply(k, floatRow(y), target)
                ringRow[slot] = y
            }
            return UnsafePointer(target)
        }
        var job = lut_mix_job()
        job.interpolators = Int32(mixed)
        var jobs: [lut_mix_job] = []
        // A folded constant's node values carry its level (and the nearest sample's).
        job.constant = foldsNearest ? 1 : constantLevel
        job.sum = sum
        job.sample_bytes = Int32(sampleBytes)
        job.max_value = Int32((1 << bitDepth) - 1)
        var firstRow = rows.lowerBound
        let multipliers = stage.recordSets
        columnAnchor.withUnsafeBufferPointer { columnAnchor in
            columnWeights.withUnsafeBufferPointer { columnWeights in
                stage.accumulate(kernels: kernels.kernels, input: plane,
                                 size: input, lrRows: anchors, columns: input.width, bitDepth: bitDepth) { y, records in
                    records.withUnsafeBufferPointer { records in
                        multipliers.withUnsafeBufferPointer { multipliers in
                            for chunk in 0..<chunks {
                                toFloats(UnsafePointer(OpaquePointer(records.baseAddress! + chunk * multipliers.count)), multipliers.baseAddress,
                                         Int32(multipliers.count), stage.lanes == .narrow ? 0 : 1, stage.pairedRecords ? 1 : 0,
                                         Int32(input.width), sumScale,
                                         values + 16 * chunk * valueStride, valueStride)
                            }
                        }
                    }
                    if foldsNearest {
                        foldNearest(values, valueStride, Int32(n * n), Int32(kCount), Int32(constantLane!), constantLevel,
                                    candidateScale[kCount - 1], floatRow(y), Int32(input.width))
                    }
                    // The output rows of this anchor share its node planes and most candidate rows: blended and mixed
                    // strip by strip, so that each strip's planes and rows stay in the L1 cache from one row to the next.
                    jobs.removeAll(keepingCapacity: true)
                    while firstRow < rows.upperBound, rowAnchor[firstRow] == y {
                        let o = firstRow
                        let node = rowNode[o]
                        job.fraction = rowFraction[o]
                        job.samples = destination.base + o * destination.bytesPerRow
                        for c in 0..<mixed {
                            set(&job.low, c, UnsafePointer(nodePlanes + (node * kCount + c) * stride))
                            set(&job.high, c, UnsafePointer(nodePlanes + ((node + 1) * kCount + c) * stride))
                            var taps = 0
                            if let bank = vertical[c] {
                                taps = bank.taps
                                let start = Int(bank.starts[o])
                                for t in 0..<taps {
                                    set(&job.rows, c * Int(LUT_MIX_TAPS) + t, candidateRow(c, start + t))
                                    set(&job.weights, c * Int(LUT_MIX_TAPS) + t, bank.weights[o * bank.stride + t] * candidateScale[c])
                                }
                            }
                            set(&job.taps, c, Int32(taps))
                        }
                        jobs.append(job)
                        firstRow += 1
                    }
                    jobs.withUnsafeMutableBufferPointer { jobs in
                        guard !jobs.isEmpty else { return }
                        for first in Swift.stride(from: 0, to: output.width, by: Self.mixStrip) {
                            let count = min(Self.mixStrip, output.width - first)
                            blendColumns(values, valueStride, columnAnchor.baseAddress! + first, columnWeights.baseAddress! + first,
                                         Int32(n), Int32(kCount), Int32(mixed), Int32(count), nodePlanes + first, stride)
                            for r in jobs.indices {
                                jobs[r].first = Int32(first)
                                jobs[r].count = Int32(count)
                                mixRow(jobs.baseAddress! + r)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Element `index` of a C array imported as a tuple.
private func set<Tuple, Element>(_ tuple: inout Tuple, _ index: Int, _ value: Element) {
    withUnsafeMutableBytes(of: &tuple) { $0.storeBytes(of: value, toByteOffset: index * MemoryLayout<Element>.stride, as: Element.self) }
}

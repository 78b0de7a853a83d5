import CLUTKernels
#if canImport(Glibc)
import Glibc
#endif
import VideoCore

/// The instruction-set tiers of the engine's hot loops (the `CLUTKernels` C target: one source compiled for each),
/// chosen once from the CPU's features: one binary runs on any x86-64 and uses what the CPU has.
public enum KernelTier: Int32, CaseIterable, Sendable, CustomStringConvertible {
    /// The compiler's baseline for the target: SSE2 on x86-64, the portable path elsewhere.
    case baseline = 0
    /// x86-64-v3.
    case avx2 = 1
    /// x86-64-v4.
    case avx512 = 2
    /// x86-64-v4 with VBMI and VNNI (Ice Lake, Zen 4 and later).
    case avx512icl = 3

    /// The tier's name, as `LUTSCALE_KERNELS` and `--version` spell it (whether or not this CPU runs it).
    public var description: String {
        switch self {
        case .baseline: "baseline"
        case .avx2: "avx2"
        case .avx512: "avx512"
        case .avx512icl: "avx512icl"
        }
    }

    /// Whether this build has the tier and this CPU (and OS) runs it.
    public var isAvailable: Bool { lut_kernels_for(rawValue) != nil }

    /// The tiers this CPU runs, slowest first.
    public static var available: [KernelTier] { allCases.filter(\.isAvailable) }

    /// The tier plans use: the fastest one this CPU runs, or a slower one named by `LUTSCALE_KERNELS`
    /// (`baseline`, `avx2`, `avx512`, `avx512icl`), as dav1d's and x264's CPU masks, for comparisons and bug reports.
    public static let active: KernelTier = requested.tier

    /// The tier `LUTSCALE_KERNELS` asks for, and why it cannot be had if so (the fastest available is used then).
    public static var requested: (tier: KernelTier, problem: String?) {
        let best = available.last!
        guard let name = getenv("LUTSCALE_KERNELS").map({ String(cString: $0) }), !name.isEmpty else { return (best, nil) }
        guard let tier = allCases.first(where: { $0.description == name }) else {
            return (best, "LUTSCALE_KERNELS=\(name) is not a kernel tier (baseline, avx2, avx512, avx512icl); using \(best)")
        }
        guard tier.isAvailable else { return (best, "this CPU cannot run the \(name) kernels; using \(best)") }
        return (tier, nil)
    }

    var kernels: UnsafePointer<lut_kernels> {
        guard let k = lut_kernels_for(rawValue) else { preconditionFailure("kernel tier \(rawValue) is not available on this CPU") }
        return k
    }
}

extension PlanStage {
    /// Computes LR rows `lrRows`, columns 0..<columns, of this stage with `kernels` and writes them to `target`.
    func run(kernels: UnsafePointer<lut_kernels>, input: StageInput, size: PlaneSize, lrRows: Range<Int>, target: StageTarget,
             columns: Int, bitDepth: Int) {
        let emitRow = kernels.pointee.emit_row!
        let r = emit.upscale
        var job = lut_emit_job()
        // emit_row's block rows read up to 256 bytes from any pixel's samples.
        let samples = UnsafeMutableRawPointer.allocate(byteCount: 32 * columns + 256, alignment: 64)
        defer { samples.deallocate() }
        job.samples = samples
        job.sets = Int32(recordSets.count)
        _ = withUnsafeMutableBytes(of: &job.multipliers) { $0.bindMemory(to: Int32.self).update(from: recordSets) }
        job.count = Int32(columns)
        job.width = Int32(target.width)
        job.shift = emit.shift
        job.bias = emit.bias
        job.max_value = emit.maxValue
        job.residual = emit.residual ? 1 : 0
        job.upscale = Int32(r)
        job.wide = lanes == .narrow ? 0 : 1
        job.paired = pairedRecords ? 1 : 0
        job.single = tables.singleOutput ? 1 : 0
        job.sample_bytes = Int32(bitDepth > 8 ? 2 : 1)
        accumulate(kernels: kernels, input: input, size: size, lrRows: lrRows, columns: columns, bitDepth: bitDepth) { y, records in
            withUnsafeMutableBytes(of: &job.records) { pointers in
                for (set, record) in records.enumerated() {
                    pointers.storeBytes(of: record, toByteOffset: set * MemoryLayout<UnsafeMutableRawPointer>.stride,
                                        as: UnsafeMutableRawPointer.self)
                }
            }
            job.anchors = input.row(y)
            func row(_ a: Int) -> UnsafeMutableRawPointer? {
                let o = r * y + a
                return a < r && target.rows.contains(o) ? target.base + (o - target.firstRow) * target.bytesPerRow : nil
            }
            job.rows = (row(0), row(1), row(2), row(3))
            emitRow(&job)
        }
    }

    /// Sums the lookups of LR rows `lrRows`, columns 0..<columns, and hands each row's records (one row per record
    /// set, `recordBytes` per pixel from column 0; with rows of several 16-lane chunks, the sets of chunk 0, then
    /// those of chunk 1, ...) to `complete` in row order, which must read them and clear them to zero.
    ///
    /// Windows are visited row by row; each lookup adds into the records of its anchor's row, kept in a ring of
    /// rows (anchors lie at most the targets' spread below a window). Once no later window row reaches an LR row,
    /// its records are complete, and clearing them frees its ring slot for reuse.
    func accumulate(kernels: UnsafePointer<lut_kernels>, input: StageInput, size: PlaneSize, lrRows: Range<Int>, columns: Int,
                    bitDepth: Int, complete: (_ y: Int, _ records: [UnsafeMutableRawPointer]) -> Void) {
        guard !lrRows.isEmpty else { return }
        let k = kernels.pointee
        let fillCells = k.fill_cells!, fillUniform = k.fill_cells_uniform!, prepareWalk = k.prepare_walk!
        let groups = tables.groups
        let members = groups.flatMap(\.members)
        let lowest = members.map(\.target.dy).min()!, highest = members.map(\.target.dy).max()!
        let ringRows = highest - lowest + 1
        let pad = reach
        // Window columns reach `pad` beyond the plane on either side; anchors `margin` beyond it.
        let margin = 2 * pad
        let paddedWidth = size.width + 2 * pad
        let paddedRows = lrRows.count + 2 * pad
        // prepare_walk reads up to 15 keys and cells past a row's last window.
        let planeCount = paddedWidth * paddedRows + 16
        let rowBytes = (columns + 2 * margin) * recordBytes
        let keys = UnsafeMutablePointer<Int16>.allocate(capacity: cellLookups.count * planeCount)
        let cells = UnsafeMutablePointer<UInt8>.allocate(capacity: cellLookups.count * planeCount)
        keys.initialize(repeating: 0, count: cellLookups.count * planeCount)
        cells.initialize(repeating: 0, count: cellLookups.count * planeCount)
        let chunks = tables.chunks, sets = recordSets.count * chunks
        let records = UnsafeMutableRawPointer.allocate(byteCount: sets * ringRows * rowBytes, alignment: 64)
        records.initializeMemory(as: UInt8.self, repeating: 0, count: sets * ringRows * rowBytes)
        let walk = UnsafeMutablePointer<lut_walk>.allocate(capacity: 1)
        let resolved = UnsafeMutablePointer<lut_lookup>.allocate(capacity: members.count * chunks)
        defer {
            keys.deallocate()
            cells.deallocate()
            records.deallocate()
            walk.deallocate()
            resolved.deallocate()
        }
        // Per group: the table stride of a cell step of each window pixel, the fifth vertex's offset (all four
        // steps) and the window pixels' offsets in the key and cell planes.
        let strides = groups.map { group -> [Int32] in
            let n = group.levels.count, row = group.entryBytes
            return [n * n * n * row, n * n * row, n * row, row].map { Int32($0) }
        }
        let fars = strides.map { $0.reduce(0, +) }
        let windows = groups.map { $0.window.map { Int32($0.dy * paddedWidth + $0.dx) } }
        // Reflect-padded key and cell planes, one pair per distinct levels list.
        let columnMap = (0..<paddedWidth).map { Int32(reflect($0 - pad, size.width)) }
        let sampleBytes = bitDepth > 8 ? 2 : 1
        let maxValue = Int32((1 << bitDepth) - 1)
        for (g, lookup) in cellLookups.enumerated() {
            for i in 0..<paddedRows {
                let src = input.row(reflect(lrRows.lowerBound - pad + i, size.height))
                let rowKeys = keys + g * planeCount + i * paddedWidth, rowCells = cells + g * planeCount + i * paddedWidth
                switch lookup {
                case let .uniform(cell, fraction):
                    fillUniform(src, Int32(sampleBytes), columnMap, Int32(pad), Int32(paddedWidth), cell, fraction, maxValue, rowKeys, rowCells)
                case let .table(table):
                    fillCells(src, Int32(sampleBytes), columnMap, Int32(paddedWidth), table, maxValue, rowKeys, rowCells)
                }
            }
        }
        /// Records of set `set` for LR row `y`, at column 0.
        func recordRow(_ set: Int, _ y: Int) -> UnsafeMutableRawPointer {
            let slot = ((y - lowest) % ringRows + ringRows) % ringRows
            return records + (set * ringRows + slot) * rowBytes + margin * recordBytes
        }
        let byRowWidth = switch lanes {
        case .narrow: k.accumulate.0
        case .scaled: k.accumulate.1
        case .wide: k.accumulate.2
        }
        let add = (tables.singleOutput ? k.accumulate_single : tables.sixteenLaneRows ? byRowWidth.1 : byRowWidth.0)!
        // Window rows from the first whose lookups reach lrRows to the last.
        for b in (lrRows.lowerBound - highest)..<(lrRows.upperBound - lowest) {
            for (g, group) in groups.enumerated() {
                var count = 0, first = Int.max, last = Int.min
                for member in group.members where lrRows.contains(b + member.target.dy) {
                    // Each 16-lane chunk of the member's rows is a lookup of its own into its chunk's records; the
                    // chunks of one row are read one after another.
                    for chunk in 0..<chunks {
                        resolved[count] = lut_lookup(table: tables.table(member) + 32 * chunk,
                                                     target: recordRow(chunk * recordSets.count + recordSet[member.lut], b + member.target.dy)
                                                         + member.target.dx * recordBytes,
                                                     multiplier: multipliers[member.lut])
                        count += 1
                    }
                    first = min(first, -member.target.dx)
                    last = max(last, columns - member.target.dx)
                }
                guard count > 0 else { continue }
                let origin = cellTableIndex[g] * planeCount + (b - lrRows.lowerBound + pad) * paddedWidth + pad
                for start in stride(from: first, to: last, by: Int(LUT_WALK_WINDOWS)) {
                    let n = Int32(min(last - start, Int(LUT_WALK_WINDOWS)))
                    prepareWalk(keys + origin, cells + origin, windows[g], Int32(start), n, strides[g], Int16(one), walk)
                    add(walk, Int32(start), n, fars[g], resolved, Int32(count))
                }
            }
            // Row y gets nothing from later window rows.
            let y = b + lowest
            guard lrRows.contains(y) else { continue }
            complete(y, (0..<sets).map { recordRow($0, y) })
        }
    }
}

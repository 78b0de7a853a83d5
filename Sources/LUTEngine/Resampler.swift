import CLUTKernels
#if canImport(Glibc)
import Glibc
#endif
import VideoCore

/// A classic separable interpolation filter, evaluated at any real scale.
public enum ResamplingKernel: String, Sendable, CaseIterable {
    /// The nearest sample (ties, at exactly half-way, to the next one).
    case nearest
    case bilinear
    /// Keys' cubic convolution with a = -0.5 (the bicubic of MATLAB and most SR papers).
    case bicubic
    case lanczos3

    /// Half-width of the kernel's support in source pixels when upscaling.
    var radius: Double {
        switch self {
        case .nearest: 0.5
        case .bilinear: 1
        case .bicubic: 2
        case .lanczos3: 3
        }
    }

    func weight(_ x: Double) -> Double {
        let t = abs(x)
        switch self {
        case .nearest:
            return t < 0.5 ? 1 : 0
        case .bilinear:
            return max(0, 1 - t)
        case .bicubic:
            let a = -0.5
            if t <= 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
            if t < 2 { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a }
            return 0
        case .lanczos3:
            if t < 1e-9 { return 1 }
            if t >= 3 { return 0 }
            let px = Double.pi * t
            return 3 * sin(px) * sin(px / 3) / (px * px)
        }
    }
}

/// Upscales (or downscales) a plane with a `ResamplingKernel`: the baseline the LUT models are measured against and
/// the candidates the arbitrary-scale model mixes.
public struct Resampler: PlaneUpscaler {
    public let kernel: ResamplingKernel

    public init(kernel: ResamplingKernel) {
        self.kernel = kernel
    }

    public var name: String { kernel.rawValue }

    public func makePlan(input: PlaneSize, output: PlaneSize, bitDepth: Int) throws(UpscaleError) -> any UpscalePlan {
        try makePlan(input: input, output: output, bitDepth: bitDepth, kernels: .active)
    }

    /// A plan whose kernels are those of `kernels` rather than the active tier (tests check every tier).
    public func makePlan(input: PlaneSize, output: PlaneSize, bitDepth: Int, kernels: KernelTier) throws(UpscaleError) -> any UpscalePlan {
        guard (8...16).contains(bitDepth) else { throw .unsupportedBitDepth(bitDepth) }
        guard input.width > 0, input.height > 0, output.width > 0, output.height > 0 else {
            throw .unsupportedSize(input: input, output: output, reason: "empty plane")
        }
        return ResamplePlan(
            input: input, output: output, bitDepth: bitDepth,
            horizontal: RowFilter(FilterBank(kernel: kernel, from: input.width, to: output.width), kernels: kernels),
            vertical: FilterBank(kernel: kernel, from: input.height, to: output.height), kernels: kernels)
    }
}

/// Taps of one axis: for each destination index, the first source index and `taps` weights summing to 1.
/// Source indices are clamped into range when the bank is built, so kernels never test bounds.
struct FilterBank: Sendable {
    let taps: Int
    let starts: [Int32]
    /// `taps` weights per destination index, padded with zeros to a multiple of 8 per index.
    let weights: [Float]
    let stride: Int

    init(kernel: ResamplingKernel, from source: Int, to destination: Int) {
        let ratio = Double(source) / Double(destination)
        // Widen the kernel when shrinking so it low-passes (antialiasing); upscaling keeps its natural width.
        let widen = max(1, ratio)
        let support = kernel.radius * widen
        var taps = kernel == .nearest ? 1 : max(1, Int((2 * support).rounded(.up)))
        taps = min(taps, source)
        let stride = (taps + 7) / 8 * 8
        var starts = [Int32](repeating: 0, count: destination)
        var weights = [Float](repeating: 0, count: destination * stride)
        for i in 0..<destination {
            let center = (Double(i) + 0.5) * ratio - 0.5
            if kernel == .nearest {
                // One tap: the sample at floor(center + 0.5), clamped.
                starts[i] = Int32(min(max(Int((center + 0.5).rounded(.down)), 0), source - 1))
                weights[i * stride] = 1
                continue
            }
            var first = Int((center - support).rounded(.up))
            first = min(max(first, 0), source - taps)
            // Weights over the window; kernel positions outside the source fold onto the nearest edge sample.
            var row = [Double](repeating: 0, count: taps)
            let reachFirst = Int((center - support).rounded(.up))
            let reachLast = Int((center + support).rounded(.down))
            for j in reachFirst...max(reachFirst, reachLast) {
                let w = kernel.weight((Double(j) - center) / widen)
                let clamped = min(max(j, 0), source - 1)
                let slot = min(max(clamped - first, 0), taps - 1)
                row[slot] += w
            }
            let total = row.reduce(0, +)
            for k in 0..<taps { weights[i * stride + k] = Float(total != 0 ? row[k] / total : (k == 0 ? 1 : 0)) }
            starts[i] = Int32(first)
        }
        self.taps = taps
        self.starts = starts
        self.weights = weights
        self.stride = stride
    }
}

/// A `FilterBank` regrouped for the horizontal pass, in one of two layouts chosen at plan time:
/// - blocks of 8 destination samples, each reading one window of `window` consecutive source samples with an 8-lane
///   weight vector per window position: `window` broadcast-multiply-adds on 8 lanes instead of 8 separate dot
///   products, whatever the scale (upscaling gives windows of taps + 2 or so; shrinking by r about 8r + taps);
/// - where the tier has float permutes and 16 destination samples never reach past 32 source samples (every
///   upscale), blocks of 16 taking each tap's sources from two registers by one permute: `taps` multiply-adds on
///   16 lanes, where the 8-lane blocks take about taps + 3 each at x2.5. Both give the same bits
///   (`resample_row16`).
struct RowFilter: Sendable {
    enum Layout: Sendable {
        case window(Int)
        /// Per destination sample, its first source sample's offset from its block's start.
        case permuted(taps: Int, offsets: [Int32])
    }

    let layout: Layout
    let blocks: Int
    /// First source sample of each block.
    let starts: [Int32]
    /// Per block, a `lanes`-wide weight vector per window position or tap (zero past the destination's end).
    let weights: [Float]
    /// Source samples the pass may read (the last block may run past the source, which is zero-padded).
    let paddedSourceLength: Int

    init(_ bank: FilterBank, kernels: KernelTier) {
        let count = bank.starts.count
        /// Each block's source span: starts never decrease along the axis, so from its first sample's start to the
        /// furthest reach of its last.
        func span(_ b: Int, _ lanes: Int) -> Int {
            Int(bank.starts[min(count, (b + 1) * lanes) - 1]) + bank.taps - Int(bank.starts[b * lanes])
        }
        let permutes = kernels.kernels.pointee.resample_row16 != nil
            && (0..<(count + 15) / 16).allSatisfy { span($0, 16) <= 32 }
        let lanes = permutes ? 16 : 8
        let blocks = (count + lanes - 1) / lanes
        let starts = (0..<blocks).map { bank.starts[$0 * lanes] }
        let positions = permutes ? bank.taps : (0..<blocks).map { span($0, lanes) }.max() ?? 1
        var weights = [Float](repeating: 0, count: blocks * positions * lanes)
        var offsets = [Int32](repeating: 0, count: permutes ? blocks * lanes : 0)
        for x in 0..<count {
            let b = x / lanes, lane = x % lanes
            let offset = Int(bank.starts[x] - starts[b])
            if permutes { offsets[x] = Int32(offset) }
            for k in 0..<bank.taps {
                weights[(b * positions + (permutes ? 0 : offset) + k) * lanes + lane] = bank.weights[x * bank.stride + k]
            }
        }
        layout = permutes ? .permuted(taps: bank.taps, offsets: offsets) : .window(positions)
        self.blocks = blocks
        self.starts = starts
        self.weights = weights
        paddedSourceLength = Int(starts.last ?? 0) + (permutes ? 32 : positions)
    }

    /// Destination samples per block.
    var lanes: Int {
        if case .permuted = layout { return 16 }
        return 8
    }

    /// Destination samples `apply` writes: whole blocks.
    var paddedLength: Int { blocks * lanes }

    /// Filters `line` (`paddedSourceLength` samples) into `out` (`paddedLength`).
    func apply(_ kernels: lut_kernels, _ line: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        starts.withUnsafeBufferPointer { starts in
            weights.withUnsafeBufferPointer { weights in
                switch layout {
                case let .window(window):
                    kernels.resample_row!(line, starts.baseAddress, weights.baseAddress, Int32(blocks), Int32(window), out)
                case let .permuted(taps, offsets):
                    offsets.withUnsafeBufferPointer { offsets in
                        kernels.resample_row16!(line, starts.baseAddress, offsets.baseAddress, weights.baseAddress,
                                                Int32(blocks), Int32(taps), out)
                    }
                }
            }
        }
    }
}

/// Horizontal pass first (each source row once, into a band-local cache), then the vertical pass over whole rows,
/// which is contiguous and vectorises well; both in the kernels of the plan's instruction-set tier.
struct ResamplePlan: UpscalePlan {
    let input: PlaneSize
    let output: PlaneSize
    let bitDepth: Int
    let horizontal: RowFilter
    let vertical: FilterBank
    let kernels: KernelTier

    var rowAlignment: Int { 1 }

    func render(_ source: PlaneView, into destination: MutablePlaneView, rows: Range<Int>) {
        precondition(source.size == input && destination.size == output, "plane sizes differ from the plan")
        precondition(source.bitDepth == bitDepth && destination.bitDepth == bitDepth, "bit depth differs from the plan")
        guard !rows.isEmpty else { return }
        let k = kernels.kernels.pointee
        let sampleBytes = Int32(source.bytesPerSample)
        // Source rows this band reads.
        let firstRow = Int(vertical.starts[rows.lowerBound])
        let lastRow = Int(vertical.starts[rows.upperBound - 1]) + vertical.taps - 1
        let cachedRows = lastRow - firstRow + 1
        // Rows hold whole blocks of the horizontal filter.
        let cacheStride = horizontal.paddedLength
        let cache = UnsafeMutablePointer<Float>.allocate(capacity: cachedRows * cacheStride)
        let line = UnsafeMutablePointer<Float>.allocate(capacity: horizontal.paddedSourceLength)
        let sum = UnsafeMutablePointer<Float>.allocate(capacity: cacheStride)
        defer {
            cache.deallocate()
            line.deallocate()
            sum.deallocate()
        }
        line.initialize(repeating: 0, count: horizontal.paddedSourceLength)
        for r in 0..<cachedRows {
            k.samples_to_floats!(source.base + (firstRow + r) * source.bytesPerRow, sampleBytes, Int32(input.width), line)
            horizontal.apply(k, line, cache + r * cacheStride)
        }
        vertical.weights.withUnsafeBufferPointer { weights in
            for y in rows {
                k.resample_column!(cache + (Int(vertical.starts[y]) - firstRow) * cacheStride, cacheStride, weights.baseAddress! + y * vertical.stride,
                                   Int32(vertical.taps), Int32(cacheStride), sum)
                k.floats_to_samples!(sum, Int32((1 << bitDepth) - 1), sampleBytes, Int32(output.width),
                                     destination.base + y * destination.bytesPerRow)
            }
        }
    }
}

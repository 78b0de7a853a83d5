#if canImport(Glibc)
import Glibc
#endif

/// A classic separable interpolation filter, evaluated at any real scale.
public enum ResamplingKernel: String, Sendable, CaseIterable {
    case bilinear
    /// Keys' cubic convolution with a = -0.5 (the bicubic of MATLAB and most SR papers).
    case bicubic
    case lanczos3

    /// Half-width of the kernel's support in source pixels when upscaling.
    var radius: Double {
        switch self {
        case .bilinear: 1
        case .bicubic: 2
        case .lanczos3: 3
        }
    }

    func weight(_ x: Double) -> Double {
        let t = abs(x)
        switch self {
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
        guard (8...16).contains(bitDepth) else { throw .unsupportedBitDepth(bitDepth) }
        guard input.width > 0, input.height > 0, output.width > 0, output.height > 0 else {
            throw .unsupportedSize(input: input, output: output, reason: "empty plane")
        }
        return ResamplePlan(
            input: input, output: output, bitDepth: bitDepth,
            horizontal: FilterBank(kernel: kernel, from: input.width, to: output.width),
            vertical: FilterBank(kernel: kernel, from: input.height, to: output.height))
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
    /// Source length the horizontal kernel may read up to (start + stride), for padding its row buffer.
    let paddedSourceLength: Int

    init(kernel: ResamplingKernel, from source: Int, to destination: Int) {
        let ratio = Double(source) / Double(destination)
        // Widen the kernel when shrinking so it low-passes (antialiasing); upscaling keeps its natural width.
        let widen = max(1, ratio)
        let support = kernel.radius * widen
        var taps = max(1, Int((2 * support).rounded(.up)))
        taps = min(taps, source)
        let stride = (taps + 7) / 8 * 8
        var starts = [Int32](repeating: 0, count: destination)
        var weights = [Float](repeating: 0, count: destination * stride)
        for i in 0..<destination {
            let center = (Double(i) + 0.5) * ratio - 0.5
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
        self.paddedSourceLength = source + stride
    }
}

/// Horizontal pass first (each source row once, into a band-local cache), then the vertical pass over whole rows,
/// which is contiguous and vectorises well.
struct ResamplePlan: UpscalePlan {
    let input: PlaneSize
    let output: PlaneSize
    let bitDepth: Int
    let horizontal: FilterBank
    let vertical: FilterBank

    var rowAlignment: Int { 1 }

    func render(_ source: PlaneView, into destination: MutablePlaneView, rows: Range<Int>) {
        precondition(source.size == input && destination.size == output, "plane sizes differ from the plan")
        precondition(source.bitDepth == bitDepth && destination.bitDepth == bitDepth, "bit depth differs from the plan")
        guard !rows.isEmpty else { return }
        if bitDepth > 8 {
            run(UInt16.self, source, destination, rows)
        } else {
            run(UInt8.self, source, destination, rows)
        }
    }

    private func run<S: FixedWidthInteger & UnsignedInteger & SIMDScalar>(
        _: S.Type, _ source: PlaneView, _ destination: MutablePlaneView, _ rows: Range<Int>
    ) {
        // Source rows this band reads.
        let firstRow = Int(vertical.starts[rows.lowerBound])
        let lastRow = Int(vertical.starts[rows.upperBound - 1]) + vertical.taps - 1
        let cachedRows = lastRow - firstRow + 1
        let outWidth = output.width
        let cacheStride = (outWidth + 15) / 16 * 16
        let cache = UnsafeMutablePointer<Float>.allocate(capacity: cachedRows * cacheStride)
        let line = UnsafeMutablePointer<Float>.allocate(capacity: horizontal.paddedSourceLength)
        defer {
            cache.deallocate()
            line.deallocate()
        }
        line.initialize(repeating: 0, count: horizontal.paddedSourceLength)
        horizontal.weights.withUnsafeBufferPointer { hw in
            horizontal.starts.withUnsafeBufferPointer { hs in
                for r in 0..<cachedRows {
                    let src = (source.base + (firstRow + r) * source.bytesPerRow).assumingMemoryBound(to: S.self)
                    for x in 0..<input.width { line[x] = Float(src[x]) }
                    filterRow(line, into: cache + r * cacheStride, count: outWidth, starts: hs.baseAddress!, weights: hw.baseAddress!)
                }
            }
        }
        let maxValue = Float((1 << bitDepth) - 1)
        let sum = UnsafeMutablePointer<Float>.allocate(capacity: outWidth)
        defer { sum.deallocate() }
        vertical.weights.withUnsafeBufferPointer { vw in
            for y in rows {
                let start = Int(vertical.starts[y]) - firstRow
                let w = vw.baseAddress! + y * vertical.stride
                // Plain loops over whole rows: the compiler vectorises these (the generic SIMD types did not).
                let first = cache + start * cacheStride
                for x in 0..<outWidth { sum[x] = w[0] * first[x] }
                for k in 1..<max(1, vertical.taps) {
                    let row = cache + (start + k) * cacheStride
                    let wk = w[k]
                    for x in 0..<outWidth { sum[x] += wk * row[x] }
                }
                let dst = (destination.base + y * destination.bytesPerRow).assumingMemoryBound(to: S.self)
                for x in 0..<outWidth {
                    // Adding 1.5 * 2^23 leaves round-half-even(value) in the low mantissa bits.
                    let v = min(max(sum[x], 0), maxValue) + 12_582_912
                    dst[x] = S(truncatingIfNeeded: v.bitPattern & 0xFFFF)
                }
            }
        }
    }

    /// One row through the horizontal filter bank: a short dot product per destination sample.
    private func filterRow(_ line: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int,
                           starts: UnsafePointer<Int32>, weights: UnsafePointer<Float>) {
        let taps = horizontal.taps
        let stride = horizontal.stride
        for x in 0..<count {
            let src = line + Int(starts[x])
            let w = weights + x * stride
            var acc: Float = 0
            for k in 0..<taps { acc += src[k] * w[k] }
            out[x] = acc
        }
    }
}

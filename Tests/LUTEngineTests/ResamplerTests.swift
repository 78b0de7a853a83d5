import Foundation
import TestSupport
import Testing
import VideoCore
@testable import LUTEngine

/// Straightforward double-precision resampling, written independently of the plan/kernel split, as the reference
/// the fast kernels are checked against.
private func referenceResample(_ plane: PlaneBuffer, to size: PlaneSize, kernel: ResamplingKernel) -> [Int] {
    func axisWeights(_ n: Int, _ m: Int) -> [[(Int, Double)]] {
        let ratio = Double(n) / Double(m)
        let widen = max(1, ratio)
        let support = kernel.radius * widen
        return (0..<m).map { i in
            let center = (Double(i) + 0.5) * ratio - 0.5
            // Nearest picks one sample, ties to the next, at any ratio (no widening).
            if kernel == .nearest { return [(min(max(Int((center + 0.5).rounded(.down)), 0), n - 1), 1)] }
            var taps: [(Int, Double)] = []
            var j = Int((center - support).rounded(.up))
            while Double(j) <= center + support {
                taps.append((min(max(j, 0), n - 1), kernel.weight((Double(j) - center) / widen)))
                j += 1
            }
            let total = taps.reduce(0) { $0 + $1.1 }
            return taps.map { ($0.0, $0.1 / total) }
        }
    }
    let wx = axisWeights(plane.size.width, size.width)
    let wy = axisWeights(plane.size.height, size.height)
    let maxValue = Double((1 << plane.bitDepth) - 1)
    var out: [Int] = []
    for y in 0..<size.height {
        for x in 0..<size.width {
            var acc = 0.0
            for (sy, vy) in wy[y] { for (sx, vx) in wx[x] { acc += vy * vx * Double(plane[sx, sy]) } }
            out.append(Int(min(max(acc, 0), maxValue).rounded(.toNearestOrEven)))
        }
    }
    return out
}

private func randomPlane(_ w: Int, _ h: Int, bitDepth: Int, seed: UInt64) -> PlaneBuffer {
    var rng = SeededGenerator(seed: seed)
    let maxValue = UInt64((1 << bitDepth) - 1)
    if bitDepth == 8 {
        return PlaneBuffer(width: w, height: h, samples: (0..<w * h).map { _ in UInt8(rng.next() % (maxValue + 1)) })
    }
    return PlaneBuffer(width: w, height: h, bitDepth: bitDepth, samples: (0..<w * h).map { _ in UInt16(rng.next() % (maxValue + 1)) })
}

private func resample(_ plane: PlaneBuffer, to size: PlaneSize, kernel: ResamplingKernel, parallel: Bool = false,
                      kernels: KernelTier = .active) throws -> PlaneBuffer {
    let plan = try Resampler(kernel: kernel).makePlan(input: plane.size, output: size, bitDepth: plane.bitDepth, kernels: kernels)
    let out = PlaneBuffer(size: size, bitDepth: plane.bitDepth)
    if parallel {
        plan.renderParallel(plane.view, into: out.mutableView, workers: 3)
    } else {
        plan.render(plane.view, into: out.mutableView, rows: 0..<size.height)
    }
    return out
}

@Suite struct ResamplerTests {
    @Test(arguments: ResamplingKernel.allCases, KernelTier.available)
    func matchesReferenceAtManyScales(kernel: ResamplingKernel, kernels: KernelTier) throws {
        let cases: [(PlaneSize, PlaneSize, Int)] = [
            (PlaneSize(width: 37, height: 23), PlaneSize(width: 74, height: 46), 8),
            (PlaneSize(width: 40, height: 30), PlaneSize(width: 90, height: 68), 8),      // x2.25
            (PlaneSize(width: 33, height: 17), PlaneSize(width: 99, height: 51), 10),     // x3, 10-bit
            (PlaneSize(width: 21, height: 19), PlaneSize(width: 30, height: 60), 16),     // different x and y scales
            (PlaneSize(width: 64, height: 48), PlaneSize(width: 32, height: 20), 8),      // shrinking widens the kernel
            (PlaneSize(width: 5, height: 3), PlaneSize(width: 17, height: 11), 8),        // smaller than the kernel
            (PlaneSize(width: 203, height: 9), PlaneSize(width: 23, height: 5), 8),       // shrinking x8.8: wide windows
            (PlaneSize(width: 1280, height: 4), PlaneSize(width: 3840, height: 12), 8),   // 720p -> 2160p rows
        ]
        for (index, (input, output, depth)) in cases.enumerated() {
            let plane = randomPlane(input.width, input.height, bitDepth: depth, seed: UInt64(index + 1))
            let fast = try resample(plane, to: output, kernel: kernel, kernels: kernels).samples
            let reference = referenceResample(plane, to: output, kernel: kernel)
            let worst = zip(fast, reference).map { abs($0 - $1) }.max()!
            #expect(worst <= 1, "\(kernel) \(input)->\(output) \(depth)-bit: max difference \(worst)")
        }
    }

    @Test(arguments: ResamplingKernel.allCases)
    func sameSizeIsIdentity(kernel: ResamplingKernel) throws {
        let plane = randomPlane(31, 9, bitDepth: 8, seed: 7)
        #expect(try resample(plane, to: plane.size, kernel: kernel).samples == plane.samples)
    }

    @Test("every kernel tier gives the same bits (no fused multiply-adds)", arguments: ResamplingKernel.allCases)
    func tiersAgreeBitForBit(kernel: ResamplingKernel) throws {
        for (index, depth) in [8, 10, 16].enumerated() {
            let plane = randomPlane(45, 31, bitDepth: depth, seed: UInt64(40 + index))
            let size = PlaneSize(width: 101, height: 70)
            let outputs = try KernelTier.available.map { try resample(plane, to: size, kernel: kernel, kernels: $0).samples }
            #expect(outputs.allSatisfy { $0 == outputs[0] }, "\(kernel) \(depth)-bit")
        }
    }

    @Test("the horizontal pass permutes 16 samples where the tier can and 16 outputs stay within 32 sources")
    func horizontalLayoutFollowsTierAndSpan() {
        func permutes(_ from: Int, _ to: Int, _ kernels: KernelTier) -> Bool {
            if case .permuted = RowFilter(FilterBank(kernel: .lanczos3, from: from, to: to), kernels: kernels).layout { return true }
            return false
        }
        for kernels in KernelTier.available {
            // The AVX-512 tiers have float permutes.
            let hasPermutes = kernels.rawValue >= KernelTier.avx512.rawValue
            #expect(permutes(1280, 3200, kernels) == hasPermutes, "\(kernels): x2.5")
            #expect(permutes(64, 48, kernels) == hasPermutes, "\(kernels): shrinking by 4/3 still fits")
            #expect(!permutes(203, 23, kernels), "\(kernels): shrinking x8.8 spans far more than 32 sources")
        }
    }

    @Test func flatPlaneStaysFlat() throws {
        let plane = PlaneBuffer(width: 13, height: 7, samples: [UInt8](repeating: 200, count: 91))
        let out = try resample(plane, to: PlaneSize(width: 47, height: 29), kernel: .lanczos3)
        #expect(Set(out.samples) == [200])
    }

    @Test func parallelBandsEqualOneBand() throws {
        let plane = randomPlane(64, 36, bitDepth: 8, seed: 3)
        let size = PlaneSize(width: 192, height: 108)
        #expect(try resample(plane, to: size, kernel: .bicubic, parallel: true).samples
            == resample(plane, to: size, kernel: .bicubic).samples)
    }

    @Test func rejectsEmptyPlanesAndBadDepths() {
        let resampler = Resampler(kernel: .bicubic)
        #expect(throws: UpscaleError.self) {
            try resampler.makePlan(input: PlaneSize(width: 0, height: 4), output: PlaneSize(width: 8, height: 8), bitDepth: 8)
        }
        #expect(throws: UpscaleError.unsupportedBitDepth(20)) {
            try resampler.makePlan(input: PlaneSize(width: 4, height: 4), output: PlaneSize(width: 8, height: 8), bitDepth: 20)
        }
    }
}

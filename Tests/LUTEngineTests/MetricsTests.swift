import Testing
import VideoCore
@testable import LUTEngine

@Suite struct MetricsTests {
    /// 32x24 deterministic patterns; the expected figures below come from an independent NumPy/SciPy
    /// implementation of the same formulas (outer-product Gaussian window, scipy.signal.convolve2d 'valid').
    static let width = 32, height = 24
    static let a = pattern { x, y in (x * 7 + y * 13) % 256 }
    static let b = pattern { x, y in (x * x + 3 * y + 17) % 256 }

    static func pattern(_ f: (Int, Int) -> Int) -> [Double] {
        var out: [Double] = []
        for y in 0..<height { for x in 0..<width { out.append(Double(f(x, y))) } }
        return out
    }

    @Test func lumaOfBT601LimitedRange() {
        #expect(Metrics.luma(r: 0, g: 0, b: 0) == 16)
        #expect(abs(Metrics.luma(r: 255, g: 255, b: 255) - 235) < 1e-12)
        #expect(abs(Metrics.luma(r: 255, g: 0, b: 0) - (16 + 65.481)) < 1e-12)
        #expect(Metrics.luma(rgb: [0, 0, 0, 255, 255, 255]).count == 2)
    }

    @Test func psnrKnownCases() {
        let plane = Self.a
        #expect(Metrics.psnr(plane, plane, width: Self.width, height: Self.height) == .infinity)
        let offByOne = plane.map { $0 + 1 }
        #expect(abs(Metrics.psnr(plane, offByOne, width: Self.width, height: Self.height) - 10 * log10(255.0 * 255)) < 1e-12)
        #expect(abs(Metrics.psnr(Self.a, Self.b, width: Self.width, height: Self.height) - 8.235860480952011) < 1e-9)
        // Differences only in a 2-pixel border vanish with shave 2.
        var border = plane
        for y in 0..<Self.height {
            for x in 0..<Self.width {
                let edge = x < 2 || y < 2 || x >= Self.width - 2 || y >= Self.height - 2
                if edge { border[y * Self.width + x] += 50 }
            }
        }
        #expect(Metrics.psnr(plane, border, width: Self.width, height: Self.height, shave: 2) == .infinity)
        #expect(Metrics.psnr(plane, border, width: Self.width, height: Self.height, shave: 1) < 30)
        // Strides: compare the top-left 10x10 of a wider plane.
        var wide: [Double] = []
        for y in 0..<Self.height { wide += plane[y * Self.width..<(y + 1) * Self.width] + [9, 9, 9] }
        #expect(Metrics.psnr(plane, wide, width: 10, height: 10, strideA: Self.width, strideB: Self.width + 3) == .infinity)
    }

    @Test func planeOverloads() {
        let a = PlaneBuffer(width: 3, height: 2, bitDepth: 10, samples: [0, 1023, 5, 7, 9, 11])
        let b = PlaneBuffer(width: 4, height: 2, bitDepth: 10, samples: [1, 1022, 6, 0, 8, 10, 12, 0])
        #expect(Metrics.psnr(a.view, a.view) == .infinity)
        #expect(abs(Metrics.psnr(a.view, b.view) - 10 * log10(1023.0 * 1023)) < 1e-12)
        let big = PlaneBuffer(width: Self.width, height: Self.height, samples: Self.a.map { UInt8($0) })
        let other = PlaneBuffer(width: Self.width, height: Self.height, samples: Self.b.map { UInt8($0) })
        #expect(abs(Metrics.ssim(big.view, other.view) - 0.08419491469106338) < 1e-9)
    }

    @Test func ssimKnownCases() {
        #expect(abs(Metrics.ssim(Self.a, Self.a, width: Self.width, height: Self.height) - 1) < 1e-12)
        #expect(abs(Metrics.ssim(Self.a, Self.b, width: Self.width, height: Self.height) - 0.08419491469106338) < 1e-9)
        #expect(abs(Metrics.ssim(Self.a, Self.b, width: Self.width, height: Self.height, shave: 2) - 0.07029881932306373) < 1e-9)
        // Constant planes: only the luminance term remains, (2xy + C1) / (x^2 + y^2 + C1).
        let c1 = (0.01 * 255) * (0.01 * 255)
        let x = [Double](repeating: 100, count: 400), y = [Double](repeating: 120, count: 400)
        let expected = (2 * 100 * 120 + c1) / (100 * 100 + 120 * 120 + c1)
        #expect(abs(Metrics.ssim(x, y, width: 20, height: 20) - expected) < 1e-12)
        #expect(abs(Metrics.ssim(Self.a, Self.b, width: Self.width, height: Self.height) - Metrics.ssim(Self.b, Self.a, width: Self.width, height: Self.height)) < 1e-12)
    }
}

#if canImport(Glibc)
import Glibc
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VideoCore

/// Image-quality measures as super-resolution papers compute them (on Y of BT.601 limited range).
public enum Metrics {
    /// Y of BT.601 limited range from 8-bit R, G, B: 16 + (65.481 R + 128.553 G + 24.966 B) / 255, unrounded.
    @inlinable
    public static func luma(r: Double, g: Double, b: Double) -> Double {
        16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    }

    /// Y of every pixel of interleaved 8-bit RGB (rgb24), row-major.
    public static func luma(rgb: [UInt8]) -> [Double] {
        precondition(rgb.count % 3 == 0, "rgb24 data must hold whole pixels")
        return (0..<rgb.count / 3).map { luma(r: Double(rgb[3 * $0]), g: Double(rgb[3 * $0 + 1]), b: Double(rgb[3 * $0 + 2])) }
    }

    /// Top-left `width` x `height` crop minus `shave` samples on every side of a row-major plane `stride` wide.
    static func shaved(_ plane: [Double], stride: Int, width: Int, height: Int, shave: Int) -> [Double] {
        var out: [Double] = []
        for y in shave..<max(shave, height - shave) {
            out += plane[y * stride + shave..<y * stride + max(shave, width - shave)]
        }
        return out
    }

    /// PSNR in dB (peak 255 by default) between two planes compared over their common top-left `width` x
    /// `height` area, minus `shave` samples on every border. Identical planes give +infinity.
    public static func psnr(_ a: [Double], _ b: [Double], width: Int, height: Int, strideA: Int? = nil, strideB: Int? = nil,
                            shave: Int = 0, peak: Double = 255) -> Double {
        let x = shaved(a, stride: strideA ?? width, width: width, height: height, shave: shave)
        let y = shaved(b, stride: strideB ?? width, width: width, height: height, shave: shave)
        precondition(!x.isEmpty, "nothing left to compare after shaving \(shave)")
        let mse = zip(x, y).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(x.count)
        return 10 * log10(peak * peak / mse)
    }

    /// Mean SSIM (Wang et al. 2004) as SR papers compute it on Y: 11x11 Gaussian window with sigma 1.5,
    /// K1 = 0.01, K2 = 0.03, dynamic range `peak`, statistics over the 'valid' windows only (no padding).
    /// Planes are compared over their common top-left `width` x `height` area minus `shave` per border.
    public static func ssim(_ a: [Double], _ b: [Double], width: Int, height: Int, strideA: Int? = nil, strideB: Int? = nil,
                            shave: Int = 0, peak: Double = 255) -> Double {
        let w = width - 2 * shave, h = height - 2 * shave
        precondition(w >= 11 && h >= 11, "SSIM needs at least 11x11 samples after shaving")
        let x = shaved(a, stride: strideA ?? width, width: width, height: height, shave: shave)
        let y = shaved(b, stride: strideB ?? width, width: width, height: height, shave: shave)
        let c1 = (0.01 * peak) * (0.01 * peak), c2 = (0.03 * peak) * (0.03 * peak)
        let muX = gaussianValid(x, width: w, height: h)
        let muY = gaussianValid(y, width: w, height: h)
        let xx = gaussianValid(zip(x, x).map { $0 * $1 }, width: w, height: h)
        let yy = gaussianValid(zip(y, y).map { $0 * $1 }, width: w, height: h)
        let xy = gaussianValid(zip(x, y).map { $0 * $1 }, width: w, height: h)
        var total = 0.0
        for i in muX.indices {
            let mx = muX[i], my = muY[i]
            let sx = xx[i] - mx * mx, sy = yy[i] - my * my, sxy = xy[i] - mx * my
            total += ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sx + sy + c2))
        }
        return total / Double(muX.count)
    }

    /// PSNR of two planes of one bit depth over their common top-left area minus `shave` per border, with
    /// the bit depth's maximum as peak.
    public static func psnr(_ a: PlaneView, _ b: PlaneView, shave: Int = 0) -> Double {
        let (x, y, w, h) = common(a, b)
        return psnr(x, y, width: w, height: h, shave: shave, peak: Double(a.maxValue))
    }

    /// SSIM of two planes of one bit depth over their common top-left area minus `shave` per border, with
    /// the bit depth's maximum as dynamic range.
    public static func ssim(_ a: PlaneView, _ b: PlaneView, shave: Int = 0) -> Double {
        let (x, y, w, h) = common(a, b)
        return ssim(x, y, width: w, height: h, shave: shave, peak: Double(a.maxValue))
    }

    private static func common(_ a: PlaneView, _ b: PlaneView) -> ([Double], [Double], Int, Int) {
        precondition(a.bitDepth == b.bitDepth, "planes of \(a.bitDepth) and \(b.bitDepth) bits")
        let w = min(a.size.width, b.size.width), h = min(a.size.height, b.size.height)
        func samples(_ p: PlaneView) -> [Double] {
            var out: [Double] = []
            out.reserveCapacity(w * h)
            for y in 0..<h {
                let row = p.base + y * p.bytesPerRow
                for x in 0..<w {
                    out.append(p.bitDepth > 8 ? Double(row.load(fromByteOffset: 2 * x, as: UInt16.self))
                                              : Double(row.load(fromByteOffset: x, as: UInt8.self)))
                }
            }
            return out
        }
        return (samples(a), samples(b), w, h)
    }

    /// Normalised 11-tap Gaussian, sigma 1.5 (the 2-D window is its outer product).
    static let gaussian: [Double] = {
        let taps = (-5...5).map { exp(-Double($0 * $0) / (2 * 1.5 * 1.5)) }
        let sum = taps.reduce(0, +)
        return taps.map { $0 / sum }
    }()

    /// Separable 11x11 Gaussian filter keeping only windows fully inside the plane: (w-10) x (h-10) values.
    static func gaussianValid(_ plane: [Double], width: Int, height: Int) -> [Double] {
        let ow = width - 10, oh = height - 10
        var horizontal = [Double](repeating: 0, count: ow * height)
        for y in 0..<height {
            for x in 0..<ow {
                var s = 0.0
                for k in 0..<11 { s += gaussian[k] * plane[y * width + x + k] }
                horizontal[y * ow + x] = s
            }
        }
        var out = [Double](repeating: 0, count: ow * oh)
        for y in 0..<oh {
            for x in 0..<ow {
                var s = 0.0
                for k in 0..<11 { s += gaussian[k] * horizontal[(y + k) * ow + x] }
                out[y * ow + x] = s
            }
        }
        return out
    }
}

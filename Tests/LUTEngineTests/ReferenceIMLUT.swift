import Foundation
import VideoCore
@testable import LUTEngine

/// A slow, literal reading of docs/imlut.md in Double: per output pixel it recomputes the geometry, every
/// candidate from its kernel, the mix vector of the anchor (rotated reads, node mapping through rho_r^-1),
/// the bilinear node weights and the mixed value, clamped and rounded; pre-stages by the literal srlut reference
/// (`ReferenceLUT`) at upscale 1. It shares no code with the engine.
struct ReferenceIMLUT {
    let spec: IMLUTSpec

    func run(_ plane: [Int], width: Int, height: Int, output: PlaneSize, bitDepth: Int) -> [Int] {
        let maxValue = Double((1 << bitDepth) - 1)
        return values(plane, width: width, height: height, output: output, bitDepth: bitDepth)
            .map { Int(min(max($0, 0), maxValue).rounded(.toNearestOrEven)) }
    }

    /// The values before clamping and rounding.
    func values(_ plane: [Int], width: Int, height: Int, output: PlaneSize, bitDepth: Int) -> [Double] {
        let plane = spec.preStages.isEmpty ? plane
            : ReferenceLUT(spec: LUTModelSpec(name: "pre-stages", scale: 1, stages: spec.preStages)).run(plane, width: width, height: height, bitDepth: bitDepth)
        let unit = Double(1 << (bitDepth - 8))
        let outW = output.width, outH = output.height
        let sx = Double(outW) / Double(width), sy = Double(outH) / Double(height)
        let s = (sx * sy).squareRoot()
        let bins = spec.scaleBins, nb = bins.count
        var g = [Double](repeating: 0, count: nb)
        if s <= bins[0] { g[0] = 1 } else if s >= bins[nb - 1] { g[nb - 1] = 1 } else {
            for b in 0..<nb - 1 where bins[b] <= s && s < bins[b + 1] {
                g[b + 1] = (s - bins[b]) / (bins[b + 1] - bins[b])
                g[b] = 1 - g[b + 1]
            }
        }
        // The scale runs on the most nodes among the bins it blends.
        let n = (0..<nb).filter { g[$0] != 0 }.map { spec.phaseNodes[$0] }.max()!, k = spec.interpolators.count
        var binStart = [0]
        for nodes in spec.phaseNodes { binStart.append(binStart.last! + nodes * nodes * k) }
        func pixel(_ y: Int, _ x: Int) -> Double { Double(plane[y * width + x]) }

        func candidate(_ interpolator: IMLUTSpec.Interpolator, u: Double, v: Double) -> Double {
            func taps(_ t: Double) -> [(Int, Double)] {
                let f = Int(t.rounded(.down))
                switch interpolator {
                case .constant: return []
                case .nearest: return [(Int((t + 0.5).rounded(.down)), 1)]
                case .bilinear: return [(f, 1 - (t - Double(f))), (f + 1, t - Double(f))]
                case .bicubic: return (f - 1...f + 2).map { ($0, keys(t - Double($0))) }
                case .lanczos3: return (f - 2...f + 3).map { i in
                    let d = t - Double(i)
                    return (i, abs(d) < 3 ? sinc(d) * sinc(d / 3) : 0)
                } }
            }
            if interpolator == .constant { return unit }
            let tx = taps(u), ty = taps(v)
            let sumX = tx.reduce(0) { $0 + $1.1 }, sumY = ty.reduce(0) { $0 + $1.1 }
            var total = 0.0
            for (iy, wy) in ty {
                for (ix, wx) in tx {
                    total += (wy / sumY) * (wx / sumX) * pixel(min(max(iy, 0), height - 1), min(max(ix, 0), width - 1))
                }
            }
            return total
        }

        func rho(_ o: (Double, Double), _ r: Int) -> (Double, Double) {
            switch r {
            case 0: o
            case 1: (-o.1, o.0)
            case 2: (-o.0, -o.1)
            default: (o.1, -o.0)
            }
        }

        /// The simplex-interpolated row (before the scale-bin blend) of `lut` at real values `values`.
        func interpolate(_ lut: LUTModelSpec.LUT, _ values: [Double]) -> [Double] {
            let levels = lut.levels.map { Double($0) * unit }, count = levels.count
            var cells = [Int](), fractions = [Double]()
            for value in values {
                var c = 0
                while value >= levels[c + 1] { c += 1 }
                cells.append(c)
                fractions.append((value - levels[c]) / (levels[c + 1] - levels[c]))
            }
            let walk = [0, 1, 2, 3].sorted { fractions[$0] > fractions[$1] }
            var weights = [1 - fractions[walk[0]]]
            for step in 1..<4 { weights.append(fractions[walk[step - 1]] - fractions[walk[step]]) }
            weights.append(fractions[walk[3]])
            var row = [Double](repeating: 0, count: lut.table.outputs)
            var vertex = cells
            for step in 0..<5 {
                if step > 0 { vertex[walk[step - 1]] += 1 }
                let entry = ((vertex[0] * count + vertex[1]) * count + vertex[2]) * count + vertex[3]
                for o in 0..<row.count { row[o] += weights[step] * lut.table.real(entry * lut.table.outputs + o) }
            }
            return row
        }

        func mixVector(_ ny: Int, _ nx: Int) -> [Double] {
            var result = [Double](repeating: 0, count: n * n * k)
            for lut in spec.mix {
                for r in 0..<lut.rotations {
                    let values = lut.pattern.offsets.map { o -> Double in
                        let (dy, dx) = rho((Double(o.dy), Double(o.dx)), r)
                        return pixel(mirror(ny + Int(dy), height), mirror(nx + Int(dx), width))
                    }
                    let row = interpolate(lut, values)
                    for jy in 0..<n {
                        for jx in 0..<n {
                            let o = (-0.5 + Double(jy) / Double(n - 1), -0.5 + Double(jx) / Double(n - 1))
                            let q = rho(o, (4 - r) % 4)  // rho_r^-1
                            let qy = Int(((q.0 + 0.5) * Double(n - 1)).rounded()), qx = Int(((q.1 + 0.5) * Double(n - 1)).rounded())
                            for i in 0..<k {
                                var blended = 0.0
                                for b in 0..<nb where g[b] != 0 {
                                    // Bin b's nodes, bilinearly at the place of node (qy, qx) of the n x n grid.
                                    let m = spec.phaseNodes[b], scale = Double(m - 1) / Double(n - 1)
                                    for py in 0..<m {
                                        for px in 0..<m {
                                            let tent = max(0, 1 - abs(Double(qy) * scale - Double(py))) * max(0, 1 - abs(Double(qx) * scale - Double(px)))
                                            blended += g[b] * tent * row[binStart[b] + (py * m + px) * k + i]
                                        }
                                    }
                                }
                                result[(jy * n + jx) * k + i] += blended
                            }
                        }
                    }
                }
            }
            return result
        }

        var mixed = [Double](repeating: 0, count: outW * outH)
        var vectors: [Int: [Double]] = [:]  // memo of the mix vectors by LR pixel
        for y in 0..<outH {
            for x in 0..<outW {
                let u = (Double(x) + 0.5) / sx - 0.5, v = (Double(y) + 0.5) / sy - 0.5
                let ny = Int((v + 0.5).rounded(.down)), nx = Int((u + 0.5).rounded(.down))
                let gy = (v - Double(ny) + 0.5) * Double(n - 1), gx = (u - Double(nx) + 0.5) * Double(n - 1)
                let mix = vectors[ny * width + nx] ?? mixVector(ny, nx)
                vectors[ny * width + nx] = mix
                var value = 0.0
                for (i, interpolator) in spec.interpolators.enumerated() {
                    var weight = 0.0
                    for jy in 0..<n {
                        for jx in 0..<n {
                            let beta = max(0, 1 - abs(gy - Double(jy))) * max(0, 1 - abs(gx - Double(jx)))
                            weight += beta * mix[(jy * n + jx) * k + i]
                        }
                    }
                    value += weight * candidate(interpolator, u: u, v: v)
                }
                mixed[y * outW + x] = value
            }
        }
        return mixed
    }

    func keys(_ x: Double) -> Double {
        let t = abs(x)
        if t <= 1 { return 1.5 * t * t * t - 2.5 * t * t + 1 }
        if t < 2 { return -0.5 * t * t * t + 2.5 * t * t - 4 * t + 2 }
        return 0
    }

    func sinc(_ x: Double) -> Double { x == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x) }

    /// NumPy pad(mode='reflect') index.
    func mirror(_ i: Int, _ size: Int) -> Int {
        if size == 1 { return 0 }
        var i = i
        while i >= size || i < 0 { i = i >= size ? 2 * (size - 1) - i : -i }
        return i
    }
}

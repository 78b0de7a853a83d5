@testable import LUTEngine

/// A slow, plain implementation of LUT inference written from the format description (notes/lut-format.md)
/// and SR-LUT's reference steps: it really rotates the image, pads it, interpolates in Double and rotates the
/// blocks back. It shares no code with the engine beyond the model description.
///
/// With `quirk`, it reproduces the SR-LUT reference's mis-ordered simplex case (fc > fd > fa > fb walks
/// c, a, d, b instead of c, d, a, b), which makes it bit-exact with the published outputs.
struct ReferenceLUT {
    var spec: LUTModelSpec
    var quirk = false

    struct Plane {
        var width: Int
        var height: Int
        var values: [Double]
        subscript(y: Int, x: Int) -> Double {
            get { values[y * width + x] }
            set { values[y * width + x] = newValue }
        }
    }

    /// Upscales a row-major d-bit plane; the result is scale x the input size (not cropped).
    func run(_ samples: [Int], width: Int, height: Int, bitDepth: Int) -> [Int] {
        var image = Plane(width: width, height: height, values: samples.map(Double.init))
        let unit = Double(1 << (bitDepth - 8))
        let maxValue = Double((1 << bitDepth) - 1)
        for stage in spec.stages {
            let r = stage.upscale
            var total = Plane(width: width * r, height: height * r,
                              values: Array(repeating: stage.bias * unit, count: width * height * r * r))
            for lut in stage.luts {
                for k in 0..<lut.rotations {
                    let rotated = rotate(image, times: k)
                    let padded = padReflect(rotated, by: lut.pattern.reach)
                    var out = Plane(width: rotated.width * r, height: rotated.height * r,
                                    values: Array(repeating: 0, count: rotated.width * rotated.height * r * r))
                    for i in 0..<rotated.height {
                        for j in 0..<rotated.width {
                            let pixels = lut.pattern.offsets.map { Int(padded[i + $0.dy, j + $0.dx]) }
                            let block = interpolate(lut, pixels, bitDepth: bitDepth)
                            for u in 0..<r {
                                for v in 0..<r { out[r * i + u, r * j + v] = block[u * r + v] * unit }
                            }
                        }
                    }
                    let back = rotate(out, times: (4 - k) % 4)
                    for n in total.values.indices { total.values[n] += back.values[n] }
                }
            }
            if stage.residual {
                for y in 0..<total.height {
                    for x in 0..<total.width { total[y, x] += image[y / r, x / r] }
                }
            }
            image = Plane(width: total.width, height: total.height,
                          values: total.values.map { min(max($0, 0), maxValue).rounded(.toNearestOrEven) })
        }
        return image.values.map { Int($0) }
    }

    /// NumPy's rot90(image, times): counter-clockwise quarter turns.
    func rotate(_ p: Plane, times: Int) -> Plane {
        var p = p
        for _ in 0..<times {
            var q = Plane(width: p.height, height: p.width, values: p.values)
            for i in 0..<q.height {
                for j in 0..<q.width { q[i, j] = p[j, p.width - 1 - i] }
            }
            p = q
        }
        return p
    }

    /// NumPy pad(mode='reflect') at the bottom and right.
    func padReflect(_ p: Plane, by n: Int) -> Plane {
        func mirror(_ i: Int, _ size: Int) -> Int {
            var i = i
            while i >= size || i < 0 { i = i >= size ? 2 * (size - 1) - i : -i }
            return size == 1 ? 0 : i
        }
        var q = Plane(width: p.width + n, height: p.height + n, values: Array(repeating: 0, count: (p.width + n) * (p.height + n)))
        for y in 0..<q.height {
            for x in 0..<q.width { q[y, x] = p[mirror(y, p.height), mirror(x, p.width)] }
        }
        return q
    }

    /// 4-simplex interpolation of the 4 pixels' table entries; real values in the 8-bit domain.
    func interpolate(_ lut: LUTModelSpec.LUT, _ pixels: [Int], bitDepth: Int) -> [Double] {
        let unit = 1 << (bitDepth - 8)
        let count = lut.levels.count
        var cells: [Int] = []
        var fractions: [Double] = []
        for v in pixels {
            var i = 0
            while v >= lut.levels[i + 1] * unit { i += 1 }
            cells.append(i)
            fractions.append(Double(v - lut.levels[i] * unit) / Double((lut.levels[i + 1] - lut.levels[i]) * unit))
        }
        // Largest fraction first; the walk sets that axis's bit at each step.
        var walk = [0, 1, 2, 3].sorted { fractions[$0] > fractions[$1] }
        let (fa, fb, fc, fd) = (fractions[0], fractions[1], fractions[2], fractions[3])
        if quirk, fc > fd, fd > fa, fa > fb { walk = [2, 0, 3, 1] }
        let sorted = walk.map { fractions[$0] }
        let weights = [1 - sorted[0], sorted[0] - sorted[1], sorted[1] - sorted[2], sorted[2] - sorted[3], sorted[3]]
        var vertex = cells
        var result = Array(repeating: 0.0, count: lut.table.outputs)
        for step in 0..<5 {
            if step > 0 { vertex[walk[step - 1]] += 1 }
            let entry = ((vertex[0] * count + vertex[1]) * count + vertex[2]) * count + vertex[3]
            for o in 0..<lut.table.outputs {
                result[o] += weights[step] * lut.table.values[entry * lut.table.outputs + o] * lut.table.scale
            }
        }
        return result
    }
}

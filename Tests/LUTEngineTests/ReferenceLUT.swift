@testable import LUTEngine

/// A slow, plain implementation of LUT inference written from the format description (docs/lut-format.md)
/// and SR-LUT's reference steps: it really rotates the image, pads it, interpolates in Double and rotates the
/// blocks back. It shares no code with the engine beyond the model description.
///
/// With `quirk`, it reproduces the SR-LUT reference's mis-ordered simplex case (fc > fd > fa > fb walks
/// c, a, d, b instead of c, d, a, b), which makes it bit-exact with the published outputs.
struct ReferenceLUT {
    let spec: LUTModelSpec
    let quirk: Bool
    /// Real table values (stored x scale), per stage, per LUT.
    let tables: [[[Double]]]

    init(spec: LUTModelSpec, quirk: Bool = false) {
        self.spec = spec
        self.quirk = quirk
        tables = spec.stages.map { stage in
            stage.luts.map { lut in (0..<lut.table.values.count).map { lut.table.real($0) } }
        }
    }

    /// A row-major plane of reals.
    struct Plane {
        var width: Int
        var height: Int
        var values: [Double]
    }

    /// Upscales a row-major d-bit plane; the result is scale x the input size (not cropped).
    func run(_ samples: [Int], width: Int, height: Int, bitDepth: Int) -> [Int] {
        var image = Plane(width: width, height: height, values: samples.map(Double.init))
        let unit = Double(1 << (bitDepth - 8))
        let maxValue = Double((1 << bitDepth) - 1)
        for (s, stage) in spec.stages.enumerated() {
            let r = stage.upscale
            var total = Array(repeating: stage.bias * unit, count: width * height * r * r)
            for (l, lut) in stage.luts.enumerated() {
                for k in 0..<lut.rotations {
                    let rotated = rotate(image, times: k)
                    let out = apply(lut, table: tables[s][l], to: rotated, upscale: r, bitDepth: bitDepth)
                    let back = rotate(out, times: (4 - k) % 4)
                    for n in total.indices { total[n] += back.values[n] * unit }
                }
            }
            if stage.residual {
                for y in 0..<height * r {
                    for x in 0..<width * r { total[y * width * r + x] += image.values[(y / r) * width + x / r] }
                }
            }
            image = Plane(width: width * r, height: height * r,
                          values: total.map { min(max($0, 0), maxValue).rounded(.toNearestOrEven) })
        }
        return image.values.map { Int($0) }
    }

    /// NumPy's rot90(image, times): counter-clockwise quarter turns.
    func rotate(_ p: Plane, times: Int) -> Plane {
        var p = p
        for _ in 0..<times {
            var values = p.values
            // rot90: out[i][j] = in[j][W - 1 - i]; the output is p.height wide and p.width tall.
            for i in 0..<p.width {
                for j in 0..<p.height { values[i * p.height + j] = p.values[j * p.width + (p.width - 1 - i)] }
            }
            p = Plane(width: p.height, height: p.width, values: values)
        }
        return p
    }

    /// NumPy pad(mode='reflect') index.
    func mirror(_ i: Int, _ size: Int) -> Int {
        if size == 1 { return 0 }
        var i = i
        while i >= size || i < 0 { i = i >= size ? 2 * (size - 1) - i : -i }
        return i
    }

    /// One LUT on an (already rotated) plane padded at the bottom and right by reflection: the r x r blocks.
    func apply(_ lut: LUTModelSpec.LUT, table: [Double], to image: Plane, upscale r: Int, bitDepth: Int) -> Plane {
        let n = lut.pattern.reach
        let pw = image.width + n, ph = image.height + n
        var padded = Array(repeating: 0, count: pw * ph)
        for y in 0..<ph {
            for x in 0..<pw { padded[y * pw + x] = Int(image.values[mirror(y, image.height) * image.width + mirror(x, image.width)]) }
        }
        let unit = 1 << (bitDepth - 8)
        let levels = lut.levels.map { $0 * unit }
        let count = levels.count, outputs = lut.table.outputs
        let offsets = lut.pattern.offsets
        var out = Plane(width: image.width * r, height: image.height * r,
                        values: Array(repeating: 0, count: image.width * image.height * r * r))
        var cells = [0, 0, 0, 0], fractions = [0.0, 0.0, 0.0, 0.0], walk = [0, 1, 2, 3], weights = [0.0, 0.0, 0.0, 0.0, 0.0]
        for i in 0..<image.height {
            for j in 0..<image.width {
                for p in 0..<4 {
                    let v = padded[(i + offsets[p].dy) * pw + j + offsets[p].dx]
                    var c = 0
                    while v >= levels[c + 1] { c += 1 }
                    cells[p] = c
                    fractions[p] = Double(v - levels[c]) / Double(levels[c + 1] - levels[c])
                }
                // Order the axes by fraction, largest first (insertion sort); the walk sets their bits in turn.
                walk = [0, 1, 2, 3]
                for a in 1..<4 {
                    var b = a
                    while b > 0, fractions[walk[b]] > fractions[walk[b - 1]] {
                        walk.swapAt(b, b - 1)
                        b -= 1
                    }
                }
                if quirk, fractions[2] > fractions[3], fractions[3] > fractions[0], fractions[0] > fractions[1] {
                    walk = [2, 0, 3, 1]
                }
                weights[0] = 1 - fractions[walk[0]]
                for step in 1..<4 { weights[step] = fractions[walk[step - 1]] - fractions[walk[step]] }
                weights[4] = fractions[walk[3]]
                var vertex = cells
                for step in 0..<5 {
                    if step > 0 { vertex[walk[step - 1]] += 1 }
                    let entry = ((vertex[0] * count + vertex[1]) * count + vertex[2]) * count + vertex[3]
                    for o in 0..<outputs {
                        out.values[(r * i + o / r) * out.width + r * j + o % r] += weights[step] * table[entry * outputs + o]
                    }
                }
            }
        }
        return out
    }
}

import Foundation
import VideoCore
@testable import LUTEngine

/// Paths and image helpers shared by the LUTEngine tests.
enum TestData {
    /// `<repo>/../shared`, found from this file's location so it works in any checkout (CI included).
    static let shared: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared")

    static let set5Names = ["baby", "bird", "butterfly", "head", "woman"]

    static func srlutTable(scale: Int) -> String {
        shared.appendingPathComponent("reference/srlut/Model_S_x\(scale)_4bit_int8.npy").path
    }

    static func set5HR(_ name: String) -> String { shared.appendingPathComponent("benchmarks/Set5/HR/\(name).png").path }
    static func set5LR(_ name: String, scale: Int) -> String {
        shared.appendingPathComponent("benchmarks/Set5/LR_bicubic/X\(scale)/\(name).png").path
    }
    static func published(_ name: String, scale: Int) -> String {
        shared.appendingPathComponent("reference/srlut/outputs/X\(scale)/\(name).png").path
    }

    /// Loaded SR-LUT models, shared by tests (loading is deterministic, the model is immutable).
    static let srlut: [Int: LUTModel] = Dictionary(uniqueKeysWithValues: [2, 3, 4].map {
        ($0, try! LUTModel.load(path: srlutTable(scale: $0)))
    })
}

/// An 8-bit RGB image, row-major interleaved.
struct RGBImage: Equatable {
    var width: Int
    var height: Int
    var pixels: [UInt8]

    /// Decodes any image with the `ffmpeg` command-line tool (as PPM on a pipe, which carries the size).
    static func read(_ path: String) throws -> RGBImage {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-v", "error", "-i", path, "-f", "image2pipe", "-c:v", "ppm", "-pix_fmt", "rgb24", "-"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("ffmpeg could not decode \(path)") }
        // P6 <w> <h> <maxval> then one whitespace byte, then the samples.
        let bytes = [UInt8](data)
        var fields: [Int] = []
        var i = 2
        while fields.count < 3 {
            while bytes[i] == 0x20 || bytes[i] == 0x0A { i += 1 }
            var value = 0
            while bytes[i] >= 0x30 && bytes[i] <= 0x39 { value = value * 10 + Int(bytes[i] - 0x30); i += 1 }
            fields.append(value)
        }
        guard bytes.starts(with: Array("P6".utf8)), fields[2] == 255 else { throw TestFailure("unexpected PPM from ffmpeg for \(path)") }
        let pixels = Array(bytes[(i + 1)...])
        guard pixels.count == fields[0] * fields[1] * 3 else { throw TestFailure("short PPM for \(path)") }
        return RGBImage(width: fields[0], height: fields[1], pixels: pixels)
    }

    func channel(_ c: Int) -> [Int] { (0..<width * height).map { Int(pixels[3 * $0 + c]) } }

    init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Interleaves three channel planes of `stride` columns, keeping the top-left width x height.
    init(channels: [[Int]], stride: Int, width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = []
        pixels.reserveCapacity(width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 { pixels.append(UInt8(channels[c][y * stride + x])) }
            }
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension LUTModel {
    /// Runs the fast engine on a row-major plane; returns the output plane (output size, row-major).
    func upscale(_ plane: [Int], width: Int, height: Int, bitDepth: Int = 8, output: PlaneSize? = nil,
                 workers: Int = 1, kernels: KernelTier = .active) throws -> [Int] {
        let source = planeBuffer(plane, width: width, height: height, bitDepth: bitDepth)
        let size = output ?? PlaneSize(width: width * scale, height: height * scale)
        let plan = try makePlan(input: source.size, output: size, bitDepth: bitDepth, kernels: kernels)
        let destination = PlaneBuffer(size: size, bitDepth: bitDepth)
        plan.renderParallel(source.view, into: destination.mutableView, workers: workers)
        return destination.samples
    }
}

/// A plane holding row-major samples of `bitDepth` bits.
func planeBuffer(_ plane: [Int], width: Int, height: Int, bitDepth: Int) -> PlaneBuffer {
    bitDepth > 8
        ? PlaneBuffer(width: width, height: height, bitDepth: bitDepth, samples: plane.map { UInt16($0) })
        : PlaneBuffer(width: width, height: height, samples: plane.map { UInt8($0) })
}

/// A row-major `width` x `height` plane transposed: `height` x `width`, sample (y, x) from (x, y).
func transposed<T>(_ samples: [T], width: Int, height: Int) -> [T] {
    (0..<width * height).map { samples[($0 % height) * width + $0 / height] }
}

/// Width and height of a plane in samples.
public struct PlaneSize: Hashable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)x\(height)" }

    /// Width and height swapped.
    public var transposed: PlaneSize { PlaneSize(width: height, height: width) }
}

/// A read-only view of one image plane owned by someone else (an AVFrame, a `PlaneBuffer`).
///
/// Samples are `UInt8` when `bitDepth == 8` and native-endian `UInt16` when `bitDepth` is 9...16;
/// `bytesPerRow` may exceed `width * bytesPerSample` (padding, as FFmpeg's linesize).
public struct PlaneView: @unchecked Sendable {
    public let base: UnsafeRawPointer
    public let size: PlaneSize
    public let bytesPerRow: Int
    public let bitDepth: Int

    public init(base: UnsafeRawPointer, size: PlaneSize, bytesPerRow: Int, bitDepth: Int) {
        checkLayout(size: size, bytesPerRow: bytesPerRow, bitDepth: bitDepth)
        self.base = base
        self.size = size
        self.bytesPerRow = bytesPerRow
        self.bitDepth = bitDepth
    }

    public var bytesPerSample: Int { bitDepth > 8 ? 2 : 1 }
    public var maxValue: Int { (1 << bitDepth) - 1 }
}

/// A writable view of one image plane; same layout rules as `PlaneView`.
///
/// Several workers may hold copies of one view as long as each writes a disjoint set of rows.
public struct MutablePlaneView: @unchecked Sendable {
    public let base: UnsafeMutableRawPointer
    public let size: PlaneSize
    public let bytesPerRow: Int
    public let bitDepth: Int

    public init(base: UnsafeMutableRawPointer, size: PlaneSize, bytesPerRow: Int, bitDepth: Int) {
        checkLayout(size: size, bytesPerRow: bytesPerRow, bitDepth: bitDepth)
        self.base = base
        self.size = size
        self.bytesPerRow = bytesPerRow
        self.bitDepth = bitDepth
    }

    public var readOnly: PlaneView {
        PlaneView(base: UnsafeRawPointer(base), size: size, bytesPerRow: bytesPerRow, bitDepth: bitDepth)
    }
    public var bytesPerSample: Int { bitDepth > 8 ? 2 : 1 }
    public var maxValue: Int { (1 << bitDepth) - 1 }
}

/// A plane that owns its samples: for tests, evaluation and tools. Video frames use views into AVFrames instead.
public final class PlaneBuffer: @unchecked Sendable {
    public let size: PlaneSize
    public let bitDepth: Int
    public let bytesPerRow: Int
    private let storage: UnsafeMutableRawPointer

    public init(size: PlaneSize, bitDepth: Int) {
        precondition(size.width > 0 && size.height > 0, "empty plane \(size)")
        precondition((8...16).contains(bitDepth), "bit depth \(bitDepth) outside 8...16")
        self.size = size
        self.bitDepth = bitDepth
        // Rows padded to 64 bytes so SIMD kernels may read a little past a row's end within the row's stride.
        let rowBytes = size.width * (bitDepth > 8 ? 2 : 1)
        self.bytesPerRow = (rowBytes + 63) & ~63
        self.storage = UnsafeMutableRawPointer.allocate(byteCount: bytesPerRow * size.height, alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: bytesPerRow * size.height)
    }

    /// Builds an 8-bit plane from row-major samples (tests and tools).
    public convenience init(width: Int, height: Int, samples: [UInt8]) {
        precondition(samples.count == width * height, "\(samples.count) samples for \(width)x\(height)")
        self.init(size: PlaneSize(width: width, height: height), bitDepth: 8)
        for y in 0..<height {
            samples.withUnsafeBytes { src in
                storage.advanced(by: y * bytesPerRow).copyMemory(from: src.baseAddress! + y * width, byteCount: width)
            }
        }
    }

    /// Builds a 9...16-bit plane from row-major samples (tests and tools).
    public convenience init(width: Int, height: Int, bitDepth: Int, samples: [UInt16]) {
        precondition(bitDepth > 8, "use the UInt8 initialiser for 8-bit planes")
        precondition(samples.count == width * height, "\(samples.count) samples for \(width)x\(height)")
        self.init(size: PlaneSize(width: width, height: height), bitDepth: bitDepth)
        for y in 0..<height {
            samples.withUnsafeBytes { src in
                storage.advanced(by: y * bytesPerRow).copyMemory(from: src.baseAddress! + 2 * y * width, byteCount: 2 * width)
            }
        }
    }

    deinit { storage.deallocate() }

    public var view: PlaneView {
        PlaneView(base: UnsafeRawPointer(storage), size: size, bytesPerRow: bytesPerRow, bitDepth: bitDepth)
    }
    public var mutableView: MutablePlaneView {
        MutablePlaneView(base: storage, size: size, bytesPerRow: bytesPerRow, bitDepth: bitDepth)
    }

    /// Sample at (x, y) widened to Int; for tests and evaluation, not for hot loops.
    public subscript(x: Int, y: Int) -> Int {
        precondition(x >= 0 && x < size.width && y >= 0 && y < size.height, "(\(x), \(y)) outside \(size)")
        let row = storage.advanced(by: y * bytesPerRow)
        return bitDepth > 8 ? Int(row.load(fromByteOffset: 2 * x, as: UInt16.self)) : Int(row.load(fromByteOffset: x, as: UInt8.self))
    }

    /// All samples, row-major, widened to Int; for tests and evaluation.
    public var samples: [Int] {
        var out = [Int]()
        out.reserveCapacity(size.width * size.height)
        for y in 0..<size.height { for x in 0..<size.width { out.append(self[x, y]) } }
        return out
    }
}

/// The layout rules both plane views share: 8...16 bits, rows at least a row of samples apart.
private func checkLayout(size: PlaneSize, bytesPerRow: Int, bitDepth: Int) {
    precondition((8...16).contains(bitDepth), "bit depth \(bitDepth) outside 8...16")
    precondition(bytesPerRow >= size.width * (bitDepth > 8 ? 2 : 1), "row stride shorter than a row")
}

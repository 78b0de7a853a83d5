import VideoCore

/// A planar YUV or grey layout: chroma subsampling and bit depth. One description serves y4m (`C` tags) and
/// rawvideo (FFmpeg `pix_fmt` names).
///
/// Samples deeper than 8 bits are 16-bit little-endian words, as FFmpeg's `...le` formats; every platform
/// Swift runs on is little-endian, so they are also the native `UInt16` that `PlaneView` expects.
public struct RawPixelFormat: Hashable, Sendable, CustomStringConvertible {
    public enum Chroma: String, Hashable, Sendable, CaseIterable {
        case yuv420, yuv422, yuv444, yuv411, gray

        /// log2 of the horizontal and vertical subsampling factors.
        var shift: (x: Int, y: Int) {
            switch self {
            case .yuv420: return (1, 1)
            case .yuv422: return (1, 0)
            case .yuv444, .gray: return (0, 0)
            case .yuv411: return (2, 0)
            }
        }
    }

    public let chroma: Chroma
    public let bitDepth: Int

    /// `nil` for a combination FFmpeg has no planar format for (4:1:1 exists at 8 bits only).
    public init?(chroma: Chroma, bitDepth: Int) {
        let depths = chroma == .yuv411 ? [8] : [8, 9, 10, 12, 14, 16]
        guard depths.contains(bitDepth) else { return nil }
        self.chroma = chroma
        self.bitDepth = bitDepth
    }

    /// Looks up an FFmpeg `pix_fmt` name such as `yuv420p`, `gray` or `yuv444p10le`.
    public init(ffmpegName: String) throws(RawVideoError) {
        guard let format = RawPixelFormat.all.first(where: { $0.ffmpegName == ffmpegName }) else {
            throw .unknownPixelFormat(ffmpegName)
        }
        self = format
    }

    public static let yuv420p = RawPixelFormat(chroma: .yuv420, bitDepth: 8)!
    public static let yuv422p = RawPixelFormat(chroma: .yuv422, bitDepth: 8)!
    public static let yuv444p = RawPixelFormat(chroma: .yuv444, bitDepth: 8)!
    public static let gray = RawPixelFormat(chroma: .gray, bitDepth: 8)!
    public static let yuv420p10le = RawPixelFormat(chroma: .yuv420, bitDepth: 10)!
    public static let yuv422p10le = RawPixelFormat(chroma: .yuv422, bitDepth: 10)!
    public static let yuv444p10le = RawPixelFormat(chroma: .yuv444, bitDepth: 10)!
    public static let gray10le = RawPixelFormat(chroma: .gray, bitDepth: 10)!
    public static let gray16le = RawPixelFormat(chroma: .gray, bitDepth: 16)!

    /// Every supported format.
    public static let all: [RawPixelFormat] = Chroma.allCases.flatMap { chroma in
        [8, 9, 10, 12, 14, 16].compactMap { RawPixelFormat(chroma: chroma, bitDepth: $0) }
    }

    /// FFmpeg's `pix_fmt` name: `yuv420p`, `gray`, `yuv422p10le`, `gray16le`...
    public var ffmpegName: String {
        let base = chroma == .gray ? "gray" : chroma.rawValue + "p"
        if bitDepth == 8 { return base }
        return base + String(bitDepth) + "le"
    }

    public var description: String { ffmpegName }

    public var planeCount: Int { chroma == .gray ? 1 : 3 }
    public var bytesPerSample: Int { bitDepth > 8 ? 2 : 1 }

    /// Size of plane `index` (0 = luma) for a frame of `width` x `height`; chroma rounds up, as FFmpeg.
    public func planeSize(_ index: Int, width: Int, height: Int) -> PlaneSize {
        precondition((0..<planeCount).contains(index), "plane \(index) of a \(planeCount)-plane format")
        if index == 0 { return PlaneSize(width: width, height: height) }
        let (sx, sy) = chroma.shift
        return PlaneSize(width: (width + (1 << sx) - 1) >> sx, height: (height + (1 << sy) - 1) >> sy)
    }

    // MARK: y4m colorspace tags

    /// The `C` tag FFmpeg 5.1's yuv4mpegpipe muxer writes (without the `C`); `nil` where it has none (gray14).
    /// 8-bit 4:2:0 is written as `420jpeg`/`420mpeg2`/`420paldv` by `Y4MHeader` according to its chroma siting.
    public var y4mColorspace: String? {
        switch (chroma, bitDepth) {
        case (.gray, 8): return "mono"
        case (.gray, 14): return nil
        case (.gray, _): return "mono\(bitDepth)"
        case (.yuv420, 8): return "420jpeg"
        case (_, 8): return String(chroma.rawValue.dropFirst(3))
        default: return String(chroma.rawValue.dropFirst(3)) + "p\(bitDepth)"
        }
    }

    /// Parses a `C` tag value as FFmpeg's demuxer accepts it (exact match, not a prefix); 8-bit 4:2:0 tags also
    /// give their chroma siting. `444alpha` and unknown tags give `nil`.
    public static func fromY4MColorspace(_ tag: String) -> (format: RawPixelFormat, siting: Y4MChromaSiting?)? {
        switch tag {
        case "420jpeg", "420": return (.yuv420p, .center)
        case "420mpeg2": return (.yuv420p, .left)
        case "420paldv": return (.yuv420p, .topLeft)
        default:
            guard let format = all.first(where: { $0.y4mColorspace == tag }) else { return nil }
            return (format, nil)
        }
    }

    /// Parses an `XYSCSS=` value (FFmpeg's older spelling: `420JPEG`, `422`, `444P10`...), case-insensitively.
    static func fromXYSCSS(_ value: String) -> (format: RawPixelFormat, siting: Y4MChromaSiting?)? {
        fromY4MColorspace(value.lowercased())
    }
}

/// Frame geometry plus pixel format: everything needed to size planes and frames of raw video.
public struct RawVideoFormat: Hashable, Sendable, CustomStringConvertible {
    /// Largest width or height accepted unless the caller passes another limit.
    public static let defaultMaxDimension = 16384

    public let width: Int
    public let height: Int
    public let pixelFormat: RawPixelFormat

    /// Refuses a zero or absurd size before anyone allocates a frame for it.
    public init(width: Int, height: Int, pixelFormat: RawPixelFormat,
                maxDimension: Int = RawVideoFormat.defaultMaxDimension) throws(RawVideoError) {
        guard (1...maxDimension).contains(width), (1...maxDimension).contains(height) else {
            throw .badDimensions(width: width, height: height, limit: maxDimension)
        }
        self.width = width
        self.height = height
        self.pixelFormat = pixelFormat
    }

    public var description: String { "\(width)x\(height) \(pixelFormat.ffmpegName)" }

    public var planeCount: Int { pixelFormat.planeCount }
    public var planeSizes: [PlaneSize] { (0..<planeCount).map { planeSize($0) } }
    public func planeSize(_ index: Int) -> PlaneSize { pixelFormat.planeSize(index, width: width, height: height) }

    /// Bytes of samples in one frame (planes back to back, rows unpadded).
    public var frameByteCount: Int {
        planeSizes.reduce(0) { $0 + $1.width * $1.height } * pixelFormat.bytesPerSample
    }

    /// Fresh zeroed buffers, one per plane, in this format (tests and tools; a pipeline reads into its own frames).
    public func makePlaneBuffers() -> [PlaneBuffer] {
        planeSizes.map { PlaneBuffer(size: $0, bitDepth: pixelFormat.bitDepth) }
    }

    func validate(_ planes: [MutablePlaneView]) throws(RawVideoError) {
        try validate(sizes: planes.map(\.size), bytesPerSample: planes.map(\.bytesPerSample))
    }

    func validate(_ planes: [PlaneView]) throws(RawVideoError) {
        try validate(sizes: planes.map(\.size), bytesPerSample: planes.map(\.bytesPerSample))
    }

    /// Checks views against this format: plane count, sizes, bytes per sample.
    private func validate(sizes: [PlaneSize], bytesPerSample: [Int]) throws(RawVideoError) {
        guard sizes.count == planeCount else {
            throw .planeMismatch("\(sizes.count) planes given, \(pixelFormat.ffmpegName) has \(planeCount)")
        }
        for index in 0..<planeCount {
            let expected = planeSize(index)
            guard sizes[index] == expected else {
                throw .planeMismatch("plane \(index) is \(sizes[index]), expected \(expected) for \(self)")
            }
            guard bytesPerSample[index] == pixelFormat.bytesPerSample else {
                throw .planeMismatch("plane \(index) has \(bytesPerSample[index]) bytes per sample, \(pixelFormat.ffmpegName) has \(pixelFormat.bytesPerSample)")
            }
        }
    }
}

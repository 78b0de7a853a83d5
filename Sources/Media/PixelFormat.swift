import CFFmpeg
import VideoCore

/// An FFmpeg pixel format with the facts the pipeline needs from its descriptor.
public struct PixelFormat: Hashable, Sendable, CustomStringConvertible {
    let raw: AVPixelFormat

    init(_ raw: AVPixelFormat) { self.raw = raw }
    init?(rawValue: Int32) {
        guard rawValue >= 0, av_pix_fmt_desc_get(AVPixelFormat(rawValue: rawValue)) != nil else { return nil }
        raw = AVPixelFormat(rawValue: rawValue)
    }

    /// The format FFmpeg calls `name` (e.g. "yuv420p10le"), if it exists.
    public init?(name: String) {
        let value = av_get_pix_fmt(name)
        guard value != AV_PIX_FMT_NONE else { return nil }
        raw = value
    }

    public static let yuv420p = PixelFormat(AV_PIX_FMT_YUV420P)
    public static let yuv444p = PixelFormat(AV_PIX_FMT_YUV444P)
    public static let rgb24 = PixelFormat(AV_PIX_FMT_RGB24)
    public static let gbrp = PixelFormat(AV_PIX_FMT_GBRP)

    private var descriptor: UnsafePointer<AVPixFmtDescriptor> { av_pix_fmt_desc_get(raw)! }

    public var name: String { String(cString: descriptor.pointee.name) }
    public var description: String { name }

    /// Number of colour components (gray 1, YUV/RGB 3, plus alpha).
    public var componentCount: Int { Int(descriptor.pointee.nb_components) }
    /// Number of separate planes in memory.
    public var planeCount: Int { Int(av_pix_fmt_count_planes(raw)) }
    /// Bits per sample of the first component.
    public var bitDepth: Int { Int(descriptor.pointee.comp.0.depth) }
    /// log2 of the horizontal and vertical chroma subsampling (1, 1 for 4:2:0).
    public var chromaShift: (x: Int, y: Int) {
        (Int(descriptor.pointee.log2_chroma_w), Int(descriptor.pointee.log2_chroma_h))
    }
    private func has(_ flag: Int32) -> Bool { descriptor.pointee.flags & UInt64(flag) != 0 }
    public var isRGB: Bool { has(AV_PIX_FMT_FLAG_RGB) }
    public var hasAlpha: Bool { has(AV_PIX_FMT_FLAG_ALPHA) }
    public var isBigEndian: Bool { has(AV_PIX_FMT_FLAG_BE) }
    public var isPaletted: Bool { has(AV_PIX_FMT_FLAG_PAL) }
    var isHardware: Bool { has(AV_PIX_FMT_FLAG_HWACCEL) }
    /// One plane per component, each sample in its own 1- or 2-byte word, native endianness: planes can be
    /// handed to plane kernels as they are.
    public var isPlanarWithPlainSamples: Bool {
        // FFmpeg flags single-plane formats (gray) as not planar; with one component they are.
        guard has(AV_PIX_FMT_FLAG_PLANAR) || componentCount == 1, !isBigEndian, !isPaletted, !isHardware, planeCount == componentCount else {
            return false
        }
        let components = withUnsafeBytes(of: descriptor.pointee.comp) { Array($0.bindMemory(to: AVComponentDescriptor.self)) }
        return components.prefix(componentCount).allSatisfy { c in
            c.shift == 0 && c.offset == 0 && c.step == (c.depth > 8 ? 2 : 1) && (8...16).contains(c.depth)
        }
    }

    /// Samples in `plane` for a frame of `width` x `height` (chroma planes are subsampled, rounding up).
    public func planeSize(_ plane: Int, width: Int, height: Int) -> PlaneSize {
        let isChroma = !isRGB && (plane == 1 || plane == 2)
        guard isChroma else { return PlaneSize(width: width, height: height) }
        let (sx, sy) = chromaShift
        return PlaneSize(width: (width + (1 << sx) - 1) >> sx, height: (height + (1 << sy) - 1) >> sy)
    }

    /// The planar, native-endian format with the same colour model, subsampling, alpha and a bit depth of at
    /// least this one's: what plane kernels work on (nv12 -> yuv420p, p010le -> yuv420p10le, rgb24 -> gbrp).
    public var planarEquivalent: PixelFormat? {
        if isPlanarWithPlainSamples { return self }
        let depth = bitDepth
        let suffix = depth <= 8 ? "" : depth <= 10 ? "10le" : depth <= 12 ? "12le" : "16le"
        let candidates: [String]
        if isRGB || isPaletted {
            let alpha = hasAlpha ? "a" : ""
            candidates = ["gbr\(alpha)p\(suffix)", "gbr\(alpha)p16le"]
        } else if componentCount - (hasAlpha ? 1 : 0) == 1 {
            candidates = hasAlpha ? ["yuva444p\(suffix)", "yuva444p16le"] : ["gray\(suffix)", "gray16le"]
        } else {
            let (sx, sy) = chromaShift
            let subsampling: String? = switch (sx, sy) {
            case (0, 0): "444"
            case (1, 0): "422"
            case (1, 1): "420"
            case (0, 1): "440"
            case (2, 0): "411"
            case (2, 2): "410"
            default: nil
            }
            guard let subsampling else { return nil }
            let alpha = hasAlpha ? "a" : ""
            candidates = ["yuv\(alpha)\(subsampling)p\(suffix)", "yuv\(alpha)\(subsampling)p16le", "yuv\(alpha)444p16le"]
        }
        return candidates.lazy.compactMap { PixelFormat(name: $0) }.first { $0.isPlanarWithPlainSamples }
    }

    /// The same memory layout without the deprecated full-range "J" meaning (yuvj420p -> yuv420p), if any.
    public var withoutJPEGRange: PixelFormat? {
        switch raw {
        case AV_PIX_FMT_YUVJ420P: PixelFormat(AV_PIX_FMT_YUV420P)
        case AV_PIX_FMT_YUVJ422P: PixelFormat(AV_PIX_FMT_YUV422P)
        case AV_PIX_FMT_YUVJ444P: PixelFormat(AV_PIX_FMT_YUV444P)
        case AV_PIX_FMT_YUVJ440P: PixelFormat(AV_PIX_FMT_YUV440P)
        case AV_PIX_FMT_YUVJ411P: PixelFormat(AV_PIX_FMT_YUV411P)
        default: nil
        }
    }

    /// The single-plane gray format of a bit depth: any plane of a planar format, seen alone.
    static func gray(bitDepth: Int) -> PixelFormat? {
        let name = switch bitDepth {
        case 8: "gray"
        case 9: "gray9le"
        case 10: "gray10le"
        case 12: "gray12le"
        case 14: "gray14le"
        case 16: "gray16le"
        default: ""
        }
        return PixelFormat(name: name)
    }
}

import CFFmpeg
import VideoCore

/// Owns an SwsContext; frees it in deinit.
private final class SwsHandle {
    let pointer: OpaquePointer

    /// `fullRange` gives each side's YUV range. It must be known here, not set later with
    /// sws_setColorspaceDetails: a same-size, same-format context picks a plain copy at init and then ignores it.
    init(sourceWidth: Int, sourceHeight: Int, source: PixelFormat, destinationWidth: Int, destinationHeight: Int,
         destination: PixelFormat, flags: Int32, fullRange: (source: Bool, destination: Bool) = (false, false)) throws(MediaError) {
        guard sws_isSupportedInput(source.raw) > 0 else { throw .unsupported("swscale cannot read \(source)") }
        guard sws_isSupportedOutput(destination.raw) > 0 else { throw .unsupported("swscale cannot write \(destination)") }
        guard let context = sws_alloc_context() else { throw .outOfMemory("swscale context") }
        pointer = context
        let settings: [(String, Int64)] = [
            ("srcw", Int64(sourceWidth)), ("srch", Int64(sourceHeight)), ("src_format", Int64(source.raw.rawValue)),
            ("dstw", Int64(destinationWidth)), ("dsth", Int64(destinationHeight)), ("dst_format", Int64(destination.raw.rawValue)),
            ("sws_flags", Int64(flags)), ("src_range", fullRange.source ? 1 : 0), ("dst_range", fullRange.destination ? 1 : 0),
        ]
        for (name, value) in settings {
            try MediaError.check(av_opt_set_int(UnsafeMutableRawPointer(context), name, value, 0), "setting swscale \(name)")
        }
        try MediaError.check(sws_init_context(context, nil, nil),
                             "swscale: \(sourceWidth)x\(sourceHeight) \(source) -> \(destinationWidth)x\(destinationHeight) \(destination)")
    }

    deinit { sws_freeContext(pointer) }
}

/// Scales single planes of one size and bit depth to another size with Lanczos (chroma planes next to a luma
/// upscaler).
///
/// Not thread-safe; `@unchecked Sendable` so a stage can take it over whole (see `Packet`).
public final class PlaneScaler: @unchecked Sendable {
    private let sws: SwsHandle
    public let sourceSize: PlaneSize
    public let destinationSize: PlaneSize
    public let bitDepth: Int

    /// swscale's interpolation filters that the pipeline and benchmarks use.
    public enum Filter: Sendable {
        case bicubic, lanczos

        var flags: Int32 { self == .bicubic ? SWS_BICUBIC : SWS_LANCZOS }
    }

    public init(from source: PlaneSize, to destination: PlaneSize, bitDepth: Int,
                filter: Filter = .lanczos) throws(MediaError) {
        // A plane of any planar format is a gray image of the same depth.
        guard let gray = PixelFormat.gray(bitDepth: bitDepth) else { throw .unsupported("\(bitDepth)-bit planes") }
        sws = try SwsHandle(sourceWidth: source.width, sourceHeight: source.height, source: gray,
                            destinationWidth: destination.width, destinationHeight: destination.height,
                            destination: gray, flags: filter.flags)
        sourceSize = source
        destinationSize = destination
        self.bitDepth = bitDepth
    }

    public func scale(_ source: PlaneView, into destination: MutablePlaneView) {
        precondition(source.size == sourceSize && destination.size == destinationSize
                     && source.bitDepth == bitDepth && destination.bitDepth == bitDepth, "plane does not match the scaler")
        _ = lutscale_sws_scale_plane(sws.pointer, source.base.assumingMemoryBound(to: UInt8.self), Int32(source.bytesPerRow),
                                     Int32(source.size.height), destination.base.assumingMemoryBound(to: UInt8.self),
                                     Int32(destination.bytesPerRow))
    }
}

/// Converts whole frames between pixel formats (and sizes, with Lanczos), with colour matrix and range handled.
///
/// Not thread-safe; `@unchecked Sendable` so a stage can take it over whole (see `Packet`).
public final class FrameConverter: @unchecked Sendable {
    private let sws: SwsHandle
    public let destinationFormat: PixelFormat
    public let destinationColor: ColorInfo
    public let destinationWidth: Int
    public let destinationHeight: Int

    /// `sourceColor`/`destinationColor` give the YUV matrix and range on each side (ignored on an RGB side).
    public init(width: Int, height: Int, format: PixelFormat, color sourceColor: ColorInfo,
                toWidth destinationWidth: Int, height destinationHeight: Int, format destinationFormat: PixelFormat,
                color destinationColor: ColorInfo) throws(MediaError) {
        // RGB sides count as full range; swscale ignores the matrix there.
        let sourceFull = format.isRGB || sourceColor.isFullRange
        let destinationFull = destinationFormat.isRGB || destinationColor.isFullRange
        sws = try SwsHandle(sourceWidth: width, sourceHeight: height, source: format,
                            destinationWidth: destinationWidth, destinationHeight: destinationHeight,
                            destination: destinationFormat,
                            // Accurate rounding and full-resolution chroma keep RGB<->YUV round trips within 1.
                            flags: SWS_LANCZOS | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP,
                            fullRange: (sourceFull, destinationFull))
        // The matrices; brightness 0, contrast and saturation 1.0 in 16.16 fixed point.
        guard sws_setColorspaceDetails(sws.pointer, sourceColor.swsCoefficients, sourceFull ? 1 : 0,
                                       destinationColor.swsCoefficients, destinationFull ? 1 : 0,
                                       0, 1 << 16, 1 << 16) >= 0 else {
            throw .unsupported("colour conversion \(format) -> \(destinationFormat)")
        }
        self.destinationFormat = destinationFormat
        self.destinationColor = destinationColor
        self.destinationWidth = destinationWidth
        self.destinationHeight = destinationHeight
    }

    /// A new frame with `source`'s pixels converted and its timestamps and side data.
    public func convert(_ source: VideoFrame) throws(MediaError) -> VideoFrame {
        let output = try VideoFrame(format: destinationFormat, width: destinationWidth, height: destinationHeight,
                                    propertiesOf: source)
        output.color = destinationColor
        try MediaError.check(sws_scale_frame(sws.pointer, output.pointer, source.pointer), "converting \(source.format) to \(destinationFormat)")
        return output
    }
}

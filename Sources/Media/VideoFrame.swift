import CFFmpeg
import VideoCore

/// One decoded (or to-be-encoded) video frame; owns its AVFrame and frees it in deinit.
///
/// Not thread-safe; `@unchecked Sendable` for the same reason as `Packet`: stages hand a frame on whole and
/// never touch it again, so one thread uses it at a time.
public final class VideoFrame: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() throws(MediaError) {
        guard let frame = av_frame_alloc() else { throw .outOfMemory("frame") }
        pointer = frame
    }

    /// A new frame with its own, writable pixel buffer.
    public convenience init(format: PixelFormat, width: Int, height: Int) throws(MediaError) {
        try self.init()
        pointer.pointee.format = format.raw.rawValue
        pointer.pointee.width = Int32(width)
        pointer.pointee.height = Int32(height)
        // 64-byte aligned rows let SIMD kernels use aligned stores and read a little past a row's end.
        try MediaError.check(av_frame_get_buffer(pointer, 64), "allocating a \(width)x\(height) \(format) frame")
    }

    /// A new frame of `format` and size for the pixels of `source`, with its timestamps, colour tags and side data.
    public convenience init(format: PixelFormat, width: Int, height: Int, propertiesOf source: VideoFrame) throws(MediaError) {
        try self.init(format: format, width: width, height: height)
        try MediaError.check(av_frame_copy_props(pointer, source.pointer), "copying frame properties")
    }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&frame)
    }

    public var width: Int { Int(pointer.pointee.width) }
    public var height: Int { Int(pointer.pointee.height) }
    public var format: PixelFormat {
        get { PixelFormat(AVPixelFormat(rawValue: pointer.pointee.format)) }
        // Relabelling only: callers use it between formats of identical layout (yuvj420p -> yuv420p).
        set { pointer.pointee.format = newValue.raw.rawValue }
    }
    /// Presentation time in the time base of the stream it came from (best effort for decoded frames).
    public var pts: Int64? {
        get { pointer.pointee.pts == lutscale_nopts_value() ? nil : pointer.pointee.pts }
        set { pointer.pointee.pts = newValue ?? lutscale_nopts_value() }
    }
    /// Duration in the same time base; 0 when unknown.
    public var duration: Int64 {
        get { lutscale_frame_duration(pointer) }
        set { lutscale_frame_set_duration(pointer, newValue) }
    }
    /// Whether the picture holds two fields (alternate lines taken at different times), as the decoder said.
    public var isInterlaced: Bool {
        get { pointer.pointee.interlaced_frame != 0 }
        set { pointer.pointee.interlaced_frame = newValue ? 1 : 0 }
    }
    public var color: ColorInfo {
        get { ColorInfo(pointer) }
        set { newValue.apply(to: pointer) }
    }

    /// The first plane of any format of 8 to 16 bits per component, packed ones included (rgb24: all three
    /// components interleaved); its width is in pixels, not samples.
    public var packedPlane0: MutablePlaneView? {
        guard let data = lutscale_frame_data(pointer, 0), (8...16).contains(format.bitDepth) else { return nil }
        return MutablePlaneView(base: UnsafeMutableRawPointer(data), size: PlaneSize(width: width, height: height),
                                bytesPerRow: Int(lutscale_frame_linesize(pointer, 0)), bitDepth: format.bitDepth)
    }

    /// The pixels of plane `index`; nil for a plane the format does not have or one stored bottom-up.
    /// Valid only while this frame is alive (keep it so with `withExtendedLifetime` where the frame is not used
    /// after the pixels are). Decoded frames may share their buffers with the decoder: write only into frames made
    /// with `init(format:...)`.
    public func plane(_ index: Int) -> MutablePlaneView? {
        let format = self.format
        guard index < format.planeCount, format.isPlanarWithPlainSamples,
              let data = lutscale_frame_data(pointer, Int32(index)) else { return nil }
        let stride = Int(lutscale_frame_linesize(pointer, Int32(index)))
        let size = format.planeSize(index, width: width, height: height)
        guard stride >= size.width * (format.bitDepth > 8 ? 2 : 1) else { return nil }
        return MutablePlaneView(base: UnsafeMutableRawPointer(data), size: size, bytesPerRow: stride, bitDepth: format.bitDepth)
    }
}

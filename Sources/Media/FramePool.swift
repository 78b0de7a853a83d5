import CFFmpeg

/// Recycles the pixel buffers of frames of one format and size: a frame's buffer goes back to the pool when
/// the last reference to it (ours, or an encoder's) is dropped, so a long video does not fault in fresh pages
/// for every frame. Owns an AVBufferPool, which FFmpeg frees once the pool is released and every buffer is back.
///
/// `get` may be called from any thread (AVBufferPool is thread-safe); `@unchecked Sendable` for that reason.
public final class FramePool: @unchecked Sendable {
    private let pool: OpaquePointer
    public let format: PixelFormat
    public let width: Int
    public let height: Int
    private let linesizes: (Int32, Int32, Int32, Int32)
    private let planeSizes: (Int, Int, Int, Int)

    public init(format: PixelFormat, width: Int, height: Int) throws(MediaError) {
        self.format = format
        self.width = width
        self.height = height
        // 64-byte aligned rows let SIMD kernels use aligned stores and read a little past a row's end.
        var lines: (Int32, Int32, Int32, Int32) = (0, 0, 0, 0)
        var planes: (Int, Int, Int, Int) = (0, 0, 0, 0)
        let size = withUnsafeMutableBytes(of: &lines) { l in
            withUnsafeMutableBytes(of: &planes) { p in
                lutscale_image_layout(format.raw, Int32(width), Int32(height), 64, l.baseAddress!.assumingMemoryBound(to: Int32.self),
                                      p.baseAddress!.assumingMemoryBound(to: Int.self))
            }
        }
        try MediaError.check(size, "laying out a \(width)x\(height) \(format) frame")
        linesizes = lines
        planeSizes = planes
        guard let pool = av_buffer_pool_init(Int(size), nil) else { throw .outOfMemory("frame pool") }
        self.pool = pool
    }

    deinit {
        var owned: OpaquePointer? = pool
        av_buffer_pool_uninit(&owned)
    }

    /// A frame with a writable buffer from the pool and the timestamps, colour tags and side data of `source`.
    public func frame(propertiesOf source: VideoFrame) throws(MediaError) -> VideoFrame {
        let frame = try self.frame()
        try MediaError.check(av_frame_copy_props(frame.pointer, source.pointer), "copying frame properties")
        return frame
    }

    /// A frame with a writable buffer from the pool and no properties (frames read from a pipe).
    public func frame() throws(MediaError) -> VideoFrame {
        let frame = try VideoFrame()
        frame.pointer.pointee.format = format.raw.rawValue
        frame.pointer.pointee.width = Int32(width)
        frame.pointer.pointee.height = Int32(height)
        guard let buffer = av_buffer_pool_get(pool) else { throw .outOfMemory("\(width)x\(height) \(format) frame") }
        withUnsafeBytes(of: linesizes) { lines in
            withUnsafeBytes(of: planeSizes) { planes in
                lutscale_frame_attach(frame.pointer, buffer, lines.baseAddress!.assumingMemoryBound(to: Int32.self),
                                      planes.baseAddress!.assumingMemoryBound(to: Int.self))
            }
        }
        return frame
    }
}

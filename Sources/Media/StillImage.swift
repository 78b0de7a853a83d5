import CFFmpeg

/// Packed 8-bit RGB pixels of one picture, owned by Swift: what evaluation and tools compare.
public struct RGBImage: Sendable {
    public let width: Int
    public let height: Int
    /// rgb24, row-major, `3 * width` bytes per row.
    public let pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == 3 * width * height, "rgb24 needs 3 bytes per pixel")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The first frame of an image (or video) file, converted to RGB.
    public static func read(path: String) throws(MediaError) -> RGBImage {
        let demuxer = try Demuxer(path: path)
        let stream = try demuxer.bestVideoStream()
        let decoder = try VideoDecoder(demuxer: demuxer, streamIndex: stream)
        var frame: VideoFrame?
        var ended = false
        while frame == nil {
            switch try decoder.receive() {
            case let .item(decoded): frame = decoded
            case .endOfStream: throw .unsupported("\(path) holds no picture")
            case .needsInput:
                if ended { throw .unsupported("\(path) holds no picture") }
                switch try demuxer.read() {
                case let .packet(packet) where packet.streamIndex == stream: _ = try decoder.send(packet)
                case .packet: break
                case .endOfFile:
                    try decoder.sendEndOfStream()
                    ended = true
                }
            }
        }
        guard let frame else { throw .unsupported("\(path) holds no picture") }
        let converter = try FrameConverter(width: frame.width, height: frame.height, format: frame.format, color: frame.color,
                                           toWidth: frame.width, height: frame.height, format: .rgb24, color: frame.color)
        let rgb = try converter.convert(frame)
        guard let plane = rgb.packedPlane0 else { throw .unsupported("\(path): no RGB plane after conversion") }
        var pixels = [UInt8](repeating: 0, count: 3 * frame.width * frame.height)
        pixels.withUnsafeMutableBytes { out in
            for y in 0..<frame.height {
                out.baseAddress!.advanced(by: 3 * frame.width * y)
                    .copyMemory(from: plane.base + y * plane.bytesPerRow, byteCount: 3 * frame.width)
            }
        }
        return RGBImage(width: frame.width, height: frame.height, pixels: pixels)
    }
}

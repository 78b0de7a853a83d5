import LUTEngine

/// Which planes the upscaler works on.
public enum PlaneMode: String, Sendable, CaseIterable {
    /// The upscaler on luma (Y, or the Y of RGB converted to YUV 4:4:4 and back); the other planes by swscale Lanczos.
    case luma
    /// The upscaler on every plane; RGB stays RGB (planar gbrp).
    case all
}

/// One input file to upscale into one output file.
public struct UpscaleRequest: Sendable {
    public var inputPath: String
    public var outputPath: String
    public var size: SizeRequest
    public var upscaler: any PlaneUpscaler
    public var planes: PlaneMode
    /// FFmpeg container name ("nut", "matroska", "null"); nil picks it from the output's extension.
    public var format: String?
    /// FFmpeg encoder name; nil picks one for the output container (`EncoderChoice`).
    public var codec: String?
    public var crf: Double?
    public var preset: String?
    /// Replace an existing output file.
    public var overwrite: Bool
    /// Input stream index -> its own output size; other video streams get `size`.
    public var streamSizes: [Int: SizeRequest]
    /// More encoder options by FFmpeg name ("tune", "b", "x265-params", "profile"); a bitrate ("b") replaces the
    /// default constant quality.
    public var encoderOptions: [String: String]
    /// The encoder's pixel format by FFmpeg name ("yuv420p10le"); nil keeps the input's as far as the encoder can.
    public var pixelFormat: String?
    /// Interlaced video made progressive (from the field shown first) instead of kept interlaced, field by field.
    public var deinterlace: Bool
    /// One segment as a piece, or the final file from pieces (#19); nil: the whole file in one run.
    public var segmentWork: SegmentWork? = nil
    /// Paced to the main stream's frame rate, for watching while it is made (`| mpv -`): frames the output would
    /// show too late are dropped before they are upscaled; the other streams (audio) go through whole.
    public var preview = false
    /// Preview: instead of `upscaler`, the best of these models that keeps up on the main stream (`PreviewLadder`).
    public var previewModels: ModelCatalog? = nil

    public init(inputPath: String, outputPath: String, size: SizeRequest, upscaler: any PlaneUpscaler,
                planes: PlaneMode = .luma, format: String? = nil, codec: String? = nil, crf: Double? = nil, preset: String? = nil,
                overwrite: Bool = false, streamSizes: [Int: SizeRequest] = [:], deinterlace: Bool = false,
                encoderOptions: [String: String] = [:], pixelFormat: String? = nil) {
        self.inputPath = inputPath
        self.outputPath = outputPath
        self.size = size
        self.upscaler = upscaler
        self.planes = planes
        self.format = format
        self.codec = codec
        self.crf = crf
        self.preset = preset
        self.overwrite = overwrite
        self.streamSizes = streamSizes
        self.deinterlace = deinterlace
        self.encoderOptions = encoderOptions
        self.pixelFormat = pixelFormat
    }
}

import CFFmpeg
import VideoCore

/// Everything an encoder needs to know before its first frame.
public struct EncoderSettings: Sendable {
    public var codecName: String
    public var width: Int
    public var height: Int
    public var pixelFormat: PixelFormat
    /// Frame timestamps arrive in this time base (the input stream's, so they pass through unchanged).
    public var timeBase: Rational
    /// Nominal frame rate, a rate-control hint; variable-rate timestamps are kept regardless.
    public var frameRate: Rational
    public var sampleAspectRatio: Rational
    public var color: ColorInfo
    /// Codec options by FFmpeg name, generic ("g", "flags") or the encoder's own ("crf", "preset").
    public var options: [String: String]
    /// The source's picture side data (rotation, HDR10): the muxer stores it, and libx265 writes HDR10 into the
    /// bitstream as well.
    public var sideData: [StreamSideData]
    /// Interlaced frames are coded as such where the encoder can (x264, MPEG-2), and flagged in the stream.
    public var fieldOrder: FieldOrder

    public init(codecName: String, width: Int, height: Int, pixelFormat: PixelFormat, timeBase: Rational,
                frameRate: Rational, sampleAspectRatio: Rational, color: ColorInfo, options: [String: String],
                sideData: [StreamSideData] = [], fieldOrder: FieldOrder = .progressive) {
        self.codecName = codecName
        self.width = width
        self.height = height
        self.pixelFormat = pixelFormat
        self.timeBase = timeBase
        self.frameRate = frameRate
        self.sampleAspectRatio = sampleAspectRatio
        self.color = color
        self.options = options
        self.sideData = sideData
        self.fieldOrder = fieldOrder
    }

    /// Whether the encoder writes `data` into the bitstream, where every container keeps it: HDR10 as x265's SEI,
    /// an ICC profile from the frames' side data as PNG's iCCP chunk or JPEG's APP2 marker.
    func carries(_ data: StreamSideData) -> Bool {
        switch codecName {
        case "libx265": data.x265Parameter != nil
        case "png", "apng", "mjpeg": data.isICCProfile
        default: false
        }
    }

    /// `options` with libx265's own parameters completed: its log level from FFmpeg's (first, so that the user's
    /// own `log-level` wins), the user's, then the HDR10 side data.
    var optionsForOpening: [String: String] {
        guard codecName == "libx265" else { return options }
        var merged = options
        let parameters = ["log-level=\(MediaLog.x265Level)"] + (options["x265-params"].map { [$0] } ?? []) + sideData.compactMap(\.x265Parameter)
        merged["x265-params"] = parameters.joined(separator: ":")
        return merged
    }
}

/// Facts about an installed video encoder, looked up by name.
public struct EncoderInfo: Sendable {
    public let name: String
    /// The pixel formats it takes; nil when it does not say.
    public let pixelFormats: [PixelFormat]?
    private let codecID: UInt32

    public init(name: String) throws(MediaError) {
        guard let codec = avcodec_find_encoder_by_name(name) else { throw .unknownCodec(name) }
        guard codec.pointee.type == AVMEDIA_TYPE_VIDEO else { throw .unsupported("'\(name)' is not a video encoder") }
        self.name = name
        codecID = codec.pointee.id.rawValue
        if var list = codec.pointee.pix_fmts {
            var formats: [PixelFormat] = []
            while list.pointee != AV_PIX_FMT_NONE {
                formats.append(PixelFormat(list.pointee))
                list += 1
            }
            pixelFormats = formats
        } else {
            pixelFormats = nil
        }
    }

    /// The format FFmpeg would pick for frames of `source`: `source` itself when taken, else the least lossy.
    public func bestPixelFormat(for source: PixelFormat) -> PixelFormat {
        guard let formats = pixelFormats, !formats.contains(source) else { return source }
        var list = formats.map(\.raw) + [AV_PIX_FMT_NONE]
        var loss: Int32 = 0
        return PixelFormat(avcodec_find_best_pix_fmt_of_list(&list, source.raw, source.hasAlpha ? 1 : 0, &loss))
    }

    /// Whether the encoder has an option (generic or its own) called `option`.
    public func hasOption(_ option: String) -> Bool { optionRange(option) != nil }

    /// The values the encoder's option `option` takes (libx264's crf: 0...51); nil when it has no such option.
    public func optionRange(_ option: String) -> ClosedRange<Double>? {
        guard let codec = avcodec_find_encoder_by_name(name), let context = try? CodecContext(codec: codec),
              let found = av_opt_find(UnsafeMutableRawPointer(context.pointer), option, nil, 0, AV_OPT_SEARCH_CHILDREN)
        else { return nil }
        // Options without a numeric range (strings) leave both bounds 0.
        let (low, high) = (found.pointee.min, found.pointee.max)
        return low < high ? low...high : -Double.infinity...Double.infinity
    }

    /// FFmpeg's quality scale ("global_quality" with the qscale flag) counts quantiser steps in these units.
    public static let lambdaPerQuantiser = Int(FF_QP2LAMBDA)

    /// JPEG encoders take only full-range YUV.
    public var isJPEG: Bool { codecID == AV_CODEC_ID_MJPEG.rawValue || codecID == AV_CODEC_ID_LJPEG.rawValue }

    /// JPEG, WebP and TIFF have no matrix tag that decoders honour: their YUV is read as BT.601.
    public var decodesAsBT601: Bool {
        isJPEG || codecID == AV_CODEC_ID_WEBP.rawValue || codecID == AV_CODEC_ID_TIFF.rawValue
    }
}

/// Encodes video frames; owns its codec context.
///
/// Not thread-safe; `@unchecked Sendable` so the encode stage can take it over whole (see `Packet`).
public final class VideoEncoder: @unchecked Sendable {
    let codec: CodecContext
    public let settings: EncoderSettings

    /// Opens the encoder; `globalHeader` when the container wants codec headers out of band (mp4, mkv).
    public init(settings: EncoderSettings, globalHeader: Bool) throws(MediaError) {
        guard let encoder = avcodec_find_encoder_by_name(settings.codecName) else { throw .unknownCodec(settings.codecName) }
        codec = try CodecContext(codec: encoder)
        self.settings = settings
        let c = codec.pointer
        c.pointee.width = Int32(settings.width)
        c.pointee.height = Int32(settings.height)
        c.pointee.pix_fmt = settings.pixelFormat.raw
        c.pointee.time_base = settings.timeBase.av
        if settings.frameRate.isValid { c.pointee.framerate = settings.frameRate.av }
        c.pointee.sample_aspect_ratio = settings.sampleAspectRatio.av
        c.pointee.color_range = settings.color.range
        c.pointee.color_primaries = settings.color.primaries
        c.pointee.color_trc = settings.color.transfer
        c.pointee.colorspace = settings.color.matrix
        c.pointee.chroma_sample_location = settings.color.chromaLocation
        c.pointee.thread_count = 0
        c.pointee.field_order = settings.fieldOrder.av
        // Field-aware coding (x264's PAFF/MBAFF, MPEG-2 field DCT); other encoders code the frame whole and the
        // container flags it.
        if settings.fieldOrder.isInterlaced { c.pointee.flags |= Int32(AV_CODEC_FLAG_INTERLACED_DCT | AV_CODEC_FLAG_INTERLACED_ME) }
        if globalHeader { c.pointee.flags |= Int32(AV_CODEC_FLAG_GLOBAL_HEADER) }
        let options = try OptionDictionary(settings.optionsForOpening)
        try MediaError.check(avcodec_open2(c, encoder, &options.pointer),
                             "opening the \(settings.codecName) encoder for \(settings.width)x\(settings.height) \(settings.pixelFormat)")
        if let unused = options.keys.first {
            throw .unsupported("encoder \(settings.codecName) has no option '\(unused)'")
        }
    }

    public func send(_ frame: VideoFrame) throws(MediaError) -> SendResult {
        frame.pointer.pointee.pict_type = AV_PICTURE_TYPE_NONE
        let code = avcodec_send_frame(codec.pointer, frame.pointer)
        if code == lutscale_averror_eagain() { return .mustReceiveFirst }
        try MediaError.check(code, "encoding a frame")
        return .accepted
    }

    /// No more frames: the encoder then hands out the packets it still holds, then `.endOfStream`.
    public func sendEndOfStream() throws(MediaError) {
        let code = avcodec_send_frame(codec.pointer, nil)
        if code == lutscale_averror_eof() { return }
        try MediaError.check(code, "flushing the encoder")
    }

    /// The next packet, timestamps in `settings.timeBase`.
    public func receive() throws(MediaError) -> ReceiveResult<Packet> {
        let packet = try Packet()
        let code = avcodec_receive_packet(codec.pointer, packet.pointer)
        if code == lutscale_averror_eagain() { return .needsInput }
        if code == lutscale_averror_eof() { return .endOfStream }
        try MediaError.check(code, "encoding")
        return .item(packet)
    }
}

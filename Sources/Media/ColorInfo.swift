import CFFmpeg

/// The colour tags of a video stream or frame, carried from input to output.
public struct ColorInfo: Equatable, Sendable, CustomStringConvertible {
    var range: AVColorRange
    var primaries: AVColorPrimaries
    var transfer: AVColorTransferCharacteristic
    var matrix: AVColorSpace
    var chromaLocation: AVChromaLocation

    init(range: AVColorRange, primaries: AVColorPrimaries, transfer: AVColorTransferCharacteristic,
         matrix: AVColorSpace, chromaLocation: AVChromaLocation) {
        self.range = range
        self.primaries = primaries
        self.transfer = transfer
        self.matrix = matrix
        self.chromaLocation = chromaLocation
    }

    init(_ parameters: UnsafePointer<AVCodecParameters>) {
        let p = parameters.pointee
        self.init(range: p.color_range, primaries: p.color_primaries, transfer: p.color_trc, matrix: p.color_space,
                  chromaLocation: p.chroma_location)
    }

    init(_ frame: UnsafePointer<AVFrame>) {
        let f = frame.pointee
        self.init(range: f.color_range, primaries: f.color_primaries, transfer: f.color_trc, matrix: f.colorspace,
                  chromaLocation: f.chroma_location)
    }

    func apply(to frame: UnsafeMutablePointer<AVFrame>) {
        frame.pointee.color_range = range
        frame.pointee.color_primaries = primaries
        frame.pointee.color_trc = transfer
        frame.pointee.colorspace = matrix
        frame.pointee.chroma_location = chromaLocation
    }

    /// No tags at all.
    public static let unspecified = ColorInfo(range: AVCOL_RANGE_UNSPECIFIED, primaries: AVCOL_PRI_UNSPECIFIED,
                                              transfer: AVCOL_TRC_UNSPECIFIED, matrix: AVCOL_SPC_UNSPECIFIED,
                                              chromaLocation: AVCHROMA_LOC_UNSPECIFIED)

    /// Full ("jpeg", pc) range rather than limited ("mpeg", tv) or unknown.
    public var isFullRange: Bool {
        get { range == AVCOL_RANGE_JPEG }
        set { range = newValue ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG }
    }

    /// Tags for YUV made from RGB by `FrameConverter` (full range; BT.709 matrix, or BT.601 for formats decoded as
    /// BT.601 whatever their tags say): the matrix and range that convert it back. Primaries and transfer stay
    /// those of the RGB source.
    public func asYUVFromRGB(bt601: Bool = false) -> ColorInfo {
        ColorInfo(range: AVCOL_RANGE_JPEG, primaries: primaries, transfer: transfer,
                  matrix: bt601 ? AVCOL_SPC_BT470BG : AVCOL_SPC_BT709, chromaLocation: AVCHROMA_LOC_CENTER)
    }

    /// Tags for YUV made from RGB for the luma models: BT.601 limited range, whose Y is the one they were trained
    /// and are measured on (the SR protocol's `16 + (65.481 R + 128.553 G + 24.966 B) / 255`). Primaries and transfer
    /// stay those of the RGB source.
    public func asModelYUVFromRGB() -> ColorInfo {
        ColorInfo(range: AVCOL_RANGE_MPEG, primaries: primaries, transfer: transfer, matrix: AVCOL_SPC_BT470BG,
                  chromaLocation: AVCHROMA_LOC_CENTER)
    }

    /// The same tags with the BT.601 matrix.
    public func withBT601Matrix() -> ColorInfo {
        var tags = self
        tags.matrix = AVCOL_SPC_BT470BG
        return tags
    }

    /// Whether YUV under these tags and `other`'s converts to RGB by the same coefficients.
    public func hasSameMatrix(as other: ColorInfo) -> Bool { swsCoefficients == other.swsCoefficients }

    /// Tags for RGB: no matrix, full range, no chroma siting.
    public func asRGB() -> ColorInfo {
        ColorInfo(range: AVCOL_RANGE_JPEG, primaries: primaries, transfer: transfer, matrix: AVCOL_SPC_RGB,
                  chromaLocation: AVCHROMA_LOC_UNSPECIFIED)
    }

    public var rangeName: String { Self.name(av_color_range_name(range)) }
    public var primariesName: String { Self.name(av_color_primaries_name(primaries)) }
    public var transferName: String { Self.name(av_color_transfer_name(transfer)) }
    public var matrixName: String { Self.name(av_color_space_name(matrix)) }
    public var chromaLocationName: String { Self.name(av_chroma_location_name(chromaLocation)) }

    private static func name(_ text: UnsafePointer<CChar>?) -> String { text.map { String(cString: $0) } ?? "invalid" }

    public var description: String {
        "range \(rangeName), primaries \(primariesName), transfer \(transferName), matrix \(matrixName), chroma \(chromaLocationName)"
    }

    /// The swscale coefficient table for this matrix (BT.601 when unspecified, as FFmpeg assumes).
    var swsCoefficients: UnsafePointer<Int32> {
        let cs: Int32 = switch matrix {
        case AVCOL_SPC_BT709: SWS_CS_ITU709
        case AVCOL_SPC_FCC: SWS_CS_FCC
        case AVCOL_SPC_SMPTE240M: SWS_CS_SMPTE240M
        case AVCOL_SPC_BT2020_NCL, AVCOL_SPC_BT2020_CL: SWS_CS_BT2020
        default: SWS_CS_DEFAULT
        }
        return sws_getCoefficients(cs)
    }
}

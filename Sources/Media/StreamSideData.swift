import CFFmpeg
#if canImport(Glibc)
import Glibc
#endif

/// One piece of stream side data (display matrix, HDR10 mastering display, content light level, ...), copied out
/// of FFmpeg so that it can be carried from an input stream to an output stream.
public struct StreamSideData: Sendable {
    let type: AVPacketSideDataType
    let bytes: [UInt8]

    /// FFmpeg's name for the kind ("Display Matrix", "Mastering display metadata").
    public var name: String { av_packet_side_data_name(type).map { String(cString: $0) } ?? "side data \(type.rawValue)" }

    /// Kinds that describe the picture rather than the input's bitstream: they stay true of an upscaled,
    /// re-encoded stream. Others (a Dolby Vision configuration, CPB sizes) would lie about the new stream.
    var describesPicture: Bool {
        [AV_PKT_DATA_DISPLAYMATRIX, AV_PKT_DATA_STEREO3D, AV_PKT_DATA_SPHERICAL, AV_PKT_DATA_MASTERING_DISPLAY_METADATA,
         AV_PKT_DATA_CONTENT_LIGHT_LEVEL, AV_PKT_DATA_ICC_PROFILE].contains(type)
    }

    /// Kinds worth a word when left out: a Dolby Vision stream re-encoded without its RPUs plays as plain HDR10.
    /// Others that describe the old bitstream (CPB sizes) are replaced by the encoder's own.
    var isWorthANoteWhenLeftOut: Bool { type == AV_PKT_DATA_DOVI_CONF }

    var isICCProfile: Bool { type == AV_PKT_DATA_ICC_PROFILE }

    /// The same data for a picture scaled by `x`, `y`: a display matrix's translation is in pixels.
    func scaled(x: Double, y: Double) -> StreamSideData {
        guard type == AV_PKT_DATA_DISPLAYMATRIX, bytes.count >= 36 else { return self }
        var matrix = bytes.withUnsafeBytes { Array($0.bindMemory(to: Int32.self).prefix(9)) }
        // Elements 6 and 7 are the translation in 16.16 fixed point (libavutil/display.h).
        matrix[6] = Int32(clamping: Int64((Double(matrix[6]) * x).rounded()))
        matrix[7] = Int32(clamping: Int64((Double(matrix[7]) * y).rounded()))
        return StreamSideData(type: type, bytes: matrix.withUnsafeBytes { Array($0) })
    }

    /// The rotation the display matrix asks for, in degrees counter-clockwise; nil for other kinds.
    public var rotation: Double? {
        guard type == AV_PKT_DATA_DISPLAYMATRIX, bytes.count >= 36 else { return nil }
        return bytes.withUnsafeBytes { av_display_rotation_get($0.bindMemory(to: Int32.self).baseAddress) }
    }

    /// x265's `master-display` / `max-cll` parameter for HDR10 data, so that the bitstream carries it too (libx265
    /// in FFmpeg 5.1 ignores frame side data); nil for other kinds.
    var x265Parameter: String? {
        bytes.withUnsafeBytes { raw -> String? in
            switch type {
            case AV_PKT_DATA_MASTERING_DISPLAY_METADATA where raw.count >= MemoryLayout<AVMasteringDisplayMetadata>.size:
                let m = raw.loadUnaligned(as: AVMasteringDisplayMetadata.self)
                guard m.has_primaries != 0, m.has_luminance != 0 else { return nil }
                // x265 counts chromaticity in 0.00002 and luminance in 0.0001 cd/m2.
                func c(_ r: AVRational) -> Int { Int((av_q2d(r) * 50000).rounded()) }
                func l(_ r: AVRational) -> Int { Int((av_q2d(r) * 10000).rounded()) }
                let p = m.display_primaries
                return "master-display=G(\(c(p.1.0)),\(c(p.1.1)))B(\(c(p.2.0)),\(c(p.2.1)))R(\(c(p.0.0)),\(c(p.0.1)))" +
                    "WP(\(c(m.white_point.0)),\(c(m.white_point.1)))L(\(l(m.max_luminance)),\(l(m.min_luminance)))"
            case AV_PKT_DATA_CONTENT_LIGHT_LEVEL where raw.count >= MemoryLayout<AVContentLightMetadata>.size:
                let light = raw.loadUnaligned(as: AVContentLightMetadata.self)
                return "max-cll=\(light.MaxCLL),\(light.MaxFALL)"
            default:
                return nil
            }
        }
    }

    /// Frame side data of the kinds a stream also carries, as stream side data.
    init?(_ frameData: UnsafePointer<AVFrameSideData>) {
        let kinds: [(AVFrameSideDataType, AVPacketSideDataType)] = [
            (AV_FRAME_DATA_DISPLAYMATRIX, AV_PKT_DATA_DISPLAYMATRIX),
            (AV_FRAME_DATA_MASTERING_DISPLAY_METADATA, AV_PKT_DATA_MASTERING_DISPLAY_METADATA),
            (AV_FRAME_DATA_CONTENT_LIGHT_LEVEL, AV_PKT_DATA_CONTENT_LIGHT_LEVEL),
            (AV_FRAME_DATA_ICC_PROFILE, AV_PKT_DATA_ICC_PROFILE),
        ]
        guard let type = kinds.first(where: { $0.0 == frameData.pointee.type })?.1, let data = frameData.pointee.data else { return nil }
        self.init(type: type, bytes: Array(UnsafeBufferPointer(start: data, count: Int(frameData.pointee.size))))
    }

    init(type: AVPacketSideDataType, bytes: [UInt8]) {
        self.type = type
        self.bytes = bytes
    }

    /// The side data of `stream`.
    static func all(of stream: UnsafePointer<AVStream>) -> [StreamSideData] {
        (0..<Int(stream.pointee.nb_side_data)).compactMap { i in
            let entry = stream.pointee.side_data[i]
            guard let data = entry.data else { return nil }
            return StreamSideData(type: entry.type, bytes: Array(UnsafeBufferPointer(start: data, count: Int(entry.size))))
        }
    }

    /// Adds this data to `stream` (which takes a copy).
    func add(to stream: UnsafeMutablePointer<AVStream>) throws(MediaError) {
        guard let copy = av_malloc(max(1, bytes.count))?.assumingMemoryBound(to: UInt8.self) else { throw .outOfMemory("side data") }
        copy.update(from: bytes, count: bytes.count)
        let code = av_stream_add_side_data(stream, type, copy, bytes.count)
        if code < 0 { av_free(copy) }
        try MediaError.check(code, "adding \(name) to a stream")
    }
}

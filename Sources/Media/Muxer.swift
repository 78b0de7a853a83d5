import CFFmpeg
import VideoCore

/// Writes packets into a container file; owns the AVFormatContext and its output file.
///
/// The container is chosen from one name (the final output's) while the bytes go to another path (a temporary
/// file beside it), so a half-written file never carries the final name.
/// Not thread-safe; `@unchecked Sendable` so the mux stage can take it over whole (see `Packet`).
public final class Muxer: @unchecked Sendable {
    let context: UnsafeMutablePointer<AVFormatContext>
    public let path: String
    private var fileOpen = false
    private var headerWritten = false
    private var finished = false
    /// Per output stream (audio and video): the last dts written, for `repairTimestamps`.
    private var lastDTS: [Int: Int64] = [:]

    /// Picks the container from `formatPath`'s extension (or `formatName`) and will write to `path`.
    public init(formatFor formatPath: String, formatName: String? = nil, writingTo path: String) throws(MediaError) {
        // A named format must exist by that name: av_guess_format would otherwise fall back to the extension.
        guard let format = formatName.map({ av_guess_format($0, nil, nil) }) ?? av_guess_format(nil, formatPath, nil) else {
            throw formatName.map { .unsupported("container format '\($0)' (`ffmpeg -muxers` lists them)") } ?? .unknownContainer(formatPath)
        }
        var context: UnsafeMutablePointer<AVFormatContext>?
        try MediaError.check(avformat_alloc_output_context2(&context, format, nil, path), "setting up the output \(formatPath)")
        guard let context else { throw .outOfMemory("output context") }
        self.context = context
        self.path = path
    }

    deinit {
        if fileOpen { avio_closep(&context.pointee.pb) }
        avformat_free_context(context)
    }

    /// The container's short name ("mp4", "matroska", "image2", ...).
    public var formatName: String { String(cString: context.pointee.oformat.pointee.name) }
    /// Still-image output (png, jpg): one file per frame, nothing but video.
    public var isImageFile: Bool { formatName == "image2" }
    /// An image sequence (`img%03d.png`): image2 fills the number in for each frame, from 1 as the ffmpeg CLI does.
    public var isImageSequence: Bool { isImageFile && av_filename_number_test(path) != 0 }

    /// Whether `path` (or the container `formatName`) means an image sequence: image2 and a number pattern in
    /// the name as FFmpeg reads one (`%d`, `%03d`; `%%` is a plain %).
    public static func writesImageSequence(to path: String, formatName: String?) -> Bool {
        let format = formatName.map { av_guess_format($0, nil, nil) } ?? av_guess_format(nil, path, nil)
        guard let format, String(cString: format.pointee.name) == "image2" else { return false }
        return av_filename_number_test(path) != 0
    }
    /// Codecs must put their headers in extradata (mp4, mkv) rather than in the stream.
    public var needsGlobalHeader: Bool { context.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 }
    /// The encoder FFmpeg's own tools pick for this container and file name (for still images by the extension:
    /// .bmp is bmp, .tif tiff, .jpg mjpeg), as FFmpeg names it; nil when there is none.
    public func guessedVideoCodecName(for path: String) -> String? {
        let id = av_guess_codec(context.pointee.oformat, nil, path, nil, AVMEDIA_TYPE_VIDEO)
        guard id != AV_CODEC_ID_NONE, let encoder = avcodec_find_encoder(id) else { return nil }
        return String(cString: encoder.pointee.name)
    }

    /// Whether the container can store the named encoder's output: nil when FFmpeg cannot tell (the header
    /// rehearsal then has the last word).
    public func holds(encoder name: String) -> Bool? {
        guard let codec = avcodec_find_encoder_by_name(name) else { return false }
        let answer = avformat_query_codec(context.pointee.oformat, codec.pointee.id, FF_COMPLIANCE_NORMAL)
        return answer < 0 ? nil : answer == 1
    }

    /// Whether the container can store stream `index` of `demuxer` as it is (yes when FFmpeg cannot tell).
    public func canHold(streamOf demuxer: Demuxer, index: Int) -> Bool {
        let id = demuxer.stream(index).pointee.codecpar.pointee.codec_id
        return avformat_query_codec(context.pointee.oformat, id, FF_COMPLIANCE_NORMAL) != 0
    }

    /// A stream that will get `demuxer`'s packets of stream `index` unchanged; returns its output index.
    public func addCopiedStream(from demuxer: Demuxer, index: Int) throws(MediaError) -> Int {
        let input = demuxer.stream(index)
        guard let output = avformat_new_stream(context, nil) else { throw .outOfMemory("output stream") }
        try MediaError.check(avcodec_parameters_copy(output.pointee.codecpar, input.pointee.codecpar), "copying stream \(index)")
        // The input container's codec tag may mean nothing in this one; the muxer picks its own.
        output.pointee.codecpar.pointee.codec_tag = 0
        output.pointee.time_base = input.pointee.time_base
        output.pointee.disposition = input.pointee.disposition
        try MediaError.check(av_dict_copy(&output.pointee.metadata, input.pointee.metadata, 0), "copying stream metadata")
        for data in StreamSideData.all(of: input) { try data.add(to: output) }
        return Int(output.pointee.index)
    }

    /// The stream for `encoder`'s packets; returns its output index. Takes metadata (language, title), disposition
    /// and the encoder's picture side data (rotation, HDR10) from the input stream it replaces.
    public func addVideoStream(encoder: VideoEncoder, replacing index: Int, of demuxer: Demuxer) throws(MediaError) -> Int {
        let input = demuxer.stream(index)
        guard let output = avformat_new_stream(context, nil) else { throw .outOfMemory("output stream") }
        try MediaError.check(avcodec_parameters_from_context(output.pointee.codecpar, encoder.codec.pointer), "describing the video stream")
        output.pointee.time_base = encoder.codec.pointer.pointee.time_base
        output.pointee.avg_frame_rate = input.pointee.avg_frame_rate
        output.pointee.r_frame_rate = input.pointee.r_frame_rate
        output.pointee.sample_aspect_ratio = encoder.codec.pointer.pointee.sample_aspect_ratio
        output.pointee.disposition = input.pointee.disposition
        try MediaError.check(av_dict_copy(&output.pointee.metadata, input.pointee.metadata, 0), "copying stream metadata")
        // Tags that describe the input's encoding (mkvmerge's statistics, the encoder) would be false of this one.
        for key in ["encoder", "BPS", "DURATION", "NUMBER_OF_FRAMES", "NUMBER_OF_BYTES", "_STATISTICS_WRITING_APP",
                    "_STATISTICS_WRITING_DATE_UTC", "_STATISTICS_TAGS"] {
            av_dict_set(&output.pointee.metadata, key, nil, 0)
        }
        let parameters = input.pointee.codecpar.pointee
        try addSideData(encoder.settings.sideData, to: output, scaledBy: Double(encoder.settings.width) / Double(max(1, parameters.width)),
                        Double(encoder.settings.height) / Double(max(1, parameters.height)))
        return Int(output.pointee.index)
    }

    /// Copies the file-level metadata (title, ...) and the chapters of `demuxer`'s file.
    public func copyMetadata(from demuxer: Demuxer) throws(MediaError) {
        try MediaError.check(av_dict_copy(&context.pointee.metadata, demuxer.context.pointee.metadata, 0), "copying metadata")
        try copyChapters(from: demuxer)
    }

    /// Opens the file and writes the container header; streams are fixed from here on.
    public func writeHeader() throws(MediaError) {
        if context.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
            try MediaError.check(avio_open(&context.pointee.pb, path, AVIO_FLAG_WRITE), "creating \(path)")
            fileOpen = true
        }
        let options = try OptionDictionary(headerOptions)
        try MediaError.check(avformat_write_header(context, &options.pointer), "writing the \(formatName) header")
        headerWritten = true
    }

    /// image2 names files from a pattern; "update" makes it write every frame to the one given name instead (a
    /// still image, whose temporary name has no pattern).
    private var headerOptions: [String: String] { isImageFile && !isImageSequence ? ["update": "1"] : [:] }

    /// Writes the header of a copy of this output, same streams, into memory: a container that refuses its
    /// streams (H.264 in a .gif) fails here, before any frame is made and without touching the file system.
    public func rehearseHeader() throws(MediaError) {
        var made: UnsafeMutablePointer<AVFormatContext>?
        try MediaError.check(avformat_alloc_output_context2(&made, context.pointee.oformat, nil, path), "setting up the output \(path)")
        guard let rehearsal = made else { throw .outOfMemory("output context") }
        defer {
            if let buffer = rehearsal.pointee.pb {
                var bytes: UnsafeMutablePointer<UInt8>?
                avio_close_dyn_buf(buffer, &bytes)
                av_free(bytes)
                rehearsal.pointee.pb = nil
            }
            avformat_free_context(rehearsal)
        }
        for index in 0..<Int(context.pointee.nb_streams) {
            let original = context.pointee.streams[index]!
            guard let copy = avformat_new_stream(rehearsal, nil) else { throw .outOfMemory("output stream") }
            try MediaError.check(avcodec_parameters_copy(copy.pointee.codecpar, original.pointee.codecpar), "copying stream \(index)")
            copy.pointee.time_base = original.pointee.time_base
            // Attachments need their file name and MIME type.
            try MediaError.check(av_dict_copy(&copy.pointee.metadata, original.pointee.metadata, 0), "copying stream metadata")
        }
        if context.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
            try MediaError.check(avio_open_dyn_buf(&rehearsal.pointee.pb), "setting up a memory buffer")
        }
        let options = try OptionDictionary(headerOptions)
        try MediaError.check(avformat_write_header(rehearsal, &options.pointer), "writing the \(formatName) header")
    }

    /// Writes `packet` (timestamps in `timeBase`) to output stream `stream`, interleaving by time.
    public func write(_ packet: Packet, timeBase: Rational, stream: Int) throws(MediaError) {
        precondition(headerWritten && !finished, "write outside header...trailer")
        let output = context.pointee.streams[stream]!
        av_packet_rescale_ts(packet.pointer, timeBase.av, output.pointee.time_base)
        repairTimestamps(packet.pointer, stream: stream, type: output.pointee.codecpar.pointee.codec_type)
        packet.pointer.pointee.stream_index = Int32(stream)
        packet.pointer.pointee.pos = -1
        try MediaError.check(av_interleaved_write_frame(context, packet.pointer), "writing a packet")
    }

    /// The repairs ffmpeg's own muxing loop makes to audio and video timestamps that the muxer would refuse
    /// (EINVAL): a dts after its pts becomes the median of pts, dts and the last dts + 1 (libx265 at 12 bits now and
    /// then returned a packet with an uninitialised dts when the machine was busy); a dts not after the last one (or
    /// before it, where the format allows equal ones) moves up to it, and the pts with it where it must.
    private func repairTimestamps(_ packet: UnsafeMutablePointer<AVPacket>, stream: Int, type: AVMediaType) {
        guard type == AVMEDIA_TYPE_AUDIO || type == AVMEDIA_TYPE_VIDEO else { return }
        let none = lutscale_nopts_value()
        var pts = packet.pointee.pts, dts = packet.pointee.dts
        let last = lastDTS[stream]
        if dts != none, pts != none, dts > pts {
            dts = last.map { [pts, dts, $0 + 1].sorted()[1] } ?? pts
            pts = dts
        }
        if dts != none, let last {
            let least = last + (context.pointee.oformat.pointee.flags & AVFMT_TS_NONSTRICT == 0 ? 1 : 0)
            if dts < least {
                if pts != none, pts >= dts { pts = max(pts, least) }
                dts = least
            }
        }
        packet.pointee.pts = pts
        packet.pointee.dts = dts
        if dts != none { lastDTS[stream] = dts }
    }

    /// Writes what is still buffered and the trailer (index), and closes the file.
    public func finish() throws(MediaError) {
        precondition(headerWritten && !finished, "finish before the header or twice")
        finished = true
        try MediaError.check(av_write_trailer(context), "finishing \(path)")
        if fileOpen {
            fileOpen = false
            try MediaError.check(avio_closep(&context.pointee.pb), "closing \(path)")
        }
    }
}

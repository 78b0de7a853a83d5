import CFFmpeg
#if canImport(Glibc)
import Glibc
#endif

/// How the lines of a video stream's pictures were captured.
public enum FieldOrder: Sendable, Equatable, CustomStringConvertible {
    case progressive
    /// Interlaced: each picture holds two fields, alternate lines, taken at different times.
    case topFieldFirst, bottomFieldFirst

    public var isInterlaced: Bool { self != .progressive }

    public var description: String {
        switch self {
        case .progressive: "progressive"
        case .topFieldFirst: "interlaced, top field first"
        case .bottomFieldFirst: "interlaced, bottom field first"
        }
    }

    var av: AVFieldOrder {
        switch self {
        case .progressive: AV_FIELD_PROGRESSIVE
        case .topFieldFirst: AV_FIELD_TT
        case .bottomFieldFirst: AV_FIELD_BB
        }
    }
}

/// What a video stream says about its pictures beyond pixels and colour tags: side data (rotation, HDR10) and field
/// order, from the container and from the first frame's bitstream (HEVC SEI, H.264 display orientation), which
/// FFmpeg hands out only with decoded frames.
public struct PictureMetadata: Sendable {
    public var sideData: [StreamSideData]
    public var fieldOrder: FieldOrder
}

extension Demuxer {
    /// The picture metadata of video stream `index`. The first frame is decoded by a second reader of the file
    /// (this one's packets belong to the pipeline); a FIFO or device cannot be read twice and gives only what its
    /// container says.
    public func pictureMetadata(of index: Int) -> PictureMetadata {
        let stream = self.stream(index)
        var sideData = StreamSideData.all(of: stream)
        let declared = stream.pointee.codecpar.pointee.field_order
        var fieldOrder: FieldOrder = switch declared {
        case AV_FIELD_TT, AV_FIELD_TB: .topFieldFirst
        case AV_FIELD_BB, AV_FIELD_BT: .bottomFieldFirst
        default: .progressive
        }
        if let frame = Self.firstFrame(path: path, stream: index) {
            let f = frame.pointer.pointee
            for i in 0..<Int(f.nb_side_data) {
                guard let entry = f.side_data[i], let data = StreamSideData(entry) else { continue }
                // The container's word wins: it is what players read.
                if !sideData.contains(where: { $0.type == data.type }) { sideData.append(data) }
            }
            if declared == AV_FIELD_UNKNOWN || declared == AV_FIELD_PROGRESSIVE, f.interlaced_frame != 0 {
                fieldOrder = f.top_field_first != 0 ? .topFieldFirst : .bottomFieldFirst
            }
        }
        return PictureMetadata(sideData: sideData, fieldOrder: fieldOrder)
    }

    /// The first frame of stream `stream` of the regular file at `path`; nil when none decodes in its first
    /// packets or the file cannot be read again.
    private static func firstFrame(path: String, stream: Int) -> VideoFrame? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG,
              let reader = try? Demuxer(path: path), let decoder = try? VideoDecoder(demuxer: reader, streamIndex: stream)
        else { return nil }
        reader.discardStreams(except: [stream])
        for _ in 0..<256 {
            guard case let .packet(packet)? = try? reader.read() else { break }
            guard packet.streamIndex == stream else { continue }
            _ = try? decoder.send(packet)
            if case let .item(frame)? = try? decoder.receive() { return frame }
        }
        _ = try? decoder.sendEndOfStream()
        if case let .item(frame)? = try? decoder.receive() { return frame }
        return nil
    }
}

extension Muxer {
    /// Containers by FFmpeg 5.1 muxer name that store each kind of picture side data (measured: a file written and
    /// read back with ffprobe).
    private static let sideDataHolders: [AVPacketSideDataType: Set<String>] = [
        AV_PKT_DATA_DISPLAYMATRIX: movFamily,
        AV_PKT_DATA_MASTERING_DISPLAY_METADATA: movFamily.union(["matroska", "webm"]),
        AV_PKT_DATA_CONTENT_LIGHT_LEVEL: movFamily.union(["matroska", "webm"]),
        AV_PKT_DATA_STEREO3D: movFamily.union(["matroska", "webm"]),
        AV_PKT_DATA_SPHERICAL: movFamily.union(["matroska", "webm"]),
        AV_PKT_DATA_ICC_PROFILE: [],
    ]
    private static let movFamily: Set<String> = ["mov", "mp4", "ipod", "ismv", "3gp", "3g2", "psp", "f4v"]

    /// Containers that store chapters.
    private static let chapterHolders: Set<String> = movFamily.union(["matroska", "webm", "ogg", "ffmetadata"])

    /// Whether the container stores attachments (the fonts ASS subtitles need).
    public var holdsAttachments: Bool { formatName == "matroska" }

    /// Copies `demuxer`'s chapters (times in their own time base, titles).
    func copyChapters(from demuxer: Demuxer) throws(MediaError) {
        let count = Int(demuxer.context.pointee.nb_chapters)
        guard count > 0, Self.chapterHolders.contains(formatName) else { return }
        // avformat_free_context frees the array, each chapter and its metadata.
        let size = MemoryLayout<UnsafeMutablePointer<AVChapter>?>.stride
        guard let array = av_calloc(count, size)?.assumingMemoryBound(to: UnsafeMutablePointer<AVChapter>?.self) else {
            throw .outOfMemory("chapter list")
        }
        context.pointee.chapters = array
        for i in 0..<count {
            let source = demuxer.context.pointee.chapters[i]!.pointee
            guard let chapter = av_mallocz(MemoryLayout<AVChapter>.size)?.assumingMemoryBound(to: AVChapter.self) else {
                throw .outOfMemory("chapter")
            }
            chapter.pointee.id = source.id
            chapter.pointee.time_base = source.time_base
            chapter.pointee.start = source.start
            chapter.pointee.end = source.end
            array[i] = chapter
            context.pointee.nb_chapters = UInt32(i + 1)
            try MediaError.check(av_dict_copy(&chapter.pointee.metadata, source.metadata, 0), "copying chapter metadata")
        }
    }

    /// Adds the picture side data of an input stream to output stream `output`, for pictures scaled by `x`, `y`.
    func addSideData(_ sideData: [StreamSideData], to output: UnsafeMutablePointer<AVStream>, scaledBy x: Double, _ y: Double) throws(MediaError) {
        for data in sideData where data.describesPicture { try data.scaled(x: x, y: y).add(to: output) }
    }

    /// One line for each thing of the input this output loses: chapters, side data that neither the container nor
    /// the encoder's bitstream has a place for, side data that would be false of a re-encoded stream.
    public func lostMetadata(of demuxer: Demuxer, encoders: [Int: EncoderSettings]) -> [String] {
        var notes: [String] = []
        if demuxer.context.pointee.nb_chapters > 0 && !Self.chapterHolders.contains(formatName) {
            notes.append("the \(formatName) container cannot hold chapters: \(demuxer.context.pointee.nb_chapters) left out (.mkv and .mp4 hold them)")
        }
        for (index, encoder) in encoders.sorted(by: { $0.key < $1.key }) {
            for data in encoder.sideData {
                if data.isWorthANoteWhenLeftOut {
                    notes.append("stream \(index): \(data.name) left out: it describes the input's bitstream, not the re-encoded one")
                } else if data.describesPicture && !(Self.sideDataHolders[data.type]?.contains(formatName) ?? false) && !encoder.carries(data) {
                    let rotation = data.rotation.map { " (rotation \(Int($0.rounded())) degrees: players will show the picture unrotated; .mp4 and .mov hold it)" } ?? ""
                    notes.append("stream \(index): the \(formatName) container cannot hold \(data.name)\(rotation)")
                }
            }
        }
        return notes
    }
}

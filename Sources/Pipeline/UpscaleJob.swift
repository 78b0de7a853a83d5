import Foundation
import LUTEngine
import Media
import VideoCore

/// What a job decided, for messages and tests.
public struct JobDescription: Sendable {
    public let inputWidth: Int
    public let inputHeight: Int
    public let inputFormat: PixelFormat
    public let outputWidth: Int
    public let outputHeight: Int
    /// The format the planes are upscaled in.
    public let workFormat: PixelFormat
    /// The format the encoder gets.
    public let outputFormat: PixelFormat
    public let codec: String
    public let container: String
    /// What upscales the main stream's luma, e.g. "lanczos3" or "auto: lutscale-imlut".
    public let upscaler: String
    public let planes: PlaneMode
    public let estimatedFrameCount: Int?
    /// Input streams copied unchanged (audio, subtitles).
    public let copiedStreams: Int
    /// Things the user may want to know (streams left out).
    public let notes: [String]
    /// Every upscaled video stream, the main one (described above) first.
    public let videoStreams: [VideoStreamSize]
}

/// One upscaled video stream's sizes.
public struct VideoStreamSize: Sendable, Equatable {
    public let index: Int
    public let inputWidth: Int
    public let inputHeight: Int
    public let outputWidth: Int
    public let outputHeight: Int
}

/// One upscaled video stream: its decoder, plans and encoder. A file with several video streams has one each,
/// all run in the same pass (their upscale stages share the cores).
final class VideoLane {
    let inputStream: Int
    let outputStream: Int
    let decoder: VideoDecoder
    let encoder: VideoEncoder
    let inputWidth: Int
    let inputHeight: Int
    let outputWidth: Int
    let outputHeight: Int
    let workFormat: PixelFormat
    let workColor: ColorInfo
    let plans: PlanePlans
    /// Work frames -> encoder frames, one conversion after the other; none when the encoder takes the work format
    /// as it is.
    let postConversions: [(format: PixelFormat, color: ColorInfo)]
    let estimatedFrameCount: Int?
    let inputFormat: PixelFormat
    let outputFormat: PixelFormat
    /// Interlaced pictures go through the upscaler field by field.
    let fields: FieldSplit
    /// What the user should know about this stream (how interlacing was handled).
    let notes: [String]

    /// Plans stream `index` of `demuxer` at `sizeRequest`, opens its decoder and adds its encoded stream to `muxer`.
    init(index: Int, sizeRequest: SizeRequest, request: UpscaleRequest, demuxer: Demuxer, muxer: Muxer,
         codecName: String, encoderInfo: EncoderInfo, options: [String: String]) throws(PipelineError) {
        let video = demuxer.streams[index]
        guard let inputFormat = video.pixelFormat, video.width > 0, video.height > 0 else {
            throw .media(.unsupported("\(request.inputPath): video stream \(index) of unknown size or pixel format: no frame of it could be decoded (a header-only or damaged file?)"))
        }
        // Formats: decoded -> work (planes the upscaler can take) -> output (what the encoder takes).
        let decodedLayout = inputFormat.withoutJPEGRange ?? inputFormat
        var inputColor = video.color
        if inputFormat.withoutJPEGRange != nil { inputColor.isFullRange = true }
        let workFormat: PixelFormat?
        let workColor: ColorInfo
        if !decodedLayout.isRGB && !inputFormat.isPaletted {
            workFormat = decodedLayout.planarEquivalent
            workColor = inputColor
        } else if request.planes == .luma {
            // RGB's luma: through YUV 4:4:4 in the colour space whose Y the models learnt (8-bit BT.601 limited
            // range: the CLI scores what `lutscale eval` reports); deeper RGB at 16 bits.
            let depth = inputFormat.bitDepth <= 8 ? "" : "16le"
            workFormat = PixelFormat(name: inputFormat.hasAlpha ? "yuva444p\(depth)" : "yuv444p\(depth)")
            workColor = inputColor.asModelYUVFromRGB()
        } else {
            workFormat = decodedLayout.planarEquivalent
            workColor = inputColor.asRGB()
        }
        guard let workFormat else { throw .media(.unsupported("pixel format \(inputFormat)")) }
        let target = inputFormat.isPaletted ? PixelFormat(name: inputFormat.hasAlpha ? "rgba" : "rgb24")! : decodedLayout
        let outputFormat = try request.pixelFormat.map { name throws(PipelineError) in try EncoderChoice.pixelFormat(name, encoder: encoderInfo) }
            ?? encoderInfo.bestPixelFormat(for: target)
        var outputColor: ColorInfo = if outputFormat.isRGB {
            inputColor.asRGB()
        } else if workFormat.isRGB {
            inputColor.asYUVFromRGB(bt601: encoderInfo.decodesAsBT601)
        } else {
            workColor
        }
        if encoderInfo.isJPEG && !outputFormat.isRGB { outputColor.isFullRange = true }
        if encoderInfo.decodesAsBT601 && !outputFormat.isRGB { outputColor = outputColor.withBT601Matrix() }
        try EncoderChoice.checkCRF(request.crf, encoder: encoderInfo, bitDepth: outputFormat.bitDepth)
        let outputLayout = outputFormat.withoutJPEGRange ?? outputFormat
        var postConversions: [(format: PixelFormat, color: ColorInfo)] = []
        // swscale changes a YUV matrix only on the way to or from RGB: between two YUV matrices, 16-bit RGB goes between.
        if !workFormat.isRGB && !outputFormat.isRGB && !outputColor.hasSameMatrix(as: workColor) {
            postConversions.append((PixelFormat(name: "gbrp16le")!, inputColor.asRGB()))
        }
        if !postConversions.isEmpty || outputLayout != workFormat || outputColor.isFullRange != workColor.isFullRange {
            postConversions.append((outputFormat, outputColor))
        }

        let picture = demuxer.pictureMetadata(of: index)
        let fields = FieldSplit(picture.fieldOrder, deinterlace: request.deinterlace)

        // Geometry: kept fields each need whole chroma lines.
        let chroma = outputFormat.isRGB ? (x: 0, y: 0) : outputFormat.chromaShift
        let alignment = (x: 1 << chroma.x, y: (1 << chroma.y) * (fields == .fields ? 2 : 1))
        let size = try OutputGeometry.resolve(sizeRequest, width: video.width, height: video.height,
                                              alignment: alignment, formatName: outputFormat.name)
        if muxer.isImageFile && !muxer.isImageSequence, let frames = video.estimatedFrameCount, frames > 1 {
            throw .invalidRequest("\(request.outputPath) is a still image but \(request.inputPath) has \(frames) frames; write a video (.mp4, .mkv, ...) or an image sequence (img%03d.png)")
        }

        func planeSizes(_ width: Int, _ height: Int) -> [PlaneSize] {
            (0..<workFormat.planeCount).map { workFormat.planeSize($0, width: width, height: height) }
        }
        let inputPlanes = planeSizes(video.width, video.height)
        if fields == .fields, inputPlanes.contains(where: { $0.height % 2 != 0 }) {
            throw .invalidRequest("stream \(index) is interlaced but a plane of its \(video.width)x\(video.height) pictures has an odd number of lines, so its fields differ in size; pass --deinterlace")
        }
        let plans = try PlanePlans(upscaler: request.upscaler, mode: request.planes, bitDepth: workFormat.bitDepth,
                                   input: inputPlanes.map { fields.planned($0, output: false) },
                                   output: planeSizes(size.width, size.height).map { fields.planned($0, output: true) })
        self.plans = plans

        let settings = EncoderSettings(
            codecName: codecName, width: size.width, height: size.height, pixelFormat: outputFormat,
            timeBase: video.timeBase, frameRate: video.averageFrameRate, sampleAspectRatio: video.sampleAspectRatio,
            color: outputColor, options: options, sideData: picture.sideData, fieldOrder: fields.outputOrder(of: picture.fieldOrder))
        let encoder = try PipelineError.wrap { try VideoEncoder(settings: settings, globalHeader: muxer.needsGlobalHeader) }
        outputStream = try PipelineError.wrap { try muxer.addVideoStream(encoder: encoder, replacing: index, of: demuxer) }
        inputStream = index
        self.encoder = encoder
        decoder = try PipelineError.wrap { try VideoDecoder(demuxer: demuxer, streamIndex: index) }
        inputWidth = video.width
        inputHeight = video.height
        outputWidth = size.width
        outputHeight = size.height
        self.workFormat = workFormat
        self.workColor = workColor
        self.postConversions = postConversions
        estimatedFrameCount = video.estimatedFrameCount
        self.inputFormat = inputFormat
        self.outputFormat = outputFormat
        self.fields = fields
        let fieldNotes = switch fields {
        case .frame: [String]()
        case .fields: ["stream \(index) is \(picture.fieldOrder): upscaled field by field and kept interlaced (--deinterlace makes it progressive)"]
        case let .firstField(bottom): ["stream \(index) is \(picture.fieldOrder): deinterlaced, the \(bottom ? "bottom" : "top") field of each frame upscaled to the full height"]
        }
        // A pixel format the user chose loses what it loses by choice.
        notes = fieldNotes + (request.pixelFormat != nil ? [] : EncoderChoice.formatLossNotes(stream: index, input: inputFormat, output: outputFormat, encoder: encoderInfo,
                                                                     isImage: muxer.isImageFile))
    }
}

/// One input file upscaled into one output file: opened and planned by `init` (every check that can fail before
/// work starts fails there), executed by `run`.
public final class UpscaleJob {
    public let description: JobDescription
    let demuxer: Demuxer
    let muxer: Muxer
    let output: OutputFile
    /// The upscaled video streams, the main one first.
    let lanes: [VideoLane]
    /// Input stream index -> output stream index and time base, for streams copied as they are.
    let copiedStreams: [Int: (output: Int, timeBase: Rational)]
    let upscaler: any PlaneUpscaler
    let segmentWork: SegmentWork?
    let preview: Bool
    /// Preview without a model: the main stream's choice, and any step down while running.
    let ladder: PreviewLadder?
    /// Preview without a model: which model and why, and any step down while running.
    public var previewReport: String? { ladder?.report }
    var started = false

    public init(_ request: UpscaleRequest) throws(PipelineError) {
        let demuxer = try PipelineError.wrap { try Demuxer(path: request.inputPath) }
        let mainStream = try PipelineError.wrap { try demuxer.bestVideoStream() }
        // The null container writes nothing (as with ffmpeg -f null): no file to check, create or rename.
        let output = try OutputFile(path: request.outputPath, inputPath: request.inputPath, overwrite: request.overwrite,
                                    writesFile: request.format != "null",
                                    isSequence: Muxer.writesImageSequence(to: request.outputPath, formatName: request.format))
        let muxer = try PipelineError.wrap { try Muxer(formatFor: request.outputPath, formatName: request.format, writingTo: output.temporaryPath) }

        // Encoder.
        guard let codecName = request.codec ?? EncoderChoice.defaultCodec(for: muxer, outputPath: request.outputPath) else {
            throw .invalidRequest("no default video encoder for \(muxer.formatName) output; pass --codec")
        }
        let encoderInfo = try PipelineError.wrap { try EncoderInfo(name: codecName) }
        guard muxer.holds(encoder: codecName) != false else {
            throw .invalidRequest("the \(muxer.formatName) container cannot hold \(codecName) video; pick another --codec or output extension")
        }
        var options = try EncoderChoice.options(for: encoderInfo, crf: request.crf, preset: request.preset, extra: request.encoderOptions)
        // Preview is watched as it is made: x264 and x265 would otherwise hold back dozens of frames (lookahead,
        // frame threads) before the first reaches the player.
        if request.preview && ["libx264", "libx265"].contains(codecName) && options["tune"] == nil { options["tune"] = "zerolatency" }

        // Every video stream but cover pictures is upscaled (an image output holds only the main one), each at
        // its own size if the request names one.
        let videoStreams = Set(demuxer.streams.filter { $0.kind == .video && !$0.isAttachedPicture }.map(\.index))
        for index in request.streamSizes.keys where !videoStreams.contains(index) || (muxer.isImageFile && index != mainStream) {
            throw .invalidRequest("stream \(index) of \(request.inputPath) is not a video stream this output can hold (video streams: \(videoStreams.sorted().map(String.init).joined(separator: ", ")))")
        }
        func lane(_ index: Int) throws(PipelineError) -> VideoLane {
            try VideoLane(index: index, sizeRequest: request.streamSizes[index] ?? request.size, request: request, demuxer: demuxer,
                          muxer: muxer, codecName: codecName, encoderInfo: encoderInfo, options: options)
        }
        var lanes = [try lane(mainStream)]
        // A piece holds the main video stream alone; the join adds the others (#19).
        let isPiece = if case .piece = request.segmentWork { true } else { false }
        if request.segmentWork != nil, videoStreams.count > 1 {
            throw .invalidRequest("\(request.inputPath) has \(videoStreams.count) video streams; segments are made of inputs with one")
        }
        var copied: [Int: (output: Int, timeBase: Rational)] = [:]
        var notes = output.removedLeftovers.map { "removed \($0), left by an earlier run on this output that was killed" }
        for stream in demuxer.streams where stream.index != mainStream && !isPiece {
            let what = "stream \(stream.index) (\(stream.kind), \(stream.codecName))"
            if videoStreams.contains(stream.index) && !muxer.isImageFile {
                lanes.append(try lane(stream.index))
                continue
            }
            if stream.kind == .attachment && !muxer.holdsAttachments {
                notes.append("\(what) left out: the \(muxer.formatName) container cannot hold attachments (fonts of ASS subtitles); .mkv holds them")
                continue
            }
            guard [.audio, .subtitle, .attachment].contains(stream.kind), !muxer.isImageFile else {
                notes.append("\(what) left out")
                continue
            }
            guard stream.kind == .attachment || muxer.canHold(streamOf: demuxer, index: stream.index) else {
                throw .invalidRequest("the \(muxer.formatName) container cannot hold \(what) unchanged; use .mkv, which holds nearly everything")
            }
            let index = try PipelineError.wrap { try muxer.addCopiedStream(from: demuxer, index: stream.index) }
            copied[stream.index] = (index, stream.timeBase)
        }
        notes += lanes.flatMap(\.notes)
        if isPiece {
            muxer.keepTimestampsAsGiven()
        } else {
            try PipelineError.wrap { try muxer.copyMetadata(from: demuxer) }
            notes += muxer.lostMetadata(of: demuxer, encoders: Dictionary(uniqueKeysWithValues: lanes.map { ($0.inputStream, $0.encoder.settings) }))
        }
        // A container that cannot hold these streams says so now, not after the first frames are made.
        do {
            try muxer.rehearseHeader()
        } catch {
            throw .invalidRequest("the \(muxer.formatName) container refuses this output (\(codecName) video\(copied.isEmpty ? "" : " and copied streams")): \(error); pick another --codec or output extension")
        }
        let isJoin = if case .join = request.segmentWork { true } else { false }
        demuxer.discardStreams(except: Set(copied.keys).union(isJoin ? [] : lanes.map(\.inputStream)))

        let main = lanes[0]
        var upscaler = request.upscaler
        if request.preview, let catalog = request.previewModels {
            let (input, output) = (main.plans.luma.input, main.plans.luma.output)
            let measure = try PreviewLadder.frameTime(format: main.workFormat, mode: request.planes, input: input, output: output)
            let rate = main.encoder.settings.frameRate
            ladder = try PreviewLadder(candidates: catalog.previewCandidates(input: input, output: output),
                                       frameDuration: .seconds(1 / (rate.isValid ? rate.doubleValue : 25)), measure: measure)
            upscaler = ladder!.chosen
        } else {
            ladder = nil
        }
        self.description = JobDescription(
            inputWidth: main.inputWidth, inputHeight: main.inputHeight, inputFormat: main.inputFormat,
            outputWidth: main.outputWidth, outputHeight: main.outputHeight, workFormat: main.workFormat, outputFormat: main.outputFormat,
            codec: codecName, container: muxer.formatName, upscaler: upscaler.describe(input: main.plans.luma.input, output: main.plans.luma.output), planes: request.planes,
            estimatedFrameCount: main.estimatedFrameCount, copiedStreams: copied.count, notes: notes,
            videoStreams: lanes.map { VideoStreamSize(index: $0.inputStream, inputWidth: $0.inputWidth, inputHeight: $0.inputHeight,
                                                      outputWidth: $0.outputWidth, outputHeight: $0.outputHeight) })
        self.demuxer = demuxer
        self.muxer = muxer
        self.output = output
        self.lanes = lanes
        self.copiedStreams = copied
        self.upscaler = request.upscaler
        self.segmentWork = request.segmentWork
        self.preview = request.preview
    }
}

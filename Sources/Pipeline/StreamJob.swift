import Foundation
import LUTEngine
import Media
import RawVideo
import VideoCore

/// What arrives on the input pipe.
public enum StreamInput: Sendable {
    /// YUV4MPEG2, recognised by its `YUV4MPEG2 ` magic.
    case y4m
    /// Headerless frames of a known format at a known rate.
    case raw(RawVideoFormat, frameRate: Rational)
    /// The main video stream of a file (or a `pipe:` URL) read through libavformat, decoded to its planar form.
    case file(String)
}

/// Upscaling between pipes: y4m or raw frames in, y4m or raw frames out, frame for frame.
public struct StreamRequest: Sendable {
    public var input: StreamInput
    public var inputDescriptor: Int32
    public var outputDescriptor: Int32
    /// Headerless frames out instead of YUV4MPEG2.
    public var rawOutput: Bool
    public var size: SizeRequest
    public var upscaler: any PlaneUpscaler
    public var planes: PlaneMode
    /// Paced to the source frame rate; late frames are dropped instead of queued.
    public var preview: Bool
    /// Preview: instead of `upscaler`, the best of these models that keeps up (`PreviewLadder`).
    public var previewModels: ModelCatalog?
    /// Interlaced input (y4m `It`/`Ib`, or a file's field order) made progressive from the field shown first,
    /// instead of kept interlaced and upscaled field by field.
    public var deinterlace: Bool

    public init(input: StreamInput, inputDescriptor: Int32 = STDIN_FILENO, outputDescriptor: Int32 = STDOUT_FILENO,
                rawOutput: Bool = false, size: SizeRequest, upscaler: any PlaneUpscaler, planes: PlaneMode = .luma,
                preview: Bool = false, previewModels: ModelCatalog? = nil, deinterlace: Bool = false) {
        self.input = input
        self.inputDescriptor = inputDescriptor
        self.outputDescriptor = outputDescriptor
        self.rawOutput = rawOutput
        self.size = size
        self.upscaler = upscaler
        self.planes = planes
        self.preview = preview
        self.previewModels = previewModels
        self.deinterlace = deinterlace
    }
}

/// What a finished stream run did.
public struct StreamSummary: Sendable {
    public let framesRead: Int
    public let framesWritten: Int
    /// Preview only: frames skipped because the upscaler was behind the source clock.
    public let framesDropped: Int
    public let elapsed: Duration
    /// The consumer closed the output pipe before the input ended.
    public let consumerClosed: Bool
}

/// One pipe-to-pipe upscale: `init` reads the input header (y4m) and plans every plane; `run` reads, upscales and
/// writes on three threads joined by bounded queues, with the plane plans of the file pipeline.
public final class StreamJob {
    public let inputFormat: RawVideoFormat
    public let outputFormat: RawVideoFormat
    public let frameRate: Rational
    /// What upscales the luma plane, e.g. "lanczos3" or "auto: lutscale-imlut".
    public let upscalerName: String
    /// Preview without a model: which model and why, and any step down while running.
    public var previewReport: String? { ladder?.report }
    /// What the user should know (how interlacing was handled).
    public let notes: [String]
    private let source: Source
    private let writer: FrameWriter
    private let workFormat: PixelFormat
    private let renderer: FrameRenderer
    private let ladder: PreviewLadder?
    private let preview: Bool
    private var started = false

    public init(_ request: StreamRequest) throws(PipelineError) {
        // Frames are large: fewer, larger pipe transfers cost both sides less CPU.
        enlargePipeBuffer(request.inputDescriptor)
        enlargePipeBuffer(request.outputDescriptor)
        let source: Source
        var header: Y4MHeader
        switch request.input {
        case let .file(path):
            let file = try FileSource(path: path)
            source = .file(file)
            header = file.header
        case .y4m:
            do {
                let y4m = try Y4MReader(fileDescriptor: request.inputDescriptor)
                source = .pipe(.y4m(y4m))
                header = y4m.header
            } catch .badMagic(let found) {
                throw .invalidRequest("the input is not YUV4MPEG2 (it starts with \"\(found)\"); for headerless frames pass --raw-size WxH --pix-fmt F --fps N")
            } catch {
                throw .stream(error)
            }
        case let .raw(format, rate):
            source = .pipe(.raw(RawVideoReader(fileDescriptor: request.inputDescriptor, format: format)))
            header = Y4MHeader(format: format, frameRate: rate)
        }
        let input = header.format
        guard let workFormat = PixelFormat(name: input.pixelFormat.ffmpegName) else {
            throw .media(.unsupported("pixel format \(input.pixelFormat)"))
        }
        // Interlaced pictures go through the upscaler field by field, as in the file job; kept fields each need
        // whole chroma lines.
        let order: FieldOrder = switch header.interlacing {
        case .topFieldFirst?: .topFieldFirst
        case .bottomFieldFirst?: .bottomFieldFirst
        default: .progressive
        }
        let fields = FieldSplit(order, deinterlace: request.deinterlace)
        let alignment = (x: 1 << workFormat.chromaShift.x, y: (1 << workFormat.chromaShift.y) * (fields == .fields ? 2 : 1))
        let size = try OutputGeometry.resolve(request.size, width: input.width, height: input.height,
                                              alignment: alignment, formatName: workFormat.name)
        let output = try PipelineError.wrap { try RawVideoFormat(width: size.width, height: size.height, pixelFormat: input.pixelFormat) }

        let depth = input.pixelFormat.bitDepth
        let planes = (0..<max(1, input.planeCount))
        if fields == .fields, planes.contains(where: { input.planeSize($0).height % 2 != 0 }) {
            throw .invalidRequest("the input is \(order) but a plane of its \(input.width)x\(input.height) pictures has an odd number of lines, so its fields differ in size; pass --deinterlace")
        }
        switch fields {
        case .frame: notes = header.interlacing == .mixed ? ["the input's field order changes frame by frame (Im): upscaled as whole frames"] : []
        case .fields: notes = ["the input is \(order): upscaled field by field and kept interlaced (--deinterlace makes it progressive)"]
        case let .firstField(bottom):
            notes = ["the input is \(order): deinterlaced, the \(bottom ? "bottom" : "top") field of each frame upscaled to the full height"]
            header.interlacing = .progressive
        }
        var upscaler = request.upscaler
        if request.preview, let catalog = request.previewModels {
            let measure = try PreviewLadder.frameTime(format: workFormat, mode: request.planes,
                                                      input: input.planeSize(0), output: output.planeSize(0))
            let rate = header.frameRate.flatMap { $0.isValid ? $0.doubleValue : nil } ?? 25
            let ladder = try PreviewLadder(candidates: catalog.previewCandidates(input: input.planeSize(0), output: output.planeSize(0)),
                                           frameDuration: .seconds(1 / rate), measure: measure)
            upscaler = ladder.chosen
            self.ladder = ladder
        } else {
            ladder = nil
        }
        let plans = try PlanePlans(upscaler: upscaler, mode: request.planes, bitDepth: depth,
                                   input: planes.map { fields.planned(input.planeSize($0), output: false) },
                                   output: planes.map { fields.planned(output.planeSize($0), output: true) })

        // Every header tag but the size is carried over (rate, interlacing unless deinterlaced, aspect, siting,
        // range, X tags).
        header.format = output
        if request.rawOutput {
            writer = .raw(RawVideoWriter(fileDescriptor: request.outputDescriptor, format: output))
        } else {
            writer = .y4m(try PipelineError.wrap { try Y4MWriter(fileDescriptor: request.outputDescriptor, header: header) })
        }
        self.source = source
        self.inputFormat = input
        self.outputFormat = output
        // FFmpeg reads a y4m stream without a rate as 25 fps.
        self.frameRate = header.frameRate ?? Rational(25, 1)
        self.upscalerName = upscaler.describe(input: plans.luma.input, output: plans.luma.output)
        self.workFormat = workFormat
        self.renderer = try FrameRenderer(upscaler: upscaler, plans: plans, fields: fields)
        self.preview = request.preview
    }

    /// Runs until the input ends, the consumer closes the output, or `stop` is requested: pipe source -> upscale ->
    /// pipe sink, each on its own thread. `progress` is called on the writing thread after every frame.
    public func run(stop: StopSignal = StopSignal(), progress: @escaping @Sendable (JobProgress) -> Void = { _ in }) throws(PipelineError) -> StreamSummary {
        precondition(!started, "a StreamJob runs once")
        started = true
        let clock = ContinuousClock()
        let start = clock.now
        let job = JobBuilder(stop: stop)
        let depth: QueueDepth = preview ? .preview : .frames
        let frames: BoundedQueue<VideoFrame> = job.queue(depth)
        let upscaled: BoundedQueue<VideoFrame> = job.queue(preview ? .preview : QueueDepth(high: 2, low: 0))
        let read = FrameCounter(), written = FrameCounter(), dropped = FrameCounter()
        let closed = Flag()
        let readError = ReadFailure()
        let pacing = preview ? PreviewPacing(schedule: PreviewSchedule(frameRate: frameRate), dropped: dropped) : nil

        switch source {
        case let .pipe(reader):
            job.add(PipeSource(reader: reader, format: inputFormat, workFormat: workFormat, frames: frames, count: read, readError: readError))
        case let .file(file):
            let packets: BoundedQueue<Packet> = job.queue(.packets)
            job.add(DemuxSource(demuxer: file.demuxer, decoders: [file.stream: packets], copied: [:], muxing: nil, readError: readError))
            job.add(DecodeStage(decoder: file.decoder, packets: packets, frames: frames, format: workFormat, color: file.color, numbering: read))
        }
        job.add(UpscaleStage(renderer: renderer, format: workFormat, output: outputFormat.planeSize(0),
                             input: frames, upscaled: upscaled, pacing: pacing, ladder: ladder))
        job.add(PipeSink(writer: writer, planes: outputFormat.planeCount, frames: upscaled, pacing: pacing, count: written, closed: closed) { frames in
            progress(JobProgress(frames: frames, totalFrames: nil, elapsed: clock.now - start))
        })

        if let error = job.wait() ?? (closed.value ? nil : readError.error) { throw error }
        return StreamSummary(framesRead: read.value, framesWritten: written.value, framesDropped: dropped.value,
                             elapsed: clock.now - start, consumerClosed: closed.value)
    }
}


/// Where a frame pipe's frames come from.
private enum Source {
    case pipe(FrameReader)
    case file(FileSource)
}

/// A file's main video stream as the frames of a pipe: its decoder, and the YUV4MPEG2 header that describes it.
private struct FileSource {
    let demuxer: Demuxer
    let decoder: VideoDecoder
    let stream: Int
    let color: ColorInfo
    let header: Y4MHeader

    init(path: String) throws(PipelineError) {
        let demuxer = try PipelineError.wrap { try Demuxer(path: path) }
        let stream = try PipelineError.wrap { try demuxer.bestVideoStream() }
        let video = demuxer.streams[stream]
        guard let decoded = video.pixelFormat, let planar = (decoded.withoutJPEGRange ?? decoded).planarEquivalent, !planar.isRGB,
              let format = try? RawPixelFormat(ffmpegName: planar.name), video.width > 0, video.height > 0 else {
            throw .invalidRequest("\(path): its video (\(video.pixelFormat?.name ?? "unknown format")) has no YUV4MPEG2 form; write a container with --format instead")
        }
        decoder = try PipelineError.wrap { try VideoDecoder(demuxer: demuxer, streamIndex: stream) }
        demuxer.discardStreams(except: [stream])
        var color = video.color
        if decoded.withoutJPEGRange != nil { color.isFullRange = true }
        let rate = video.averageFrameRate
        let interlacing: Y4MInterlacing = switch demuxer.pictureMetadata(of: stream).fieldOrder {
        case .progressive: .progressive
        case .topFieldFirst: .topFieldFirst
        case .bottomFieldFirst: .bottomFieldFirst
        }
        header = Y4MHeader(format: try PipelineError.wrap { try RawVideoFormat(width: video.width, height: video.height, pixelFormat: format) },
                           frameRate: rate.isValid ? rate : nil, interlacing: interlacing,
                           colorRange: color.isFullRange ? .full : nil)
        self.demuxer = demuxer
        self.stream = stream
        self.color = color
    }
}

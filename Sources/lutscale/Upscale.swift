import ArgumentParser
import Foundation
import LUTEngine
import Media
import Pipeline

/// `lutscale [upscale] INPUT -o OUTPUT (--scale S | --size WxH) ...`: the default command.
struct Upscale: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upscale a video or image file (the default command).",
        discussion: """
            Audio and subtitle streams are copied unchanged and every frame keeps its timestamp. A PNG or JPEG is \
            a one-frame video. The output is written to a hidden file beside it and renamed when complete; \
            Ctrl-C finishes what is in flight and keeps a playable file.
            """
    )

    @Argument(help: ArgumentHelp("Input video or image, an image sequence (img%03d.png), or several inputs and folders (a batch, into the -o folder); - reads stdin: any container, or with -o - YUV4MPEG2 (or raw frames, --raw-size).",
                                 valueName: "INPUT"))
    var inputs: [String] = []

    /// The input of a single job.
    var input: String { inputs.first ?? "" }

    @Option(name: .shortAndLong, help: ArgumentHelp("Output file; its extension picks the container (mp4, mkv, mov, webm, png, jpg, ...); - (or pipe:1) writes stdout: the --format container, or without it, from -, YUV4MPEG2 (or --raw frames).",
                                                    valueName: "OUTPUT"))
    var output: String

    @OptionGroup var scaling: ScalingOptions
    @OptionGroup var encoding: EncodingOptions

    @Flag(name: .customShort("y"), help: "Overwrite the output file if it exists.")
    var overwrite = false

    @Flag(name: .customShort("n"), help: "Never overwrite: an existing output file is an error (the default; -n says so, and refuses -y).")
    var neverOverwrite = false

    @Flag(help: "Make interlaced video progressive (the field shown first, upscaled to the full height) instead of keeping it interlaced, upscaled field by field.")
    var deinterlace = false

    @OptionGroup var common: CommonOptions

    @OptionGroup var stream: StreamOptions

    @OptionGroup var segments: SegmentOptions

    @Option(name: .customLong("stream-scale"), parsing: .singleValue,
            help: ArgumentHelp("Scale of one input video stream by index (repeatable); others use --scale/--size.", valueName: "INDEX=S"))
    var streamScales: [StreamSetting] = []

    @Option(name: .customLong("stream-size"), parsing: .singleValue,
            help: ArgumentHelp("Exact output size of one input video stream by index (repeatable).", valueName: "INDEX=WxH"))
    var streamSizes: [StreamSetting] = []

    /// `--stream-scale` and `--stream-size` by input stream index.
    var perStreamSizes: [Int: SizeRequest] {
        var sizes: [Int: SizeRequest] = [:]
        for setting in streamScales { if case let .scale(s) = setting.value { sizes[setting.index] = .scale(s) } }
        for setting in streamSizes { if case let .size(w, h) = setting.value { sizes[setting.index] = .exact(width: w, height: h) } }
        return sizes
    }

    /// `-o -` without `--format`: frames to stdout, y4m or raw, from stdin's frames or a file's video (`StreamJob`);
    /// every other output, stdout as a container included, goes through libavformat (`UpscaleJob`).
    var isFramePipe: Bool { output == "-" && encoding.format == nil }

    /// `-` and `pipe:N` as libavformat names them.
    static func url(_ name: String, descriptor: Int32) -> String { name == "-" ? "pipe:\(descriptor)" : name }

    /// Whether `path` can be read: a file, a `pipe:` URL, or an image sequence pattern (libavformat's image2).
    static func isReadable(_ path: String) -> Bool {
        path.hasPrefix("pipe:") || path.contains("%") || FileManager.default.fileExists(atPath: path)
    }

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("Give an INPUT.") }
        if overwrite && neverOverwrite { throw ValidationError("-y overwrites and -n never does: give one of them.") }
        if segments.frames != nil || segments.time != nil || !segments.pieces.isEmpty {
            guard inputs.count == 1, inputs[0] != "-", !Batch.isBatch(inputs: inputs, output: output) else {
                throw ValidationError("--frames, --time and --join take one input file (not stdin or a batch).")
            }
        }
        if Batch.isBatch(inputs: inputs, output: output) {
            guard !inputs.contains("-") && output != "-" && !output.hasPrefix("pipe:") else {
                throw ValidationError("A batch (several inputs, a folder) reads files and writes into a folder, not pipes.")
            }
            guard !stream.isGiven && streamScales.isEmpty && streamSizes.isEmpty else {
                throw ValidationError("A batch takes --scale or --size for every input; pipe and per-stream options are for one input.")
            }
            if let missing = inputs.first(where: { !Self.isReadable($0) }) { throw ValidationError("Input \(missing) does not exist.") }
            if Batch.isPattern(output) && !output.contains("{name}") {
                throw ValidationError("An output pattern needs {name}, or every input would get the same output.")
            }
            return
        }
        if isFramePipe {
            if input == "-" {
                _ = try stream.input()
            } else {
                guard stream.rawSize == nil && stream.pixelFormat == nil && stream.fps == nil else {
                    throw ValidationError("--raw-size, --pix-fmt and --fps describe headerless frames on stdin (-).")
                }
                guard Self.isReadable(input) else { throw ValidationError("Input \(input) does not exist.") }
            }
            guard streamScales.isEmpty && streamSizes.isEmpty else { throw ValidationError("A pipe holds one video stream: use --scale or --size.") }
            guard segments.frames == nil && segments.time == nil && segments.pieces.isEmpty else {
                throw ValidationError("--frames, --time and --join are for files, not pipes.")
            }
            return
        }
        for setting in streamScales {
            guard case let .scale(s) = setting.value, s.isFinite, s > 1 else { throw ValidationError("--stream-scale takes INDEX=S with S above 1.") }
        }
        for setting in streamSizes {
            guard case .size = setting.value else { throw ValidationError("--stream-size takes INDEX=WxH.") }
        }
        let indices = streamScales.map(\.index) + streamSizes.map(\.index)
        guard Set(indices).count == indices.count else { throw ValidationError("Each stream takes one --stream-scale or --stream-size.") }
        guard !stream.describesFrames else {
            throw ValidationError("--raw-size, --pix-fmt, --fps and --raw are for frames on stdin and stdout: -o - without --format.")
        }
        guard input == "-" || Self.isReadable(input) else { throw ValidationError("Input \(input) does not exist.") }
        guard !output.isEmpty else { throw ValidationError("-o OUTPUT must not be empty.") }
        guard encoding.format != nil || !(output == "-" || output.hasPrefix("pipe:")) else {
            throw ValidationError("Writing a container to stdout needs --format (matroska, nut, mpegts, ...): there is no extension to tell.")
        }
    }

    func run() throws {
        if Batch.isBatch(inputs: inputs, output: output) { return try runBatch() }
        if isFramePipe { return try runStream() }
        let log = StandardError(silent: common.level == .quiet)
        let signals = SignalWatcher.shared
        signals.expectJob()
        MediaLog.configure(common.level)
        do {
            // Preview without --model: the best shipped model that keeps up with the main stream here.
            let previewModels = stream.preview && scaling.model == nil ? try ShippedModels.catalog() : nil
            let upscaler = previewModels == nil ? try ModelResolver.resolve(scaling.modelName) : Resampler(kernel: .lanczos3)
            try upscale(input, to: output, with: upscaler, previewModels: previewModels, log: log)
            if let signal = signals.received { throw ExitCode(128 + signal) }
        } catch {
            throw signals.exitCode(for: error, log: log)
        }
    }

    /// One file (or stdin, or a sequence) into one output, with its notes, warnings and summary on stderr.
    func upscale(_ input: String, to output: String, with upscaler: any PlaneUpscaler, previewModels: ModelCatalog? = nil,
                 log: StandardError) throws {
        let signals = SignalWatcher.shared
        var request = UpscaleRequest(
            inputPath: Self.url(input, descriptor: STDIN_FILENO), outputPath: Self.url(output, descriptor: STDOUT_FILENO), size: scaling.sizeRequest,
            upscaler: upscaler, planes: scaling.planes, format: encoding.format, codec: encoding.codec, crf: encoding.crf, preset: encoding.preset,
            overwrite: overwrite, streamSizes: perStreamSizes, deinterlace: deinterlace,
            encoderOptions: encoding.encoderOptions, pixelFormat: encoding.outputPixelFormat)
        // One segment, a join of pieces, or a long job in resumable segments (#19).
        request.segmentWork = try segments.work(input: request.inputPath)
        request.preview = stream.preview
        request.previewModels = previewModels
        if try runResumable(request, log: log) { return }
        let job = try UpscaleJob(request)
        let d = job.description
        if common.showsNotes {
            for note in d.notes { log.line("lutscale: note: \(note)") }
        }
        let summary = try signals.run(quiet: common.quiet, log: log) { try job.run(stop: $0, progress: $1) }
        if common.showsNotes, let damage = summary.damageReport { log.line("lutscale: warning: \(damage)") }
        guard !common.quiet else { return }
        // A file cut short often ends without a read error: only the announced length tells.
        if request.segmentWork == nil, let announced = d.estimatedFrameCount, !summary.stoppedEarly, !summary.consumerClosed, summary.frames * 10 < announced * 9 {
            log.line("lutscale: warning: the input ended after \(summary.frames) of the about \(announced) frames its header announces (truncated file?)")
        }
        let seconds = summary.elapsed.seconds
        let fps = seconds > 0 ? Double(summary.frames) / seconds : 0
        let stopped = signals.received.map { " (stopped by \(SignalWatcher.name($0)); the file holds the frames read until then)" } ?? ""
        let upscaler = job.previewReport.map { "preview: " + $0 } ?? d.upscaler
        var ending = stream.preview ? "; \(summary.framesDropped) frames dropped" : ""
        if summary.consumerClosed { ending += "; the consumer closed the output after \(summary.frames) frames" }
        log.line("lutscale: \(summary.frames) frames \(d.inputWidth)x\(d.inputHeight) -> \(d.outputWidth)x\(d.outputHeight) " +
                 "(\(upscaler), \(d.codec) \(d.outputFormat)) in \(String(format: "%.1f", seconds)) s, " +
                 "\(String(format: "%.1f", fps)) fps: \(output) \(ByteCountFormatter.string(fromByteCount: summary.outputBytes, countStyle: .file))\(stopped)\(ending)")
        for other in d.videoStreams.dropFirst() {
            log.line("lutscale: stream \(other.index): \(other.inputWidth)x\(other.inputHeight) -> \(other.outputWidth)x\(other.outputHeight)")
        }
    }
}

/// `INDEX=S` or `INDEX=WxH`, as typed after --stream-scale and --stream-size.
struct StreamSetting: ExpressibleByArgument {
    enum Value {
        case scale(Double)
        case size(Int, Int)
    }
    let index: Int
    let value: Value

    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let index = Int(parts[0]), index >= 0 else { return nil }
        self.index = index
        if let size = OutputSize(argument: String(parts[1])) {
            value = .size(size.width, size.height)
        } else if let scale = decimalNumber(String(parts[1])) {
            value = .scale(scale)
        } else {
            return nil
        }
    }
}

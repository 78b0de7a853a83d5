import ArgumentParser
import Foundation
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

    @Argument(help: ArgumentHelp("Input video or image; - reads YUV4MPEG2 (or raw frames, --raw-size) from stdin.", valueName: "INPUT"))
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Output file; its extension picks the container (mp4, mkv, mov, webm, png, jpg, ...); - writes YUV4MPEG2 (or --raw frames) to stdout.",
                                                    valueName: "OUTPUT"))
    var output: String

    @OptionGroup var scaling: ScalingOptions
    @OptionGroup var encoding: EncodingOptions

    @Flag(name: .customShort("y"), help: "Overwrite the output file if it exists.")
    var overwrite = false

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

    func validate() throws {
        if input == "-" || output == "-" {
            guard input == "-" && output == "-" else {
                throw ValidationError("Pipes go both ways: - as input needs -o - (YUV4MPEG2 or --raw out), and -o - needs - as input.")
            }
            _ = try stream.input()
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
        guard !stream.isGiven else { throw ValidationError("--raw-size, --pix-fmt, --fps, --raw and --preview are for pipes: - -o -.") }
        guard FileManager.default.fileExists(atPath: input) else { throw ValidationError("Input \(input) does not exist.") }
        guard !output.isEmpty else { throw ValidationError("-o OUTPUT must not be empty.") }
    }

    func run() throws {
        if input == "-" { return try runStream() }
        let log = StandardError()
        let signals = SignalWatcher.shared
        signals.expectJob()
        MediaLog.configure(quiet: common.quiet)
        do {
            let upscaler = try ModelResolver.resolve(scaling.modelName)
            var request = UpscaleRequest(
                inputPath: input, outputPath: output, size: scaling.sizeRequest, upscaler: upscaler,
                planes: scaling.planes, format: encoding.format, codec: encoding.codec, crf: encoding.crf, preset: encoding.preset,
                overwrite: overwrite, streamSizes: perStreamSizes)
            // One segment, a join of pieces, or a long job in resumable segments (#19).
            request.segmentWork = try segments.work(input: input)
            if try runResumable(request, log: log) { return }
            let job = try UpscaleJob(request)
            let d = job.description
            if !common.quiet {
                for note in d.notes { log.line("lutscale: note: \(note)") }
            }
            let summary = try signals.run(quiet: common.quiet, log: log) { try job.run(stop: $0, progress: $1) }
            if !common.quiet {
                if let damage = summary.damageReport { log.line("lutscale: warning: \(damage)") }
                // A file cut short often ends without a read error: only the announced length tells.
                if request.segmentWork == nil, let announced = d.estimatedFrameCount, !summary.stoppedEarly, summary.frames * 10 < announced * 9 {
                    log.line("lutscale: warning: the input ended after \(summary.frames) of the about \(announced) frames its header announces (truncated file?)")
                }
                let seconds = summary.elapsed.seconds
                let fps = seconds > 0 ? Double(summary.frames) / seconds : 0
                let stopped = signals.received.map { " (stopped by \(SignalWatcher.name($0)); the file holds the frames read until then)" } ?? ""
                log.line("lutscale: \(summary.frames) frames \(d.inputWidth)x\(d.inputHeight) -> \(d.outputWidth)x\(d.outputHeight) " +
                         "(\(d.upscaler), \(d.codec) \(d.outputFormat)) in \(String(format: "%.1f", seconds)) s, " +
                         "\(String(format: "%.1f", fps)) fps: \(output) \(ByteCountFormatter.string(fromByteCount: summary.outputBytes, countStyle: .file))\(stopped)")
            }
            if !common.quiet {
                for other in d.videoStreams.dropFirst() {
                    log.line("lutscale: stream \(other.index): \(other.inputWidth)x\(other.inputHeight) -> \(other.outputWidth)x\(other.outputHeight)")
                }
            }
            if let signal = signals.received { throw ExitCode(128 + signal) }
        } catch {
            throw signals.exitCode(for: error, log: log)
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

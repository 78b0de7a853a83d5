import ArgumentParser
import Foundation
import LUTEngine
import Pipeline
import RawVideo
import VideoCore

/// Options for `-` as input and output: pipes of YUV4MPEG2 or headerless frames.
struct StreamOptions: ParsableArguments {
    @Option(name: .customLong("raw-size"), help: ArgumentHelp("Input on stdin is headerless rawvideo of this size (with --pix-fmt and --fps).",
                                                             valueName: "WxH"))
    var rawSize: OutputSize?

    @Option(name: .customLong("pix-fmt"), help: ArgumentHelp("Pixel format of rawvideo input by FFmpeg name (yuv420p, yuv420p10le, gray, ...).",
                                                            valueName: "F"))
    var pixelFormat: String?

    @Option(help: ArgumentHelp("Frame rate of rawvideo input (e.g. 25 or 30000/1001).", valueName: "N"))
    var fps: String?

    @Flag(name: .customLong("raw"), help: "With -o -: write headerless frames instead of YUV4MPEG2.")
    var rawOutput = false

    @Flag(help: "Pace output to the source frame rate, dropping frames when the upscaler falls behind (to watch as it is made: frames or a container with its audio on stdout).")
    var preview = false

    var isGiven: Bool { describesFrames || preview }
    /// Options of headerless or y4m frame pipes only.
    var describesFrames: Bool { rawSize != nil || pixelFormat != nil || fps != nil || rawOutput }

    func input() throws -> StreamInput {
        guard rawSize != nil || pixelFormat != nil || fps != nil else { return .y4m }
        guard let rawSize, let pixelFormat, let fps else {
            throw ValidationError("Raw video input needs all of --raw-size WxH, --pix-fmt F and --fps N.")
        }
        guard let rate = Self.rate(fps) else { throw ValidationError("--fps must be a positive number or N/D, not \(fps).") }
        do {
            let format = try RawVideoFormat(width: rawSize.width, height: rawSize.height, pixelFormat: RawPixelFormat(ffmpegName: pixelFormat))
            return .raw(format, frameRate: rate)
        } catch {
            throw ValidationError("Raw video input: \(error).")
        }
    }

    /// `25`, `29.97` or `30000/1001` as a ratio.
    static func rate(_ text: String) -> Rational? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2, let n = Int32(parts[0]), let d = Int32(parts[1]), n > 0, d > 0 { return Rational(n, d) }
        guard parts.count == 1, let value = decimalNumber(text), value.isFinite, value > 0, value < 1_000_000 else { return nil }
        return value == value.rounded() ? Rational(Int32(value), 1) : Rational(Int32((value * 1000).rounded()), 1000)
    }
}

extension Upscale {
    /// `lutscale - -o - ...` or `lutscale FILE -o - ...`: frames to stdout; only frames go there, everything else to
    /// stderr.
    func runStream() throws {
        let log = StandardError()
        let signals = SignalWatcher.shared
        signals.expectJob()
        do {
            let input = self.input == "-" ? try stream.input() : .file(self.input)
            // Preview without --model: the best shipped model that keeps up with the stream here.
            let previewModels = stream.preview && scaling.model == nil ? try ShippedModels.catalog() : nil
            let upscaler = previewModels == nil ? try ModelResolver.resolve(scaling.modelName) : Resampler(kernel: .lanczos3)
            let job = try StreamJob(StreamRequest(input: input, rawOutput: stream.rawOutput, size: scaling.sizeRequest, upscaler: upscaler,
                                                  planes: scaling.planes, preview: stream.preview, previewModels: previewModels,
                                                  deinterlace: deinterlace))
            if common.showsNotes {
                for note in job.notes { log.line("lutscale: note: \(note)") }
            }
            let summary = try signals.run(quiet: common.quiet, log: log) { try job.run(stop: $0, progress: $1) }
            if !common.quiet {
                let seconds = summary.elapsed.seconds
                let fps = seconds > 0 ? Double(summary.framesWritten) / seconds : 0
                let used = job.previewReport.map { "preview: " + $0 }
                var line = "lutscale: \(summary.framesWritten) frames \(job.inputFormat) -> \(job.outputFormat.width)x\(job.outputFormat.height) " +
                    "(\(used ?? job.upscalerName)) in \(String(format: "%.1f", seconds)) s, \(String(format: "%.1f", fps)) fps"
                if stream.preview { line += "; \(summary.framesDropped) frames dropped" }
                if summary.consumerClosed { line += "; the consumer closed the output after \(summary.framesWritten) frames" }
                log.line(line)
            }
            if let signal = signals.received { throw ExitCode(128 + signal) }
        } catch {
            throw signals.exitCode(for: error, log: log)
        }
    }
}

import Foundation
import LUTEngine
import Media

/// The encoder and its options for an output: defaults per container, the user's choices on top.
enum EncoderChoice {
    /// The encoder used when none is asked for.
    static func defaultCodec(for muxer: Muxer, outputPath: String) -> String? {
        if muxer.isImageFile { return muxer.guessedVideoCodecName(for: outputPath) }
        if muxer.formatName == "webm" { return "libvpx-vp9" }
        // Only where the container surely takes it: gif and webp take nothing but their own codec.
        if muxer.holds(encoder: "libx264") == true { return "libx264" }
        return muxer.guessedVideoCodecName(for: outputPath)
    }

    /// The CRF range of encoders whose option declares a wider one than the library takes, for frames of
    /// `bitDepth` bits: x264 clamps to 51 plus 6 per bit over 8, x265 to 51.
    static func crfLimit(of encoder: String, bitDepth: Int) -> ClosedRange<Double>? {
        switch encoder {
        case "libx264": 0...Double(51 + 6 * max(0, bitDepth - 8))
        case "libx265": 0...51
        default: nil
        }
    }

    /// Refuses a CRF the encoder would clamp without a word, once the encoder's pixel format is known.
    static func checkCRF(_ crf: Double?, encoder: EncoderInfo, bitDepth: Int) throws(PipelineError) {
        guard let crf, let allowed = crfLimit(of: encoder.name, bitDepth: bitDepth) ?? encoder.optionRange("crf"),
              !allowed.contains(crf) else { return }
        let text = { String(format: "%g", $0) }
        throw .invalidRequest("--crf \(text(crf)) is outside \(encoder.name)'s range \(text(allowed.lowerBound))...\(text(allowed.upperBound)) at \(bitDepth) bits")
    }

    /// Encoder options: a constant-quality default where the encoder has one, then `crf`/`preset` if given
    /// (refused, with the encoder's name, where it has no such option), then `extra` as they are (the encoder
    /// refuses options it does not have when it opens); a bitrate in `extra` ("b") replaces the default quality.
    static func options(for encoder: EncoderInfo, crf: Double?, preset: String?, extra: [String: String] = [:]) throws(PipelineError) -> [String: String] {
        var options: [String: String] = [:]
        switch encoder.name {
        case "libx264", "libx265":
            options = ["crf": "18", "preset": "medium"]
        case "libvpx-vp9", "libvpx":
            // Constant quality needs the bitrate target off.
            options = ["crf": "31", "b": "0"]
        case "mjpeg":
            // Quantiser 2 (in lambda units): near-lossless JPEG instead of the 200 kb/s default.
            options = ["flags": "+qscale", "global_quality": "\(2 * EncoderInfo.lambdaPerQuantiser)"]
        default:
            break
        }
        if let crf {
            guard encoder.hasOption("crf") else {
                throw .invalidRequest("encoder \(encoder.name) has no --crf setting; leave it out or pick a codec that has one (libx264, libx265, libvpx-vp9)")
            }
            options["crf"] = crf == crf.rounded() ? String(Int(crf)) : String(crf)
        }
        if let preset {
            guard encoder.hasOption("preset") else {
                throw .invalidRequest("encoder \(encoder.name) has no --preset setting; leave it out or pick a codec that has one (libx264, libx265)")
            }
            options["preset"] = preset
        }
        if extra["b"] != nil {
            guard crf == nil else { throw .invalidRequest("give either a constant quality (--crf) or a bitrate, not both") }
            options["crf"] = nil
        }
        options.merge(extra) { $1 }
        // libx264 alone on a machine runs 1.5 frame threads per core (the extra ones hide its waits); beside the
        // upscaler, which takes every core for each frame, one per core is enough: more only add frames in flight
        // (memory, latency) and threads competing for the same cores (2 cores, 720p x2 at medium: the same time,
        // 1.6% less CPU and 5% less peak memory than x264's own count). x265's pool is one thread per core already.
        // A thread count the user gave (--codec-option threads=N, --x264-params threads=N) wins.
        if encoder.name == "libx264" && options["threads"] == nil && !parameterNames(options["x264-params"]).contains("threads") {
            options["threads"] = String(activeProcessorCount)
        }
        return options
    }

    /// The keys of an x264/x265 parameter string, `key=value:key=value`.
    static func parameterNames(_ parameters: String?) -> [String] {
        (parameters ?? "").split(separator: ":").map { String($0.prefix { $0 != "=" }) }
    }

    /// The pixel format named `name` if `encoder` takes it.
    static func pixelFormat(_ name: String, encoder: EncoderInfo) throws(PipelineError) -> PixelFormat {
        guard let format = PixelFormat(name: name) else { throw .invalidRequest("unknown pixel format '\(name)' (`ffmpeg -pix_fmts` lists them)") }
        if let taken = encoder.pixelFormats, !taken.contains(format) {
            throw .invalidRequest("\(encoder.name) does not take \(name); it takes \(taken.map(\.name).joined(separator: ", "))")
        }
        return format
    }

    /// What `encoder` loses of pictures of `input` format when it gets `output`: bit depth (12-bit into libx264) and
    /// alpha, each with the installed encoders that would keep it (for a still image, PNG).
    static func formatLossNotes(stream: Int, input: PixelFormat, output: PixelFormat, encoder: EncoderInfo, isImage: Bool) -> [String] {
        func keeping(_ candidates: [String], _ keeps: (PixelFormat) -> Bool) -> String {
            if isImage { return " (a .png output keeps it)" }
            let names = candidates.filter { name in (try? EncoderInfo(name: name)).map { keeps($0.bestPixelFormat(for: input)) } ?? false }
            guard let last = names.last else { return "" }
            let list = names.count == 1 ? last : names.dropLast().joined(separator: ", ") + " or " + last
            return " (--codec \(list) keeps it; .mkv holds them)"
        }
        var notes: [String] = []
        if output.bitDepth < input.bitDepth && !input.isPaletted {
            notes.append("stream \(stream): \(input.bitDepth)-bit \(input) becomes \(output.bitDepth)-bit \(output), the most \(encoder.name) takes" +
                         keeping(["libx265", "ffv1", "libvpx-vp9"]) { $0.bitDepth >= input.bitDepth })
        }
        if input.hasAlpha && !output.hasAlpha {
            notes.append("stream \(stream): the alpha channel is dropped: \(encoder.name) has none" + keeping(["ffv1", "libvpx-vp9"], \.hasAlpha))
        }
        return notes
    }
}

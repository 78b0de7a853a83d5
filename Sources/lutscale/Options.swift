import ArgumentParser
import Media
import Pipeline

/// Options every subcommand that reports while working shares.
struct CommonOptions: ParsableArguments {
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Print nothing but errors (no progress, no summary): --loglevel error.")
    var quietFlag = false

    @Option(name: [.customShort("v"), .customLong("loglevel")],
            help: ArgumentHelp("How much to print, as in FFmpeg: quiet (nothing), error, warning (notes too), info (default: progress and summary), " +
                               "verbose or debug (the FFmpeg and encoder libraries' own messages too, x265's included).",
                               valueName: "LEVEL"))
    var logLevel: LogLevel?

    var level: LogLevel { logLevel ?? (quietFlag ? .error : .info) }
    /// No progress and no summary.
    var quiet: Bool { level < .info }
    /// Notes on what the output loses or how the input was taken.
    var showsNotes: Bool { level >= .warning }

    func validate() throws {
        if quietFlag, let logLevel, logLevel != .error { throw ValidationError("-q is --loglevel error; give one of them.") }
    }
}

extension LogLevel: ExpressibleByArgument {}

/// How big the output is and which method makes it; shared by commands that upscale.
struct ScalingOptions: ParsableArguments {
    // Unconditional, so that `--scale -2` reaches `validate()` and its message instead of "missing value".
    @Option(parsing: .unconditional, help: ArgumentHelp("Scale factor, any real number above 1 (e.g. 2 or 2.25).", valueName: "S"),
            transform: decimal)
    var scale: Double?

    @Option(help: ArgumentHelp("Exact output size instead of --scale (e.g. 3840x2160).", valueName: "WxH"))
    var size: OutputSize?

    // Optional so that an explicit choice is told apart from the default (--preview has a default of its own).
    @Option(help: ArgumentHelp("Upscaling model: a name (\(ModelResolver.names.joined(separator: ", "))) or a model file path " +
                               "(default \(ModelResolver.defaultName); with --preview, the best shipped model that keeps up with the stream on this machine).",
                               valueName: "NAME|PATH"))
    var model: String?

    var modelName: String { model ?? ModelResolver.defaultName }

    @Option(help: ArgumentHelp("Planes the model upscales: 'luma' (chroma by Lanczos) or 'all' (RGB stays RGB).",
                               valueName: "luma|all"))
    var planes: PlaneMode = .luma

    func validate() throws {
        switch (scale, size) {
        case (nil, nil): throw ValidationError("Give the output size with --scale S or --size WxH.")
        case (.some, .some): throw ValidationError("Give either --scale or --size, not both.")
        case let (.some(scale), nil):
            guard scale.isFinite, scale > 1 else { throw ValidationError("--scale must be a number above 1, not \(scale).") }
        case (nil, .some): break
        }
    }

    var sizeRequest: SizeRequest {
        if let size { return .exact(width: size.width, height: size.height) }
        return .scale(scale ?? 1)
    }
}

/// How the output video is encoded.
struct EncodingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Container by FFmpeg name (nut, matroska, mp4, null, ...), for outputs whose extension does not tell (pipes such as /dev/stdout).",
                               valueName: "NAME"))
    var format: String?

    @Option(help: ArgumentHelp("FFmpeg video encoder (libx264, libx265, libvpx-vp9, png, mjpeg, ...); default from the output extension.",
                               valueName: "C"))
    var codec: String?

    @Option(help: ArgumentHelp("Constant-quality factor for encoders that have one (libx264 default 18; lower is better).",
                               valueName: "N"), transform: decimal)
    var crf: Double?

    @Option(help: ArgumentHelp("Encoder speed preset for encoders that have one (libx264: ultrafast ... veryslow; default medium).",
                               valueName: "P"))
    var preset: String?

    @Option(help: ArgumentHelp("Encoder tuning for encoders that have one (libx264: film, animation, grain, ...; libx265: grain, animation, ...).",
                               valueName: "T"))
    var tune: String?

    @Option(help: ArgumentHelp("Target bitrate instead of constant quality, as FFmpeg writes it (e.g. 8M, 2500k).", valueName: "RATE"))
    var bitrate: String?

    @Option(name: .customLong("x264-params"), help: ArgumentHelp("libx264's own options, key=value:key=value.", valueName: "PARAMS"))
    var x264Params: String?

    @Option(name: .customLong("x265-params"), help: ArgumentHelp("libx265's own options, key=value:key=value.", valueName: "PARAMS"))
    var x265Params: String?

    @Option(name: .customLong("codec-option"), parsing: .singleValue,
            help: ArgumentHelp("Any other encoder option by its FFmpeg name (repeatable), e.g. profile=high or g=48.", valueName: "KEY=VALUE"))
    var codecOptions: [String] = []

    @Option(name: .customLong("output-pix-fmt"),
            help: ArgumentHelp("The encoder's pixel format (e.g. yuv420p10le for 10-bit HEVC from 8-bit input); default: the input's, as far as the encoder takes it.",
                               valueName: "F"))
    var outputPixelFormat: String?

    /// Options by FFmpeg name from --tune, --bitrate, --x264-params, --x265-params and --codec-option.
    var encoderOptions: [String: String] {
        var options: [String: String] = [:]
        for option in codecOptions {
            let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
            options[parts[0]] = parts[1]
        }
        let named = [("tune", tune), ("b", bitrate), ("x264-params", x264Params), ("x265-params", x265Params)]
        for case let (key, value?) in named { options[key] = value }
        return options
    }

    func validate() throws {
        for option in codecOptions where option.split(separator: "=", maxSplits: 1).count != 2 || option.hasPrefix("=") {
            throw ValidationError("--codec-option takes KEY=VALUE, not '\(option)'.")
        }
        if crf != nil && bitrate != nil { throw ValidationError("Give either --crf or --bitrate, not both.") }
        if let crf, !(crf.isFinite && crf >= 0 && crf <= 63) { throw ValidationError("--crf must be between 0 and 63.") }
        if let preset, preset.isEmpty { throw ValidationError("--preset must not be empty.") }
        if let codec, codec.isEmpty { throw ValidationError("--codec must not be empty.") }
        if let format, format.isEmpty { throw ValidationError("--format must not be empty.") }
    }
}

/// `WxH`, as typed on the command line.
struct OutputSize: ExpressibleByArgument {
    let width: Int
    let height: Int

    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0 else { return nil }
        width = w
        height = h
    }
}

extension PlaneMode: ExpressibleByArgument {}

/// A number as people type it: Swift's `Double(_:)` also reads hexadecimal ("0x10" is 16), which nobody means.
func decimalNumber(_ text: String) -> Double? {
    text.lowercased().contains("x") ? nil : Double(text)
}

/// `decimalNumber` as an option's transform.
func decimal(_ text: String) throws -> Double {
    guard let value = decimalNumber(text) else { throw ValidationError("not a decimal number") }
    return value
}

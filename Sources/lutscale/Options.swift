import ArgumentParser
import Pipeline

/// Options every subcommand that reports while working shares.
struct CommonOptions: ParsableArguments {
    @Flag(name: [.customShort("q"), .long], help: "Print nothing but errors (no progress, no summary).")
    var quiet = false
}

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

    func validate() throws {
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

import VideoCore

/// How the user asked for the output size.
public enum SizeRequest: Sendable, Equatable {
    /// Both sides multiplied by a real factor, rounded to what the chroma subsampling allows.
    case scale(Double)
    /// Exact output dimensions.
    case exact(width: Int, height: Int)
}

/// Output dimensions from a request; refuses sizes nobody can mean before anything is allocated.
public enum OutputGeometry {
    /// Largest side accepted (H.264's and HEVC's limit in most encoders is 16384 or below).
    public static let maximumSide = 16384
    /// Largest pixel count accepted: 8192x8192, about 32 times 4K.
    public static let maximumPixels = 8192 * 8192

    /// The output size for an input of `width` x `height` whose output format subsamples chroma by
    /// `alignment` (2, 2 for 4:2:0; named `formatName` in messages): both sides must be multiples of it.
    public static func resolve(_ request: SizeRequest, width: Int, height: Int,
                               alignment: (x: Int, y: Int), formatName: String) throws(PipelineError) -> PlaneSize {
        let size: PlaneSize
        switch request {
        case let .scale(factor):
            guard factor.isFinite, factor > 0 else { throw .invalidRequest("scale \(factor) is not a positive number") }
            // Checked in Double first so that a huge factor cannot overflow Int.
            let w = Double(width) * factor, h = Double(height) * factor
            guard w <= Double(maximumSide), h <= Double(maximumSide) else { throw tooLarge("scale \(factor) of \(width)x\(height)") }
            size = PlaneSize(width: alignedRound(w, to: alignment.x), height: alignedRound(h, to: alignment.y))
        case let .exact(w, h):
            guard w > 0, h > 0 else { throw .invalidRequest("output size \(w)x\(h) must be positive") }
            // Limits before alignment: the suggestion below must itself be a size we accept (and cannot overflow).
            try checkLimits(w, h)
            guard w % alignment.x == 0, h % alignment.y == 0 else {
                // Rounded up, or down where up would pass the pixel limit: a suggestion that is accepted.
                let up = (roundUp(w, to: alignment.x), roundUp(h, to: alignment.y))
                let suggested = fits(up.0, up.1) ? up : (w / alignment.x * alignment.x, h / alignment.y * alignment.y)
                let suggestion = "\(suggested.0)x\(suggested.1)"
                throw .invalidRequest("output size \(w)x\(h) does not fit \(formatName)'s chroma subsampling: width must be a multiple of \(alignment.x) and height of \(alignment.y); try \(suggestion)")
            }
            size = PlaneSize(width: w, height: h)
        }
        try checkLimits(size.width, size.height)
        return size
    }

    private static func checkLimits(_ width: Int, _ height: Int) throws(PipelineError) {
        guard fits(width, height) else { throw tooLarge("\(width)x\(height)") }
    }

    /// Sides first, so the product cannot overflow.
    private static func fits(_ width: Int, _ height: Int) -> Bool {
        width <= maximumSide && height <= maximumSide && width * height <= maximumPixels
    }

    private static func roundUp(_ value: Int, to step: Int) -> Int { (value + step - 1) / step * step }

    /// Nearest multiple of `step`, at least one step.
    private static func alignedRound(_ value: Double, to step: Int) -> Int {
        max(step, Int((value / Double(step)).rounded()) * step)
    }

    private static func tooLarge(_ what: String) -> PipelineError {
        .invalidRequest("output size (\(what)) is too large (at most \(maximumSide) per side and \(maximumPixels / 1_000_000) megapixels)")
    }
}

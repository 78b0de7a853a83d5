import Foundation
import LUTEngine
import Media
import VideoCore

/// Preview without `--model`: the best candidate (`ModelCatalog.previewCandidates`, best first) that keeps up with
/// the source on this machine. Candidates are timed at start, best first, on frames of the stream's real sizes
/// until one renders a frame within `headroom` of the frame duration (the rest is the reader's and the writer's);
/// while running, the upscale stage steps down to the next candidate when it falls behind (`KeepUpWatch`).
public final class PreviewLadder: @unchecked Sendable {
    /// The share of a frame's duration the upscaler may take.
    static let headroom = 0.8

    let frameDuration: Duration
    /// The upscaler chosen at start.
    let chosen: any PlaneUpscaler
    // Guarded by `lock`: the candidates below the current one (with their time at start, if timed), its name, and
    // what was decided, for the summary.
    private let lock = NSLock()
    private var below: ArraySlice<(candidate: ModelCandidate, time: Duration?)>
    private var current: String
    private var decisions: [String]

    /// Times the candidates in order with `measure` (one frame's time within a budget; nil when the candidate cannot
    /// serve this stream) and keeps the first within budget, or, when none is, the fastest.
    init(candidates: [ModelCandidate], frameDuration: Duration,
         measure: (any PlaneUpscaler, Duration) throws(PipelineError) -> Duration?) throws(PipelineError) {
        self.frameDuration = frameDuration
        let budget = frameDuration * Self.headroom
        var slower: [String] = []
        var times: [Duration?] = Array(repeating: nil, count: candidates.count)
        var pick: (index: Int, upscaler: any PlaneUpscaler, time: Duration)?
        for (index, candidate) in candidates.enumerated() {
            guard let upscaler = try? candidate.make(), let time = try measure(upscaler, budget) else { continue }
            times[index] = time
            if pick == nil || time < pick!.time || time <= budget { pick = (index, upscaler, time) }
            if time <= budget { break }
            slower.append("\(candidate.name) \(Self.milliseconds(time))")
        }
        guard let pick else { throw .invalidRequest("--preview: no model can upscale this stream; pass --model") }
        let name = candidates[pick.index].name
        let verdict = pick.time <= budget ? "the best that keeps up here" : "none keeps up here; the fastest"
        var text = "\(name): \(verdict), \(Self.milliseconds(pick.time)) a frame of \(Self.milliseconds(frameDuration))"
        slower.removeAll { $0.hasPrefix(name + " ") }
        if !slower.isEmpty { text += " (slower: \(slower.joined(separator: ", ")))" }
        chosen = pick.upscaler
        current = name
        below = zip(candidates, times).map { (candidate: $0, time: $1) }[(pick.index + 1)...]
        decisions = [text]
    }

    /// The next candidate down that was not slower at start, made now, after the current one took `mean` a frame
    /// up to frame `frame`; nil at the bottom.
    func stepDown(atFrame frame: Int64, mean: Duration) -> (any PlaneUpscaler)? {
        lock.withLock { () -> (any PlaneUpscaler)? in
            while let (next, time) = below.popFirst() {
                guard time.map({ $0 < mean }) ?? true, let upscaler = try? next.make() else { continue }
                decisions.append("stepped down to \(next.name) at frame \(frame): \(current) took \(Self.milliseconds(mean)) a frame")
                current = next.name
                return upscaler
            }
            return nil
        }
    }

    /// Which model previewed and why, for the summary.
    public var report: String { lock.withLock { decisions.joined(separator: "; ") } }

    static func milliseconds(_ time: Duration) -> String {
        String(format: "%.1f ms", Double(time / .microseconds(1)) / 1000)
    }
}

/// Watches the upscaler's time per frame while preview runs: once the mean over the last `window` frames exceeds
/// the frame duration, the upscaler cannot keep up whatever the queues do, and the watch says to step down (then
/// starts afresh, so the next candidate gets a full window).
struct KeepUpWatch: Sendable {
    enum Action: Equatable { case keep, stepDown }

    let limit: Duration
    let window: Int
    private var recent: [Duration] = []
    /// The mean that made the last step down.
    private(set) var lastMean: Duration = .zero

    init(limit: Duration, window: Int = 12) {
        self.limit = limit
        self.window = window
    }

    mutating func record(_ time: Duration) -> Action {
        recent.append(time)
        if recent.count > window { recent.removeFirst() }
        guard recent.count == window else { return .keep }
        let mean = recent.reduce(.zero, +) / window
        guard mean > limit else { return .keep }
        lastMean = mean
        recent.removeAll()
        return .stepDown
    }
}

extension PreviewLadder {
    /// A measure for `init`: the time `upscaler` takes for a frame of `format` from `input` to `output` (planes as
    /// `mode` says) on a synthetic picture; nil when it cannot plan this stream. A strip of an eighth of the frame
    /// goes first, so that a model far over budget is turned down after a fraction of a frame's work; the whole
    /// frame then runs twice (the first run also pays for first touches of memory) and the better time counts.
    static func frameTime(format: PixelFormat, mode: PlaneMode, input: PlaneSize, output: PlaneSize)
        throws(PipelineError) -> (any PlaneUpscaler, Duration) throws(PipelineError) -> Duration? {
        let align = 1 << format.chromaShift.y
        let stripRows = max(align, input.height / 8 / align * align)
        let stripOutput = max(align, (output.height * stripRows / input.height + align - 1) / align * align)
        let whole = try Trial(format: format, mode: mode, input: input, output: output)
        let strip = stripRows < input.height ? try Trial(format: format, mode: mode, input: PlaneSize(width: input.width, height: stripRows),
                                                         output: PlaneSize(width: output.width, height: stripOutput)) : nil
        return { upscaler, budget throws(PipelineError) in
            if let strip {
                guard let time = try strip.time(upscaler) else { return nil }
                let estimate = time * (Double(output.height) / Double(stripOutput))
                if estimate > budget * 2 { return estimate }
            }
            guard let first = try whole.time(upscaler) else { return nil }
            return first > budget * 2 ? first : min(first, try whole.time(upscaler) ?? first)
        }
    }

    /// Frames of one size to time upscalers on.
    private struct Trial {
        let format: PixelFormat
        let mode: PlaneMode
        let source: VideoFrame
        let target: VideoFrame

        init(format: PixelFormat, mode: PlaneMode, input: PlaneSize, output: PlaneSize) throws(PipelineError) {
            self.format = format
            self.mode = mode
            source = try PipelineError.wrap { try VideoFrame(format: format, width: input.width, height: input.height) }
            target = try PipelineError.wrap { try VideoFrame(format: format, width: output.width, height: output.height) }
            for plane in 0..<format.planeCount { try source.mutablePlaneView(plane).fillWithTestPattern() }
        }

        /// One frame's time; nil when `upscaler` cannot plan these sizes.
        func time(_ upscaler: any PlaneUpscaler) throws(PipelineError) -> Duration? {
            func sizes(_ frame: VideoFrame) -> [PlaneSize] { (0..<format.planeCount).compactMap { frame.plane($0).map(\.size) } }
            guard let plans = try? PlanePlans(upscaler: upscaler, mode: mode, bitDepth: format.bitDepth, input: sizes(source), output: sizes(target))
            else { return nil }
            var renderer = try FrameRenderer(upscaler: upscaler, plans: plans)
            let clock = ContinuousClock(), start = clock.now
            try renderer.render(source, into: target)
            return clock.now - start
        }
    }
}

extension MutablePlaneView {
    /// Gradients and fine texture over the whole range, so that table lookups spread as on real pictures.
    func fillWithTestPattern() {
        let maxValue = (1 << bitDepth) - 1
        for y in 0..<size.height {
            let row = base + y * bytesPerRow
            for x in 0..<size.width {
                let value = ((x * 7 + y * 3) % 256 + (x * y) % 23) * maxValue / 278
                if bitDepth > 8 { row.storeBytes(of: UInt16(value), toByteOffset: 2 * x, as: UInt16.self) }
                else { row.storeBytes(of: UInt8(value), toByteOffset: x, as: UInt8.self) }
            }
        }
    }
}

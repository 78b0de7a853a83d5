#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization
import VideoCore

/// Why an upscaler refused to make a plan. Plans check everything up front, so rendering cannot fail.
public enum UpscaleError: Error, Equatable, CustomStringConvertible {
    case unsupportedSize(input: PlaneSize, output: PlaneSize, reason: String)
    case unsupportedBitDepth(Int)
    /// The model chosen for the request could not be loaded (a catalog loads models when first used).
    case modelUnavailable(String)

    public var description: String {
        switch self {
        case let .modelUnavailable(reason): reason
        case let .unsupportedSize(input, output, reason): "cannot upscale \(input) to \(output): \(reason)"
        case let .unsupportedBitDepth(depth): "unsupported bit depth \(depth) (8...16 are supported)"
        }
    }
}

/// An upscaling method (a classic interpolator, a LUT model). It turns sizes into an immutable plan.
public protocol PlaneUpscaler: Sendable {
    /// Short name shown to users, e.g. "lanczos3" or "srlut-s-x3".
    var name: String { get }
    /// Checks everything and precomputes what does not depend on the pixels (filter taps, offsets).
    func makePlan(input: PlaneSize, output: PlaneSize, bitDepth: Int) throws(UpscaleError) -> any UpscalePlan
    /// What runs for `input` -> `output`, for messages; an upscaler that chooses among models names its choice.
    func describe(input: PlaneSize, output: PlaneSize) -> String
}

extension PlaneUpscaler {
    public func describe(input: PlaneSize, output: PlaneSize) -> String { name }
}

/// An immutable, validated recipe for one input size -> output size at one bit depth.
public protocol UpscalePlan: Sendable {
    var input: PlaneSize { get }
    var output: PlaneSize { get }
    var bitDepth: Int { get }
    /// Output rows are best split into bands that start at multiples of this (a LUT's block height).
    var rowAlignment: Int { get }
    /// Writes output rows `rows` of `destination` from the whole `source` plane.
    ///
    /// Sizes and bit depths must match the plan (checked with preconditions). Safe to call concurrently for
    /// disjoint row ranges of the same destination.
    func render(_ source: PlaneView, into destination: MutablePlaneView, rows: Range<Int>)
    /// Renders the whole plane on `workers` threads, its row bands and the independent work items `others` (the
    /// other planes of a frame) as one set, so that a thread done with its part takes the next item instead of
    /// idling while another finishes a plane alone; `scheduler` places `others` among the bands. Plans made of
    /// several passes replace the row-band default and run `others` beside their last pass.
    func renderParallel(_ source: PlaneView, into destination: MutablePlaneView, workers: Int, alongside others: [@Sendable () -> Void],
                        scheduler: ItemScheduler)
}

/// Places the other planes of a stream's frames among the luma plane's row bands, from how long both took in the
/// last frame. Whichever item ends last ends alone while the other threads idle, so items longer than a band go
/// first (a plane a LUT model upscales on one thread) and shorter ones last (a chroma plane swscale scales beside a
/// LUT model's bands). The first frame takes them first.
public final class ItemScheduler: Sendable {
    private let first = Mutex(true)

    public init() {}

    /// Whether the next frame's other items run before its bands.
    public var othersFirst: Bool { first.withLock { $0 } }

    /// What one frame took: its longest other item and its bands' mean.
    public func record(longestOther: Duration, meanBand: Duration) {
        first.withLock { $0 = longestOther > meanBand }
    }
}

extension UpscalePlan {
    /// Renders the whole plane on all cores.
    public func renderParallel(_ source: PlaneView, into destination: MutablePlaneView) {
        renderParallel(source, into: destination, workers: activeProcessorCount)
    }

    /// Renders the whole plane across `workers` threads.
    public func renderParallel(_ source: PlaneView, into destination: MutablePlaneView, workers: Int) {
        renderParallel(source, into: destination, workers: workers, alongside: [], scheduler: ItemScheduler())
    }

    /// Renders the whole plane, split into row bands, with `others`, across `workers` threads.
    public func renderParallel(_ source: PlaneView, into destination: MutablePlaneView, workers: Int, alongside others: [@Sendable () -> Void],
                               scheduler: ItemScheduler) {
        forEachBand(height: output.height, alignment: rowAlignment, workers: workers, alongside: others, scheduler: scheduler) {
            render(source, into: destination, rows: $0)
        }
    }
}

/// Runs `body` on bands of rows 0..<height that start at multiples of `alignment`, and each of `others`, as one
/// set of items across `workers` threads, `others` before or after the bands as `scheduler` says; then tells it how
/// long they took.
func forEachBand(height: Int, alignment: Int, workers: Int, alongside others: [@Sendable () -> Void] = [],
                 scheduler: ItemScheduler = ItemScheduler(), _ body: @Sendable (Range<Int>) -> Void) {
    let align = max(1, alignment)
    // A few bands per worker balances uneven rows without paying much per-band overhead.
    let bands = max(1, min(workers * 4, height / max(align, 16)))
    let bandRows = ((height + bands - 1) / bands + align - 1) / align * align
    let count = (height + bandRows - 1) / bandRows
    if workers == 1 || count + others.count == 1 {
        for item in others { item() }
        body(0..<height)
        return
    }
    // Items 0..<count are the bands and the rest `others`; slots are taken in order, the first running item `shift`.
    let total = others.count + count, shift = scheduler.othersFirst ? count : 0
    let took = Mutex([Duration](repeating: .zero, count: total))
    DispatchQueue.concurrentPerform(iterations: total) { slot in
        let item = (slot + shift) % total
        let start = ContinuousClock.now
        if item < count {
            body(item * bandRows..<min(height, (item + 1) * bandRows))
        } else {
            others[item - count]()
        }
        let duration = ContinuousClock.now - start
        took.withLock { $0[item] = duration }
    }
    took.withLock { took in
        if let longest = took[count...].max() {
            scheduler.record(longestOther: longest, meanBand: took[..<count].reduce(.zero, +) / count)
        }
    }
}

/// Processors available to this process.
public var activeProcessorCount: Int {
    #if canImport(Glibc)
    return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
    return 1
    #endif
}

import Foundation

/// One step of a job, on its own thread: it pops items from the queue before it and pushes what it makes to the
/// queue after it. A pushed item belongs to the next stage (Swift's `sending`): the stage never touches it again,
/// which is what lets frames that are not thread-safe cross threads. Stages end when their input ends or the job is
/// cancelled, and a throw fails the whole job.
protocol Stage: Sendable {
    /// The thread is named `lutscale-<name>`.
    var name: String { get }
    func run(in job: JobBuilder) throws
}

/// How many items wait between two stages (high/low watermarks, as swift-nio's write buffer: a small high
/// watermark bounds memory, a lower low one lets the producer run in bursts instead of per item).
struct QueueDepth: Sendable {
    let high: Int
    let low: Int

    /// Packets are small.
    static let packets = QueueDepth(high: 16, low: 8)
    /// Everything the muxer gets from every stream.
    static let muxing = QueueDepth(high: 64, low: 32)
    /// Frames are large: a few wait, enough that no stage idles while its neighbour finishes one.
    static let frames = QueueDepth(high: 4, low: 2)
    /// Preview: one frame waits at each step, so that latency cannot build up.
    static let preview = QueueDepth(high: 1, low: 0)
}

/// Builds one job's stage graph (every job: file or pipe, any source and sink) and runs it: makes the queues
/// between stages, starts each stage on its own thread, records the first failure, cancels every queue on failure
/// or abort so that blocked stages return, and joins them.
final class JobBuilder: @unchecked Sendable {
    // `failure` and `cancellers` are guarded by `lock`; `group` is thread-safe.
    private let lock = NSLock()
    private var failure: PipelineError?
    private var cancellers: [@Sendable () -> Void] = []
    private let group = DispatchGroup()
    let stop: StopSignal

    init(stop: StopSignal) {
        self.stop = stop
        stop.onAbort { [weak self] in self?.fail(.aborted) }
    }

    /// A queue between two stages, cancelled with the job.
    func queue<Element>(_ depth: QueueDepth) -> BoundedQueue<Element> {
        let queue = BoundedQueue<Element>(highWatermark: depth.high, lowWatermark: depth.low)
        lock.withLock { cancellers.append { queue.cancel() } }
        return queue
    }

    var hasFailed: Bool { lock.withLock { failure != nil } }

    /// Records the first failure and releases every stage.
    func fail(_ error: PipelineError) {
        lock.withLock { if failure == nil { failure = error } }
        cancelQueues()
    }

    /// Releases every stage without a failure (the consumer of the output went away).
    func cancelQueues() {
        for cancel in lock.withLock({ cancellers }) { cancel() }
    }

    /// Starts `stage` on a thread of its own.
    func add(_ stage: some Stage) {
        group.enter()
        let thread = Thread { [self] in
            defer { group.leave() }
            do {
                try stage.run(in: self)
            } catch {
                fail(PipelineError(error))
            }
        }
        thread.name = "lutscale-\(stage.name)"
        thread.start()
    }

    /// Waits for every stage; the first failure, if any.
    func wait() -> PipelineError? {
        group.wait()
        return lock.withLock { failure }
    }
}

/// Frames counted by one stage, read by the summary after the threads are joined.
final class FrameCounter: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var count = 0
    func increment() -> Int { lock.withLock { count += 1; return count } }
    var value: Int { lock.withLock { count } }
}

/// Why the input stopped early, if it did, recorded by the source stage (which then ends the input normally, so
/// that what was read still goes through); read after the threads are joined.
final class ReadFailure: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var recorded: PipelineError?
    func record(_ error: any Error) { lock.withLock { recorded = PipelineError(error) } }
    var error: PipelineError? { lock.withLock { recorded } }
    var message: String? { error?.description }
}

/// A one-way flag set on one thread and read after the threads are joined.
final class Flag: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var isSet = false
    func set() { lock.withLock { isSet = true } }
    var value: Bool { lock.withLock { isSet } }
}

import Foundation

/// How a running job is asked to end early, from another thread (a signal handler's queue).
///
/// `requestStop` ends it gracefully: no more input is read, what is in flight is encoded and the file finished.
/// `requestAbort` abandons it: queues are cancelled and no output is kept.
public final class StopSignal: @unchecked Sendable {
    // All state is guarded by `lock`.
    private let lock = NSLock()
    private var stopped = false
    private var aborted = false
    private var abortHandlers: [@Sendable () -> Void] = []

    public init() {}

    public func requestStop() {
        lock.withLock { stopped = true }
    }

    public func requestAbort() {
        let handlers = lock.withLock {
            stopped = true
            aborted = true
            return abortHandlers
        }
        for handler in handlers { handler() }
    }

    public var isStopRequested: Bool { lock.withLock { stopped } }
    public var isAbortRequested: Bool { lock.withLock { aborted } }

    /// Runs `handler` on abort (at once if already aborted).
    func onAbort(_ handler: @escaping @Sendable () -> Void) {
        let already = lock.withLock {
            if !aborted { abortHandlers.append(handler) }
            return aborted
        }
        if already { handler() }
    }
}

import Foundation

/// A blocking FIFO between two pipeline stages with high/low watermarks (backpressure).
///
/// `push` blocks once `highWatermark` items wait and resumes only when the consumer has drained the queue to
/// `lowWatermark`, so a slow stage stalls the ones before it and memory stays bounded whatever the input length.
/// Ownership of an item passes to the queue on `push` and to the consumer on `pop`: the producer must not touch it
/// again, which is what makes handing non-thread-safe frames across stages sound.
public final class BoundedQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    /// Popped slots are set to nil at once so the queue never keeps a consumed item (a frame) alive.
    private var items: [Element?] = []
    private var head = 0
    private var producerWaiting = false
    private var finished = false
    private var cancelled = false
    public let highWatermark: Int
    public let lowWatermark: Int

    public init(highWatermark: Int, lowWatermark: Int? = nil) {
        precondition(highWatermark >= 1, "high watermark must be at least 1")
        self.highWatermark = highWatermark
        self.lowWatermark = min(lowWatermark ?? max(0, highWatermark / 2), highWatermark - 1)
    }

    private var count: Int { items.count - head }

    /// Adds an item, waiting while the queue is full. Returns false (dropping the item) once cancelled.
    @discardableResult
    public func push(_ item: sending Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if count >= highWatermark {
            producerWaiting = true
            while producerWaiting && !cancelled { condition.wait() }
        }
        if cancelled { return false }
        precondition(!finished, "push after finish")
        items.append(item)
        condition.broadcast()
        return true
    }

    /// The next item, waiting for one; nil once the producer has finished and the queue is drained, or on cancel.
    public func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while count == 0 && !finished && !cancelled { condition.wait() }
        if cancelled || count == 0 { return nil }
        let item = items[head].take()
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        if producerWaiting && count <= lowWatermark {
            producerWaiting = false
            condition.broadcast()
        }
        return item
    }

    /// The producer will push nothing more; the consumer drains what is queued and then gets nil.
    public func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Abandons the queue: waiting producers and consumers return at once, queued items are dropped.
    public func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        head = 0
        condition.broadcast()
        condition.unlock()
    }
}

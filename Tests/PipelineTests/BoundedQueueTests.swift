import Testing
import Foundation
@testable import Pipeline

@Suite struct BoundedQueueTests {
    @Test func deliversInOrderAndEnds() {
        let queue = BoundedQueue<Int>(highWatermark: 4)
        DispatchQueue.global().async {
            for i in 0..<1000 { queue.push(i) }
            queue.finish()
        }
        var received: [Int] = []
        while let i = queue.pop() { received.append(i) }
        #expect(received == Array(0..<1000))
    }

    @Test func producerStallsAtHighWatermark() {
        let queue = BoundedQueue<Int>(highWatermark: 3, lowWatermark: 1)
        let pushed = ManagedCounter()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            for i in 0..<10 { queue.push(i); pushed.increment() }
            queue.finish()
            done.signal()
        }
        // Wait for the producer to fill the queue (the deadline only guards against a hang, on a loaded machine the
        // thread may start late), then give it time to push more: it must stay blocked at highWatermark items.
        let deadline = Date().addingTimeInterval(30)
        while pushed.value < 3 && Date() < deadline { usleep(1_000) }
        usleep(100_000)
        #expect(pushed.value == 3)
        #expect(done.wait(timeout: .now()) == .timedOut)
        // Draining to the low watermark releases it.
        _ = queue.pop(); _ = queue.pop()
        var drained = 2
        while queue.pop() != nil { drained += 1 }
        #expect(drained == 10)
        #expect(done.wait(timeout: .now() + .seconds(5)) == .success)
    }

    @Test func cancelReleasesBlockedProducer() {
        let queue = BoundedQueue<Int>(highWatermark: 1)
        let result = ResultBox()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            queue.push(0)
            result.set(queue.push(1))
            done.signal()
        }
        usleep(50_000)
        queue.cancel()
        #expect(done.wait(timeout: .now() + .seconds(5)) == .success)
        #expect(result.get() == false)
        #expect(queue.pop() == nil)
    }

    @Test func releasesItemsOnceConsumed() {
        final class Token: Sendable {
            let released: ManagedCounter
            init(_ released: ManagedCounter) { self.released = released }
            deinit { released.increment() }
        }
        let released = ManagedCounter()
        let queue = BoundedQueue<Token>(highWatermark: 4)
        queue.push(Token(released))
        queue.push(Token(released))
        _ = queue.pop()
        // The consumer dropped the first; the queue, still holding the second, must not keep the first alive.
        #expect(released.value == 1)
    }
}

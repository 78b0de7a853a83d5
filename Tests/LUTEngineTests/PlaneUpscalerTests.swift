import Foundation
import TestSupport
import Testing
import VideoCore
@testable import LUTEngine

/// Rendering a plane with other work beside it: every band and every item once, the pixels as rendered alone.
@Suite struct PlaneUpscalerTests {
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [Int: Int] = [:]
        func add(_ key: Int) { lock.withLock { counts[key, default: 0] += 1 } }
        var value: [Int: Int] { lock.withLock { counts } }
    }

    @Test(arguments: [1, 2, 5], [true, false])
    func bandsAndItemsRunOnceEach(workers: Int, othersFirst: Bool) {
        let rows = Counter(), items = Counter()
        let others: [@Sendable () -> Void] = (0..<3).map { n in { items.add(n) } }
        let scheduler = ItemScheduler()
        if !othersFirst { scheduler.record(longestOther: .zero, meanBand: .seconds(1)) }
        forEachBand(height: 157, alignment: 4, workers: workers, alongside: others, scheduler: scheduler) { band in
            #expect(band.lowerBound % 4 == 0)
            for row in band { rows.add(row) }
        }
        #expect(rows.value == Dictionary(uniqueKeysWithValues: (0..<157).map { ($0, 1) }))
        #expect(items.value == [0: 1, 1: 1, 2: 1])
    }

    @Test("other planes go first until they take less than a band, then last")
    func schedulerPutsTheLongerItemsFirst() {
        let scheduler = ItemScheduler()
        #expect(scheduler.othersFirst)
        scheduler.record(longestOther: .milliseconds(1), meanBand: .milliseconds(6))
        #expect(!scheduler.othersFirst)
        scheduler.record(longestOther: .milliseconds(5), meanBand: .microseconds(700))
        #expect(scheduler.othersFirst)
    }

    /// A one-pass plan (the resampler) and a two-pass one (a fixed-scale model bridged by Lanczos).
    @Test func plansRenderTheSamePixelsWithWorkBeside() throws {
        let source = PlaneBuffer(width: 33, height: 21, samples: (0..<33 * 21).map { UInt8(truncatingIfNeeded: $0 * 37) })
        let output = PlaneSize(width: 80, height: 50)
        var g = SeededGenerator(seed: 5)
        let spec = LUTEngineTests.randomSpec(&g, scale: 2, stages: 1, levels: [[0, 64, 128, 192, 256]], types: [.int8])
        let chained = AnyScaleUpscaler(name: "bridged", models: [try LUTModel(spec)])
        for upscaler in [Resampler(kernel: .lanczos3) as any PlaneUpscaler, chained] {
            let plan = try upscaler.makePlan(input: source.size, output: output, bitDepth: 8)
            let alone = PlaneBuffer(size: output, bitDepth: 8), beside = PlaneBuffer(size: output, bitDepth: 8)
            plan.renderParallel(source.view, into: alone.mutableView, workers: 1)
            let ran = Counter()
            plan.renderParallel(source.view, into: beside.mutableView, workers: 2, alongside: [{ ran.add(0) }], scheduler: ItemScheduler())
            #expect(ran.value == [0: 1])
            #expect(alone.samples == beside.samples)
        }
    }
}

import LUTEngine
import Testing
@testable import Pipeline

/// The preview ladder's choices, on times the test gives (nothing here is timed).
@Suite struct PreviewLadderTests {
    static func candidates(_ names: [String]) -> [ModelCandidate] {
        names.map { name in ModelCandidate(name: name) { Resampler(kernel: .bicubic) } }
    }

    @Test func theBestWithinBudgetThenStepsDownPastSlowerOnes() throws {
        let times: [Duration] = [.milliseconds(90), .milliseconds(30), .milliseconds(10)]
        var asked = 0
        // 40 ms frames: the budget is 32 ms; the first candidate is over, the second fits and the third is never timed.
        let ladder = try PreviewLadder(candidates: Self.candidates(["best", "good", "fast", "floor"]), frameDuration: .milliseconds(40)) { _, budget in
            #expect(budget == .milliseconds(32))
            asked += 1
            return times[asked - 1]
        }
        #expect(asked == 2)
        #expect(ladder.report.hasPrefix("good: the best that keeps up here, 30.0 ms a frame of 40.0 ms (slower: best 90.0 ms)"))
        #expect(ladder.stepDown(atFrame: 50, mean: .milliseconds(45)) != nil)
        #expect(ladder.report.hasSuffix("stepped down to fast at frame 50: good took 45.0 ms a frame"))
        #expect(ladder.stepDown(atFrame: 80, mean: .milliseconds(45)) != nil)
        #expect(ladder.stepDown(atFrame: 90, mean: .milliseconds(45)) == nil)
    }

    @Test func noneWithinBudgetTakesTheFastestAndNeverStepsToASlowerOne() throws {
        let times: [String: Duration] = ["best": .milliseconds(300), "fast": .milliseconds(50), "slow": .milliseconds(200)]
        var order: [Duration] = ["best", "fast", "slow"].map { times[$0]! }
        let ladder = try PreviewLadder(candidates: Self.candidates(["best", "fast", "slow"]), frameDuration: .milliseconds(40)) { _, _ in
            order.removeFirst()
        }
        #expect(ladder.report.hasPrefix("fast: none keeps up here; the fastest, 50.0 ms"))
        #expect(ladder.stepDown(atFrame: 10, mean: .milliseconds(60)) == nil)
    }

    @Test func watchStepsDownOnlyWhenAWholeWindowIsTooSlow() {
        var watch = KeepUpWatch(limit: .milliseconds(40), window: 4)
        // Single slow frames (a hiccup) do not count; a window whose mean is over the limit does.
        #expect([100, 10, 10, 10, 10, 10].map { watch.record(.milliseconds($0)) }.allSatisfy { $0 == .keep })
        #expect([50, 50, 50, 50].map { watch.record(.milliseconds($0)) } == [.keep, .keep, .keep, .stepDown])
        #expect(watch.lastMean == .milliseconds(50))
        // The next candidate starts a fresh window.
        #expect([50, 50, 50].map { watch.record(.milliseconds($0)) } == [.keep, .keep, .keep])
    }
}

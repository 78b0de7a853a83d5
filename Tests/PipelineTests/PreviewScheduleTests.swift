import Foundation
import RawVideo
import Testing
import VideoCore
@testable import Pipeline

/// The preview clock and drop rule, on instants the test picks (nothing here waits or measures time).
@Suite struct PreviewScheduleTests {
    static func close(_ a: ContinuousClock.Instant, _ b: ContinuousClock.Instant) -> Bool {
        abs((a - b) / .microseconds(1)) < 1
    }

    @Test func firstFrameShownStartsTheClockAndLateMeansTheNextFrameIsDue() {
        let schedule = PreviewSchedule(frameRate: Rational(25, 1))
        let t0 = ContinuousClock.now
        // Before anything is shown, however long the first frames take, nothing is late.
        #expect(!schedule.isLate(3, now: t0 + .seconds(10)))
        // The first frame written (number 2: frames 0 and 1 were dropped upstream) is due at once ...
        #expect(Self.close(schedule.due(2, now: t0), t0))
        // ... and the others at 40 ms steps from it, whenever they are asked about.
        #expect(Self.close(schedule.due(3, now: t0 + .seconds(5)), t0 + .milliseconds(40)))
        #expect(Self.close(schedule.due(10, now: t0), t0 + .milliseconds(320)))
        // Frame 3 is still worth upscaling while frame 4 (due at 80 ms) is not: a frame just late is shown.
        #expect(!schedule.isLate(3, now: t0 + .milliseconds(79)))
        #expect(schedule.isLate(3, now: t0 + .milliseconds(81)))
        #expect(!schedule.isLate(10, now: t0 + .milliseconds(359)))
    }

    @Test func rateWithoutATagIsTwentyFive() {
        let schedule = PreviewSchedule(frameRate: Rational(0, 0))
        let t0 = ContinuousClock.now
        #expect(Self.close(schedule.due(0, now: t0), t0))
        #expect(Self.close(schedule.due(1, now: t0), t0 + .milliseconds(40)))
    }
}

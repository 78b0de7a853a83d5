import Foundation
import LUTEngine
import Media
import RawVideo
import Testing
import VideoCore
@testable import Pipeline

/// Named stages joined by the job builder's queues, alone, without a demuxer or an encoder.
@Suite struct StageTests {
    /// Counts 0..<count into its queue.
    struct Numbers: Stage {
        let count: Int
        let output: BoundedQueue<Int>
        var name: String { "numbers" }
        func run(in job: JobBuilder) {
            defer { output.finish() }
            for n in 0..<count { guard output.push(n) else { return } }
        }
    }

    /// Sums its input; throws at `failAt`.
    struct Sum: Stage {
        let input: BoundedQueue<Int>
        let failAt: Int?
        let total: ManagedCounter
        var name: String { "sum" }
        func run(in job: JobBuilder) throws(PipelineError) {
            while let n = input.pop() {
                if n == failAt { throw .invalidRequest("failed at \(n)") }
                for _ in 0..<n { total.increment() }
            }
        }
    }

    @Test func stagesRunJoinedByQueuesAndAFailureReleasesTheOthers() {
        let job = JobBuilder(stop: StopSignal())
        let numbers: BoundedQueue<Int> = job.queue(QueueDepth(high: 2, low: 1))
        let total = ManagedCounter()
        job.add(Numbers(count: 100, output: numbers))
        job.add(Sum(input: numbers, failAt: nil, total: total))
        #expect(job.wait() == nil)
        #expect(total.value == 4950)

        // The producer of a million items, blocked on the full queue, returns once the consumer fails.
        let failing = JobBuilder(stop: StopSignal())
        let queue: BoundedQueue<Int> = failing.queue(QueueDepth(high: 2, low: 1))
        failing.add(Numbers(count: 1_000_000, output: queue))
        failing.add(Sum(input: queue, failAt: 10, total: ManagedCounter()))
        #expect(failing.wait()?.description == "failed at 10")
    }

    @Test func anAbortEndsTheJob() {
        let stop = StopSignal()
        let job = JobBuilder(stop: stop)
        let queue: BoundedQueue<Int> = job.queue(QueueDepth(high: 1, low: 0))
        job.add(Numbers(count: 1_000_000, output: queue))
        stop.requestAbort()
        if case .aborted? = job.wait() {} else { Issue.record("the abort was not recorded") }
    }

    /// Every plane through the upscaler (`all`) equals each plane's plan run alone, for frames of two sizes.
    @Test func upscaleStageRendersEveryPlaneAndReplansOnASizeChange() throws {
        let upscaler = Resampler(kernel: .bicubic)
        let output = PlaneSize(width: 48, height: 40)
        let format = PixelFormat.yuv444p
        let plans = try PlanePlans(upscaler: upscaler, mode: .all, bitDepth: 8, input: Array(repeating: PlaneSize(width: 16, height: 12), count: 3),
                                   output: Array(repeating: output, count: 3))
        let job = JobBuilder(stop: StopSignal())
        let input: BoundedQueue<VideoFrame> = job.queue(.frames), upscaled: BoundedQueue<VideoFrame> = job.queue(QueueDepth(high: 8, low: 4))
        var sources: [[PlaneBuffer]] = []
        for (n, (w, h)) in [(16, 12), (20, 10)].enumerated() {
            let frame = try VideoFrame(format: format, width: w, height: h)
            frame.pts = Int64(n)
            var planes: [PlaneBuffer] = []
            for p in 0..<3 {
                let plane = PlaneBuffer(width: w, height: h, samples: (0..<w * h).map { UInt8(truncatingIfNeeded: $0 * (p + 3) + n * 7) })
                let view = try frame.mutablePlaneView(p)
                for y in 0..<h { memcpy(view.base + y * view.bytesPerRow, plane.view.base + y * plane.view.bytesPerRow, w) }
                planes.append(plane)
            }
            sources.append(planes)
            input.push(frame)
        }
        input.finish()
        job.add(UpscaleStage(renderer: try FrameRenderer(upscaler: upscaler, plans: plans), format: format, output: output,
                             input: input, upscaled: upscaled, pacing: nil, ladder: nil))
        #expect(job.wait() == nil)
        for planes in sources {
            let frame = try #require(upscaled.pop())
            for (p, plane) in planes.enumerated() {
                let expected = PlaneBuffer(size: output, bitDepth: 8)
                try upscaler.makePlan(input: plane.size, output: output, bitDepth: 8).renderParallel(plane.view, into: expected.mutableView, workers: 1)
                let got = try frame.planeView(p)
                for y in 0..<output.height {
                    #expect(memcmp(got.base + y * got.bytesPerRow, expected.view.base + y * expected.view.bytesPerRow, output.width) == 0)
                }
            }
        }
        #expect(upscaled.pop() == nil)
    }

    @Test func previewPacingDropsAFrameWhoseSuccessorIsDue() {
        let pacing = PreviewPacing(schedule: PreviewSchedule(frameRate: Rational(25, 1)), dropped: FrameCounter())
        #expect(pacing.decide(5) == .upscale)  // nothing is late before the first frame is shown
        _ = pacing.schedule.due(0, now: pacing.clock.now - .seconds(1))
        #expect(pacing.decide(1) == .drop)
        #expect(pacing.decide(100) == .upscale)
        #expect(pacing.dropped.value == 1)
    }
}

import Foundation
import LUTEngine
import TestSupport
import Testing
@testable import Pipeline

/// A stream whose frame size changes midway keeps its requested output size, and each part is upscaled from its
/// own pixels (the upscaler re-planned), not from a resized copy.
@Suite struct SizeChangeTests {
    @Test(arguments: [PlaneMode.luma, .all])
    func eachPartIsUpscaledAsIfAlone(planes: PlaneMode) throws {
        let scratch = try Scratch()
        let small = scratch.path("small.ts"), large = scratch.path("large.ts"), mixed = scratch.path("mixed.ts")
        try Fixtures.clip(small, size: "64x48", frames: 4, audio: nil)
        try Fixtures.clip(large, size: "96x72", frames: 3, audio: nil)
        try "file '\(small)'\nfile '\(large)'\n".write(toFile: scratch.path("list.txt"), atomically: true, encoding: .utf8)
        try Fixtures.ffmpeg(["-f", "concat", "-safe", "0", "-i", scratch.path("list.txt"), "-c", "copy", mixed])

        /// Upscales `input` to 192x144 losslessly and returns the raw yuv420p bytes of its frames.
        func upscaled(_ input: String, _ name: String) throws -> Data {
            let output = scratch.path(name + ".nut"), raw = scratch.path(name + ".yuv")
            let summary = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .exact(width: 192, height: 144),
                                                        upscaler: Resampler(kernel: .bicubic), planes: planes, codec: "rawvideo")).run()
            #expect(summary.frames > 0)
            try Fixtures.ffmpeg(["-i", output, "-f", "rawvideo", "-pix_fmt", "yuv420p", raw])
            return try Data(contentsOf: URL(fileURLWithPath: raw))
        }
        let frameBytes = 192 * 144 * 3 / 2
        let whole = try upscaled(mixed, "mixed"), first = try upscaled(small, "first"), second = try upscaled(large, "second")
        #expect(whole.count == 7 * frameBytes)
        #expect(first.count == 4 * frameBytes && second.count == 3 * frameBytes)
        #expect(whole.prefix(4 * frameBytes) == first)
        #expect(whole.suffix(3 * frameBytes) == second)
    }
}

/// Several video streams in one file: each upscaled at its own size in one pass.
@Suite struct MultiStreamTests {
    /// Decoded frame count and size of every video stream, in stream order.
    static func videoStreams(_ path: String) throws -> [String] {
        try Fixtures.ffprobe(["-count_frames", "-select_streams", "v", "-show_entries", "stream=index,width,height,nb_read_frames",
                              "-of", "csv=p=0", path]).split(separator: "\n").map(String.init)
    }

    @Test func eachStreamAtItsOwnSizeAsIfAlone() throws {
        let scratch = try Scratch()
        let input = scratch.path("two.mkv")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-f", "lavfi", "-i", "testsrc=size=80x60:rate=25",
                             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-map", "0", "-map", "1", "-map", "2",
                             "-frames:v", "5", "-t", "0.2", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "flac", input])
        let output = scratch.path("out.nut")
        let job = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .scale(2), upscaler: Resampler(kernel: .bicubic),
                                                codec: "rawvideo", streamSizes: [1: .exact(width: 240, height: 180)]))
        #expect(job.description.videoStreams.map(\.index) == [0, 1])
        #expect(job.description.copiedStreams == 1)
        _ = try job.run()
        #expect(try Self.videoStreams(output) == ["0,128,96,5", "1,240,180,5"])

        // The second stream alone, upscaled alone, gives the same pixels.
        let alone = scratch.path("alone.mkv"), aloneOut = scratch.path("alone.nut")
        try Fixtures.ffmpeg(["-i", input, "-map", "0:1", "-c", "copy", alone])
        _ = try UpscaleJob(UpscaleRequest(inputPath: alone, outputPath: aloneOut, size: .exact(width: 240, height: 180),
                                          upscaler: Resampler(kernel: .bicubic), codec: "rawvideo")).run()
        let both = scratch.path("both.yuv"), single = scratch.path("single.yuv")
        try Fixtures.ffmpeg(["-i", output, "-map", "0:1", "-f", "rawvideo", both])
        try Fixtures.ffmpeg(["-i", aloneOut, "-f", "rawvideo", single])
        let bothBytes = try Data(contentsOf: URL(fileURLWithPath: both))
        #expect(bothBytes.count == 5 * 240 * 180 * 3 / 2)
        #expect(bothBytes == (try Data(contentsOf: URL(fileURLWithPath: single))))
    }

    @Test func refusesASettingForAStreamThatIsNotVideo() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mkv")
        try Fixtures.clip(input, size: "64x48", frames: 2, audio: "flac")
        #expect(throws: PipelineError.self) {
            try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: scratch.path("out.mkv"), size: .scale(2),
                                          upscaler: Resampler(kernel: .bicubic), streamSizes: [1: .scale(3)]))
        }
    }
}

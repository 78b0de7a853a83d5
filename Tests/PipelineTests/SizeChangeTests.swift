import Foundation
import LUTEngine
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

import Foundation
import LUTEngine
import Media
import TestSupport
import Testing
@testable import Pipeline

/// Deep pictures keep their depth where the encoder can take it; where it cannot, a note says so and names one that can.
@Suite struct BitDepthTests {
    static func twelveBit(_ path: String) throws {
        try Fixtures.clip(path, size: "96x64", frames: 2, pixelFormat: "yuv420p12le", audio: nil, extra: ["-c:v", "ffv1"])
    }

    @Test(arguments: ["libx265", "ffv1"])
    func twelveBitStaysTwelveBit(codec: String) throws {
        let scratch = try Scratch()
        let input = scratch.path("12.mkv"), output = scratch.path("out.mkv")
        try Self.twelveBit(input)
        let job = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .scale(2), upscaler: Resampler(kernel: .bicubic),
                                                codec: codec, preset: codec == "libx265" ? "ultrafast" : nil))
        #expect(job.description.workFormat.name == "yuv420p12le" && job.description.notes.isEmpty, "\(job.description.notes)")
        _ = try job.run()
        #expect(try Fixtures.videoStream(output)["pix_fmt"] == "yuv420p12le")
    }

    @Test func anEncoderThatCannotSaysSo() throws {
        let scratch = try Scratch()
        let input = scratch.path("12.mkv")
        try Self.twelveBit(input)
        let job = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: scratch.path("out.mp4"), size: .scale(2),
                                                upscaler: Resampler(kernel: .bicubic)))
        #expect(job.description.outputFormat.name == "yuv420p10le")
        #expect(job.description.notes.contains { $0.contains("12-bit yuv420p12le becomes 10-bit yuv420p10le") && $0.contains("--codec libx265") })
    }

    @Test func droppedAlphaIsANote() throws {
        let scratch = try Scratch()
        let input = scratch.path("alpha.png")
        try Fixtures.clip(input, size: "32x24", frames: 1, pixelFormat: "rgba", audio: nil, extra: ["-c:v", "png"])
        let job = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: scratch.path("out.jpg"), size: .scale(2),
                                                upscaler: Resampler(kernel: .bicubic)))
        #expect(job.description.notes.contains { $0.contains("alpha channel is dropped") && $0.contains(".png") })
    }
}

import Foundation
import LUTEngine
import Media
import TestSupport
import Testing
@testable import Pipeline

/// Damaged inputs through the library: what decodes is kept, the damage is counted in the summary.
@Suite struct DamagedInputTests {
    let lanczos = Resampler(kernel: .lanczos3)

    /// Bytes flipped from 40% into `name`, every 61st over a twentieth of the file.
    static func damaged(_ name: String, in scratch: Scratch) throws -> String {
        let path = scratch.path(name)
        try Fixtures.clip(path, size: "160x120", frames: 50, audio: nil)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let start = bytes.count * 4 / 10
        for offset in stride(from: start, to: start + bytes.count / 20, by: 61) { bytes[offset] ^= 0xFF }
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// MPEG-TS notices lost transport packets (continuity counters) and flags the video packet as corrupt.
    @Test func corruptTransportPacketsAreCounted() throws {
        let scratch = try Scratch()
        let input = try Self.damaged("in.ts", in: scratch), output = scratch.path("out.mkv")
        let summary = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .scale(2), upscaler: lanczos)).run()
        #expect(summary.corruptPackets > 0)
        #expect(summary.frames > 0 && summary.frames <= 50)
        #expect(summary.damageReport?.contains("corrupt packet") == true)
        #expect(Int(try Fixtures.videoStream(output)["nb_read_frames"] ?? "") == summary.frames)
    }

    /// Matroska hands damaged payloads on as they are; the decoder conceals the errors and says so per frame.
    @Test func concealedFramesAreCounted() throws {
        let scratch = try Scratch()
        let input = try Self.damaged("in.mkv", in: scratch), output = scratch.path("out.mkv")
        let summary = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .scale(2), upscaler: lanczos)).run()
        #expect(summary.brokenPackets + summary.damagedFrames > 0)
        #expect(summary.frames > 0 && summary.frames <= 50)
        #expect(summary.damageReport != nil)
    }

    /// A clean input reports no damage.
    @Test func cleanInputHasNoDamageReport() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.ts"), output = scratch.path("out.mkv")
        try Fixtures.clip(input, size: "96x64", frames: 5, audio: nil)
        let summary = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .scale(2), upscaler: lanczos)).run()
        #expect(summary.frames == 5 && summary.damageReport == nil)
    }
}

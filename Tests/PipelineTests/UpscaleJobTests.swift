import Foundation
import LUTEngine
import Media
import TestSupport
import Testing
@testable import Pipeline

/// End to end through the library: real files made by the ffmpeg CLI, checked with ffprobe.
@Suite struct UpscaleJobTests {
    let lanczos = Resampler(kernel: .lanczos3)

    @Test func keepsFramesTimestampsAndAudio() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mkv"), output = scratch.path("out.mkv")
        try Fixtures.clip(input, size: "160x120", frames: 10)
        let job = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .scale(2), upscaler: lanczos))
        #expect(job.description.copiedStreams == 1)
        let summary = try job.run()
        #expect(summary.frames == 10 && !summary.stoppedEarly)
        let video = try Fixtures.videoStream(output)
        #expect(video["width"] == "320" && video["height"] == "240" && video["nb_read_frames"] == "10")
        #expect(try Fixtures.frameTimes(output) == Fixtures.frameTimes(input))
        let audio = try Fixtures.packets(input, streams: "a")
        #expect(!audio.isEmpty)
        #expect(try Fixtures.packets(output, streams: "a") == audio)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted() == ["in.mkv", "out.mkv"])
    }

    /// Frames dropped from a constant-rate clip leave a variable-rate one; every gap must survive.
    @Test func variableFrameRateStaysVariable() throws {
        let scratch = try Scratch()
        let input = scratch.path("vfr.mp4"), output = scratch.path("out.mp4")
        try Fixtures.clip(input, size: "96x64", frames: 16, extra: ["-vf", "select='not(eq(mod(n\\,3)\\,1))'", "-fps_mode", "vfr"])
        let times = try Fixtures.frameTimes(input)
        let gaps = Set(zip(times.dropFirst(), times).map { (Double($0)! - Double($1)!).formatted(.number.precision(.fractionLength(3))) })
        #expect(gaps.count > 1, "the fixture is not variable-rate: \(times)")
        _ = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .scale(1.5), upscaler: lanczos)).run()
        #expect(try Fixtures.frameTimes(output) == times)
    }

    @Test func tenBitInputKeepsDepthAndColourTags() throws {
        let scratch = try Scratch()
        let input = scratch.path("ten.mkv"), output = scratch.path("out.mkv")
        try Fixtures.clip(input, size: "96x64", frames: 4, pixelFormat: "yuv420p10le", audio: nil,
                          extra: ["-color_range", "tv", "-color_primaries", "bt2020", "-color_trc", "smpte2084",
                                  "-colorspace", "bt2020nc", "-chroma_sample_location", "topleft"])
        let job = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .exact(width: 200, height: 150),
                                                upscaler: Resampler(kernel: .bicubic)))
        #expect(job.description.workFormat.name == "yuv420p10le")
        _ = try job.run()
        let video = try Fixtures.videoStream(output)
        #expect(video["width"] == "200" && video["height"] == "150" && video["nb_read_frames"] == "4")
        #expect(video["pix_fmt"] == "yuv420p10le")
        #expect(video["color_range"] == "tv" && video["color_primaries"] == "bt2020" && video["color_transfer"] == "smpte2084"
                && video["color_space"] == "bt2020nc" && video["chroma_location"] == "topleft")
    }

    /// The sample is 4:4:4 with MP3 audio; a few frames of it keep both.
    @Test func sampleKeepsItsChromaFormatAndAudio() throws {
        let scratch = try Scratch()
        let input = scratch.path("sample.mp4"), output = scratch.path("out.mp4")
        try Fixtures.ffmpeg(["-i", Fixtures.sample, "-t", "0.15", "-c", "copy", input])
        let job = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .exact(width: 1440, height: 810),
                                                upscaler: lanczos, preset: "ultrafast"))
        #expect(job.description.outputFormat == .yuv444p)
        _ = try job.run()
        let video = try Fixtures.videoStream(output)
        #expect(video["width"] == "1440" && video["height"] == "810" && video["pix_fmt"] == "yuv444p")
        #expect(video["chroma_location"] == "left")
        #expect(try Fixtures.frameTimes(output) == Fixtures.frameTimes(input))
        #expect(try Fixtures.packets(output, streams: "a") == Fixtures.packets(input, streams: "a"))
    }

    @Test(arguments: [PlaneMode.luma, .all])
    func pngStaysRGB(planes: PlaneMode) throws {
        let scratch = try Scratch()
        let input = scratch.path("in.png"), output = scratch.path("out.png")
        try Fixtures.clip(input, size: "64x48", frames: 1, pixelFormat: "rgb24", audio: nil, extra: ["-c:v", "png"])
        let job = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .scale(3), upscaler: lanczos, planes: planes))
        // 8-bit RGB's luma mode works on the 8-bit BT.601 Y the models learnt.
        #expect(job.description.workFormat.name == (planes == .all ? "gbrp" : "yuv444p"))
        _ = try job.run()
        let video = try Fixtures.videoStream(output)
        #expect(video["codec_name"] == "png" && video["width"] == "192" && video["height"] == "144" && video["pix_fmt"] == "rgb24")
    }

    @Test func refusesWhatCannotWork() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mp4")
        try Fixtures.clip(input, size: "64x48", frames: 3)
        func refusal(_ request: UpscaleRequest) -> String {
            do {
                _ = try UpscaleJob(request)
                return ""
            } catch {
                return "\(error)"
            }
        }
        let base = UpscaleRequest(inputPath: input, outputPath: scratch.path("out.mp4"), size: .scale(2), upscaler: lanczos)
        var request = base
        request.codec = "no-such-codec"
        #expect(refusal(request).contains("no-such-codec"))
        request = base
        request.outputPath = scratch.path("out.png")
        #expect(refusal(request).contains("still image"))
        request = base
        request.codec = "png"
        request.outputPath = scratch.path("out.mov")
        request.crf = 20
        #expect(refusal(request).contains("--crf"))
        request = base
        request.outputPath = input
        request.overwrite = true
        #expect(refusal(request).contains("is the input"))
        // Nothing was written by any of them.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) == ["in.mp4"])
    }

    @Test func stopFinishesAPlayableFileAndAbortLeavesNothing() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mkv")
        try Fixtures.clip(input, size: "64x48", frames: 60)
        let stop = StopSignal()
        let stopped = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: scratch.path("stopped.mkv"), size: .scale(2), upscaler: lanczos))
            .run(stop: stop) { progress in if progress.frames == 2 { stop.requestStop() } }
        #expect(stopped.stoppedEarly && stopped.frames >= 2 && stopped.frames < 60)
        let video = try Fixtures.videoStream(scratch.path("stopped.mkv"))
        #expect(video["nb_read_frames"] == String(stopped.frames))

        let abort = StopSignal()
        #expect {
            _ = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: scratch.path("aborted.mkv"), size: .scale(2), upscaler: lanczos))
                .run(stop: abort) { progress in if progress.frames == 2 { abort.requestAbort() } }
        } throws: { error in
            if case .aborted = error as? PipelineError { return true }
            return false
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted() == ["in.mkv", "stopped.mkv"])
    }
}

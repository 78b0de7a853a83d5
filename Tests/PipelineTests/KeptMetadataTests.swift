import Foundation
import LUTEngine
import Media
import TestSupport
import Testing
@testable import Pipeline

/// Everything but the picture survives an upscale: checked with ffprobe on files the ffmpeg CLI made.
@Suite struct KeptMetadataTests {
    let bicubic = Resampler(kernel: .bicubic)

    @Test func matroskaKeepsChaptersAttachmentsTagsAndDispositions() throws {
        let scratch = try Scratch()
        let input = scratch.path("rich.mkv"), output = scratch.path("out.mkv")
        try Fixtures.richMatroska(input, in: scratch)
        let job = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .scale(2), upscaler: bicubic))
        #expect(job.description.notes.isEmpty, "\(job.description.notes)")
        _ = try job.run()
        let lines = try Fixtures.describe(output)
        func line(_ prefix: String) -> String { lines.first { $0.hasPrefix(prefix) } ?? "" }
        #expect(lines.filter { $0.hasPrefix("chapter|") }.map { $0.contains("tag:title=Opening") || $0.contains("tag:title=Ending") } == [true, true])
        #expect(line("format|").contains("tag:title=Film title"))
        let video = line("stream|index=0"), audio = line("stream|index=1"), subtitles = line("stream|index=2"), font = line("stream|index=3")
        #expect(video.contains("width=192") && video.contains("tag:title=Camera"))
        #expect(audio.contains("tag:language=fra") && audio.contains("disposition:comment=1") && audio.contains("disposition:default=1"))
        #expect(subtitles.contains("codec_name=ass") && subtitles.contains("disposition:forced=1"))
        #expect(font.contains("codec_type=attachment") && font.contains("tag:filename=font.ttf") && font.contains("extradata_size=3000"))
    }

    @Test func mp4SaysWhatItCannotHoldBeforeWorking() throws {
        let scratch = try Scratch()
        let input = scratch.path("rich.mkv"), output = scratch.path("out.mp4")
        try Fixtures.richMatroska(input, in: scratch)
        // The ASS stream is refused by mp4 as before; without it, the attachment is what mp4 loses.
        let noSubtitles = scratch.path("nosubs.mkv")
        try Fixtures.ffmpeg(["-i", input, "-map", "0", "-map", "-0:s", "-c", "copy", noSubtitles])
        let job = try UpscaleJob(UpscaleRequest(inputPath: noSubtitles, outputPath: output, size: .scale(2), upscaler: bicubic))
        #expect(job.description.notes.contains { $0.contains("attachment") && $0.contains("cannot hold attachments") })
        _ = try job.run()
        #expect(try Fixtures.describe(output).filter { $0.hasPrefix("chapter|") }.count == 2)
    }

    /// HDR10 data sent only in the HEVC bitstream reaches the container (mkv, mp4) and, with libx265, the new bitstream.
    @Test(arguments: ["mkv", "mp4"])
    func hdr10MetadataIsKept(container: String) throws {
        let scratch = try Scratch()
        let input = scratch.path("hdr.mkv"), output = scratch.path("out.\(container)")
        try Fixtures.hdr10(input)
        #expect(try Fixtures.sideDataTypes(input).stream.isEmpty)
        let job = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .scale(2), upscaler: bicubic,
                                                codec: "libx265", preset: "ultrafast"))
        #expect(job.description.notes.isEmpty, "\(job.description.notes)")
        _ = try job.run()
        let found = try Fixtures.sideDataTypes(output)
        for kind in ["Mastering display metadata", "Content light level metadata"] {
            #expect(found.stream.contains(kind) && found.frame.contains(kind), "\(kind): \(found)")
        }
        let probe = try Fixtures.ffprobe(["-select_streams", "v:0", "-show_streams", output])
        #expect(probe.contains("max_content=1000") && probe.contains("max_average=400") && (probe.contains("red_x=34000/50000") || probe.contains("red_x=17/25")))
    }

    @Test func hdr10InAContainerWithoutPlaceForItIsANote() throws {
        let scratch = try Scratch()
        let input = scratch.path("hdr.mkv")
        try Fixtures.hdr10(input)
        let job = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: scratch.path("out.avi"), size: .scale(2),
                                                upscaler: bicubic, codec: "ffv1"))
        #expect(job.description.notes.contains { $0.contains("avi container cannot hold Mastering display metadata") })
    }

    /// A phone video's rotation (the MP4 track matrix) stays, and an H.264 display orientation SEI becomes one.
    @Test func rotationIsKept() throws {
        let scratch = try Scratch()
        let input = scratch.path("rot.mp4"), output = scratch.path("out.mp4")
        try Fixtures.rotatedMP4(input)
        #expect(try Fixtures.ffprobe(["-show_streams", input]).contains("rotation=-90"))
        _ = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .scale(2), upscaler: bicubic)).run()
        #expect(try Fixtures.ffprobe(["-show_streams", output]).contains("rotation=-90"))

        let sei = scratch.path("sei.mp4"), seiOutput = scratch.path("sei-out.mov")
        try Fixtures.clip(sei, size: "96x64", frames: 3, audio: nil, extra: ["-bsf:v", "h264_metadata=display_orientation=insert:rotate=90"])
        _ = try UpscaleJob(UpscaleRequest(inputPath: sei, outputPath: seiOutput, size: .scale(2), upscaler: bicubic)).run()
        #expect(try Fixtures.sideDataTypes(seiOutput).stream == ["Display Matrix"])

        let job = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: scratch.path("out.mkv"), size: .scale(2), upscaler: bicubic))
        #expect(job.description.notes.contains { $0.contains("cannot hold Display Matrix") && $0.contains("rotation -90 degrees") })
    }

    /// PNG and JPEG write the frames' ICC profile themselves; H.264 in MP4 has no place for it, which is a note.
    @Test func iccProfileIsKeptByImageEncoders() throws {
        let scratch = try Scratch()
        let input = scratch.path("icc.png")
        try Fixtures.pngWithICCProfile(input, profile: (0..<200).map { UInt8($0) })
        #expect(try Fixtures.sideDataTypes(input).frame == ["ICC profile"])
        for name in ["out.png", "out.jpg"] {
            let job = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: scratch.path(name), size: .scale(2), upscaler: bicubic))
            #expect(job.description.notes.isEmpty, "\(name): \(job.description.notes)")
            _ = try job.run()
            #expect(try Fixtures.ffprobe(["-show_frames", scratch.path(name)]).contains("size=200"), "\(name)")
        }
        let video = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: scratch.path("out.mp4"), size: .scale(2), upscaler: bicubic))
        #expect(video.description.notes.contains { $0.contains("mp4 container cannot hold ICC") })
    }
}

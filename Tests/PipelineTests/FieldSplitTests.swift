import Foundation
import LUTEngine
import Media
import TestSupport
import Testing
@testable import Pipeline

/// Interlaced input is never silently made progressive: kept interlaced and upscaled field by field, or deinterlaced
/// on request; the notes say which.
@Suite struct FieldSplitTests {
    let bicubic = Resampler(kernel: .bicubic)

    /// Lines alternating white (top field) and black (bottom field), flagged top field first, losslessly coded:
    /// any mixing of the two fields shows as grey.
    static func stripes(_ path: String) throws {
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "nullsrc=s=64x48:r=25,format=gray,geq=lum='if(mod(Y\\,2)\\,16\\,235)'",
                             "-frames:v", "3", "-pix_fmt", "yuv420p", "-c:v", "ffv1", "-field_order", "tt", path])
    }

    /// The luma rows of the first frame of `path`.
    static func firstFrameRows(_ path: String, width: Int) throws -> [[UInt8]] {
        let raw = path + ".gray"
        try Fixtures.ffmpeg(["-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", raw])
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
        return stride(from: 0, to: bytes.count, by: width).map { Array(bytes[$0..<min($0 + width, bytes.count)]) }
    }

    static func fieldFacts(_ path: String) throws -> (stream: String, frame: String) {
        let stream = try Fixtures.ffprobe(["-select_streams", "v:0", "-show_entries", "stream=field_order", "-of", "csv=p=0", path])
        let frame = try Fixtures.ffprobe(["-select_streams", "v:0", "-read_intervals", "%+#1", "-show_entries",
                                          "frame=interlaced_frame,top_field_first", "-of", "csv=p=0", path])
        // A frame with side data gets an empty column after its fields.
        let padding = CharacterSet(charactersIn: ", \n")
        return (stream.trimmingCharacters(in: padding), frame.trimmingCharacters(in: padding))
    }

    @Test func interlacedStaysInterlacedAndFieldsAreNotMixed() throws {
        let scratch = try Scratch()
        let input = scratch.path("stripes.mkv"), output = scratch.path("out.mkv")
        try Self.stripes(input)
        let job = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .scale(2), upscaler: bicubic, codec: "ffv1"))
        #expect(job.description.notes.contains { $0.contains("top field first: upscaled field by field and kept interlaced") })
        _ = try job.run()
        #expect(try Self.fieldFacts(output) == ("tt", "1,1"))
        let rows = try Self.firstFrameRows(output, width: 128)
        #expect(rows.count == 96)
        #expect(rows.enumerated().allSatisfy { line, row in row.allSatisfy { line % 2 == 0 ? $0 > 230 : $0 < 21 } })
    }

    @Test func deinterlaceTakesTheFirstFieldAndSaysSo() throws {
        let scratch = try Scratch()
        let input = scratch.path("stripes.mkv"), output = scratch.path("out.mkv")
        try Self.stripes(input)
        let job = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .scale(2), upscaler: bicubic,
                                                codec: "ffv1", deinterlace: true))
        #expect(job.description.notes.contains { $0.contains("deinterlaced, the top field") })
        _ = try job.run()
        #expect(try Self.fieldFacts(output) == ("progressive", "0,0"))
        #expect(try Self.firstFrameRows(output, width: 128).allSatisfy { $0.allSatisfy { $0 > 230 } })
    }

    /// MPEG-2 bottom field first (DVD-style) into H.264: coded interlaced, order kept.
    @Test func bottomFieldFirstIntoH264() throws {
        let scratch = try Scratch()
        let input = scratch.path("bff.mpg"), output = scratch.path("out.mkv")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=176x144:r=25", "-frames:v", "3", "-flags", "+ildct+ilme",
                             "-top", "0", "-field_order", "bb", "-c:v", "mpeg2video", input])
        _ = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .scale(1.5), upscaler: bicubic, preset: "ultrafast")).run()
        #expect(try Self.fieldFacts(output) == ("bb", "1,0"))
    }

    @Test func progressiveStaysProgressive() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mkv"), output = scratch.path("out.mkv")
        try Fixtures.clip(input, size: "64x48", frames: 2, audio: nil)
        let job = try UpscaleJob(UpscaleRequest(inputPath: input, outputPath: output, size: .scale(2), upscaler: bicubic))
        #expect(job.description.notes.isEmpty)
        _ = try job.run()
        #expect(try Self.fieldFacts(output).frame == "0,0")
    }
}

import Foundation
import TestSupport
import Testing

/// Issue #19, segments: one keyframe-aligned segment of an input upscaled into an independent piece, and pieces
/// joined into the final file by remuxing, with the source's other streams and metadata as a whole run has them.
@Suite struct SegmentTests {
    /// 4 s of 160x120 at 24 fps (96 frames), a keyframe every 12 frames, AAC audio, SRT subtitles and a title.
    static func source(_ scratch: Scratch, name: String = "in.mkv", frames: Int = 96, subtitles: Bool = true) throws -> String {
        let srt = scratch.path("subs.srt")
        try "1\n00:00:00,500 --> 00:00:01,500\nhello\n\n2\n00:00:02,000 --> 00:00:03,000\nworld\n".write(toFile: srt, atomically: true, encoding: .utf8)
        let input = scratch.path(name)
        let seconds = String(format: "%.3f", Double(frames) / 24)
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=24", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                             "-i", srt, "-map", "0:v", "-map", "1:a"] + (subtitles ? ["-map", "2:s", "-c:s", "srt"] : []) + ["-frames:v", "\(frames)", "-t", seconds,
                             "-c:v", "libx264", "-preset", "ultrafast", "-g", "12", "-bf", "2", "-pix_fmt", "yuv420p",
                             "-c:a", "aac", "-metadata", "title=Segments", input])
        return input
    }

    /// Decoded video frames (timestamps and checksums).
    static func videoMD5(_ path: String) throws -> [String] {
        let result = try Fixtures.run("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-map", "0:v", "-f", "framemd5", "-"])
        try #require(result.status == 0, "\(result.errors)")
        return result.output.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
    }

    /// Audio packets as they are stored (timestamps, sizes and checksums): equal for bit-identical audio.
    static func audioMD5(_ path: String) throws -> [String] {
        let result = try Fixtures.run("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-map", "0:a", "-c", "copy", "-f", "framemd5", "-"])
        try #require(result.status == 0, "\(result.errors)")
        return result.output.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
    }

    static let options = ["--scale", "2", "--codec", "ffv1", "--model", "bicubic", "-y"]

    @Test func segmentsStartAtKeyframes() throws {
        let scratch = try Scratch()
        let input = try Self.source(scratch)
        let result = try CLITests.lutscale(["segments", input, "--segment-seconds", "1.2", "--json"])
        #expect(result.status == 0, "\(result.errors)")
        // Keyframes every 12 frames (0.5 s): segments of at least 1.2 s start at 0, 36, 72; the tail (24 frames, 1 s)
        // is long enough to stand alone.
        #expect(result.output.contains(#""frames": 96"#), "\(result.output)")
        #expect(result.output.contains("[[0, 36], [36, 72], [72, 96]]"), "\(result.output)")
    }

    /// Pieces made by --frames and --time, joined, give the frames, timestamps, audio, subtitles and metadata of
    /// one whole run; each piece holds exactly its frames with the source's timestamps.
    @Test(arguments: ["mkv", "mp4"])
    func piecesJoinedAsAWholeRun(container: String) throws {
        let scratch = try Scratch()
        let input = try Self.source(scratch, subtitles: container == "mkv")
        let whole = scratch.path("whole.\(container)"), joined = scratch.path("joined.\(container)")
        let one = try CLITests.lutscale([input, "-o", whole, "--segment-seconds", "0"] + Self.options
                                        + (container == "mp4" ? ["--codec", "libx264", "--crf", "10", "--preset", "veryfast"] : []))
        try #require(one.status == 0, "\(one.errors)")
        // H.264 with B-frames: negative decode times at the start, and pieces that start with packets whose decode
        // time NUT does not store.
        let codec = container == "mp4" ? ["--codec", "libx264", "--crf", "10", "--preset", "veryfast"] : []
        var pieces: [String] = []
        for (number, range) in [["--frames", "0:36"], ["--time", "1.5:3"], ["--frames", "72:96"]].enumerated() {
            let piece = scratch.path("piece\(number).nut")
            let made = try CLITests.lutscale([input, "-o", piece] + range + Self.options + codec)
            try #require(made.status == 0, "\(made.errors)")
            pieces.append(piece)
        }
        // Exact frames, timestamps of the source.
        let times = try Fixtures.frameTimes(input)
        #expect(try Fixtures.frameTimes(pieces[0]).map { Double($0)! } == times[0..<36].map { Double($0)! })
        #expect(try Fixtures.frameTimes(pieces[1]).map { Double($0)! } == times[36..<72].map { Double($0)! })
        #expect(try RobustnessTests.frameCount(pieces[2]) == 24)
        #expect(try Fixtures.videoStream(pieces[0])["nb_read_frames"] == "36")
        let join = try CLITests.lutscale([input, "-o", joined] + Self.options + codec + pieces.flatMap { ["--join", $0] })
        try #require(join.status == 0, "\(join.errors)")
        if container == "mkv" {
            // ffv1 is lossless: the same decoded frames whatever the GOPs.
            #expect(try Self.videoMD5(joined) == Self.videoMD5(whole))
        } else {
            #expect(try RobustnessTests.frameCount(joined) == 96)
            // Decode timestamps rise as in the whole run (ffmpeg warns alike about both, e.g. 24 fps into mp4's clock).
            func warnings(_ path: String) throws -> String {
                try Fixtures.run("ffmpeg", ["-nostdin", "-v", "warning", "-i", path, "-f", "null", "-"]).errors
                    .replacing(/0x[0-9a-f]+/, with: "")
            }
            #expect(try warnings(joined) == warnings(whole))
        }
        #expect(try Fixtures.frameTimes(joined) == Fixtures.frameTimes(whole))
        #expect(try Self.audioMD5(joined) == Self.audioMD5(whole))
        if container == "mkv" { #expect(try Fixtures.packets(joined, streams: "s") == Fixtures.packets(whole, streams: "s")) }
        let tags = ["-show_entries", "format_tags:stream=index,codec_type,codec_name,width,height:stream_tags", "-of", "compact"]
        // Matroska's DURATION tags are left out: the last frame's duration goes through the piece's time base and may
        // round 1 ms apart.
        func described(_ path: String) throws -> String {
            try Fixtures.ffprobe(tags + [path]).replacing(/\|tag:DURATION=[0-9:.]*/, with: "")
        }
        let (joinedTags, wholeTags) = (try described(joined), try described(whole))
        #expect(joinedTags == wholeTags, "\(joinedTags)\n\(wholeTags)")
    }

    /// Pieces that do not fit the job are refused before anything is written.
    @Test func foreignPieceRefused() throws {
        let scratch = try Scratch()
        let input = try Self.source(scratch)
        let piece = scratch.path("piece.nut")
        let made = try CLITests.lutscale([input, "-o", piece, "--frames", "0:12", "--scale", "3", "--codec", "ffv1", "--model", "bicubic"])
        try #require(made.status == 0, "\(made.errors)")
        let join = try CLITests.lutscale([input, "-o", scratch.path("out.mkv"), "--join", piece] + Self.options)
        #expect(join.status != 0)
        #expect(join.errors.contains("is not a piece of this job"), "\(join.errors)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out.mkv")))
    }
}

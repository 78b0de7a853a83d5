import Foundation
import TestSupport
import Testing

/// Every source with every sink, through the real ffmpeg and ffprobe: containers on stdin, containers on stdout,
/// files; audio kept wherever the sink holds it. (Frame pipes both ways, y4m and raw: StreamTests.)
@Suite struct SourceSinkTests {
    /// `kind,width,frames` of every stream of `path` (`-` reads stdin of the shell's last command).
    static let probe = "ffprobe -v error -count_frames -show_entries stream=codec_type,width,nb_read_frames -of csv=p=0"
    static let expected = "video,320,10\naudio,5"

    static func run(_ script: String) throws -> Fixtures.ToolResult {
        let scratch = try Scratch()
        return try StreamTests.shell("""
            \(StreamTests.ff) -f lavfi -i testsrc2=size=160x120:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 0.4 \
              -pix_fmt yuv420p -c:v libx264 -preset ultrafast -c:a flac in.mkv && \(script)
            """, in: scratch)
    }

    @Test(arguments: [
        // A container on stdin into a file.
        "cat in.mkv | \"$LUTSCALE\" - -o out.mkv --scale 2 --model bicubic -q && \(probe) out.mkv",
        // A file to stdout as a container, by - and by pipe:1.
        "\"$LUTSCALE\" in.mkv -o - --format matroska --scale 2 --model bicubic -q > out.mkv && \(probe) out.mkv",
        "\"$LUTSCALE\" in.mkv -o pipe:1 --format nut --scale 2 --model bicubic -q | \(probe) -",
        // A container on stdin to stdout as a container.
        "cat in.mkv | \"$LUTSCALE\" - -o - --format matroska --scale 2 --model bicubic -q | \(probe) -",
    ])
    func containerPipesKeepFramesAndAudio(script: String) throws {
        let result = try Self.run(script)
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == Self.expected, "\(result.output)")
    }

    @Test func y4mOnStdinIntoAFile() throws {
        let result = try Self.run("""
            \(StreamTests.ff) -i in.mkv -f yuv4mpegpipe - | "$LUTSCALE" - -o out.mkv --scale 2 --model bicubic -q && \(Self.probe) out.mkv
            """)
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "video,320,10")
    }

    /// A file's video as y4m frames on stdout: the same pixels as ffmpeg's y4m of the file through the frame pipe.
    @Test func fileToFramesOnStdoutMatchesTheFramePipe() throws {
        let raw = "\(StreamTests.ff) -f yuv4mpegpipe -i - -f rawvideo - | md5sum"
        let result = try Self.run("""
            "$LUTSCALE" in.mkv -o - --scale 2 --model bicubic -q | \(raw) && \
            \(StreamTests.ff) -i in.mkv -f yuv4mpegpipe - | "$LUTSCALE" - -o - --scale 2 --model bicubic -q | \(raw) && \
            "$LUTSCALE" in.mkv -o - --scale 2 --model bicubic -q | \(Self.probe) -
            """)
        #expect(result.status == 0, "\(result.errors)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 3 && lines[0] == lines[1], "\(result.output)")
        #expect(lines.last == "video,320,10")
    }

    /// `--preview` from a file: paced y4m on stdout, every frame shown or counted as dropped, the model named.
    @Test func previewFromAFile() throws {
        let result = try Self.run("\"$LUTSCALE\" in.mkv -o - --scale 2 --preview --model bicubic | \(Self.probe) -")
        #expect(result.status == 0, "\(result.errors)")
        let shown = Int(result.output.split(separator: ",").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? -1
        let dropped = result.errors.split(separator: ";").last.flatMap { Int($0.split(separator: " ").first ?? "") } ?? -1
        #expect(shown + dropped == 10, "\(result.output) \(result.errors)")
        #expect(result.errors.contains("(bicubic)"), "\(result.errors)")
    }

    /// `--preview` from a file into a container on stdout: paced, the audio stream carried whole beside the video,
    /// every frame shown or counted as dropped; without --model, the preview ladder's choice is named.
    @Test func previewFromAFileIntoAContainerKeepsTheAudio() throws {
        let result = try Self.run("""
            "$LUTSCALE" in.mkv -o - --format matroska --scale 2 --preview --model bicubic 2> log1 | \(Self.probe) - && \
            "$LUTSCALE" in.mkv -o - --format matroska --scale 2 --preview 2> log2 | ffprobe -v error -show_entries stream=codec_type -of csv=p=0 - && \
            cat log1 log2 >&2
            """)
        #expect(result.status == 0, "\(result.errors)")
        let lines = result.output.split(separator: "\n").map(String.init)
        let video = lines.first { $0.hasPrefix("video,320,") }.flatMap { Int($0.split(separator: ",")[2]) } ?? -1
        let dropped = result.errors.components(separatedBy: "; ").lazy.compactMap { $0.contains("frames dropped") ? Int($0.split(separator: " ")[0]) : nil }.first ?? -1
        #expect(video + dropped == 10, "\(result.output) \(result.errors)")
        #expect(lines.contains("audio,5"), "the audio stream goes through: \(result.output)")
        #expect(Array(lines.suffix(2)) == ["video", "audio"], "\(result.output)")
        #expect(result.errors.contains("(bicubic, libx264") && result.errors.contains("(preview: "), "\(result.errors)")
    }

    /// `-o out%03d.png`: numbered images from 1 as ffmpeg's image2 writes them, all at once when the job succeeds
    /// (no hidden folder left), never over an existing one without -y, and never in resumable segments (they
    /// could not be joined into one file).
    @Test func imageSequenceOutput() throws {
        let pngs = "for f in out*.png; do echo \"$f $(ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 \"$f\")\"; done"
        let result = try Self.run("""
            "$LUTSCALE" in.mkv -o 'out%03d.png' --scale 2 --model bicubic -q --segment-seconds 0.1 && \(pngs) && ls -A | grep -c lutscale; \
            { "$LUTSCALE" in.mkv -o 'out%03d.png' --scale 2 --model bicubic -q; echo "again $?"; } && \
            "$LUTSCALE" in.mkv -o 'out%03d.png' --size 200x150 --model bicubic -q -y && \(pngs) | tail -1
            """)
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 13, "\(result.output) \(result.errors)")
        #expect(Array(lines.prefix(10)) == (1...10).map { String(format: "out%03d.png png,320,240", $0) })
        #expect(lines.dropFirst(10).first == "0", "no temporary folder is left")
        #expect(lines.dropFirst(11).first == "again 1" && result.errors.contains("out001.png (of the sequence out%03d.png) exists"), "\(result.errors)")
        #expect(lines.last == "out010.png png,200,150")
    }

    @Test func aContainerOnStdoutNeedsItsFormat() throws {
        let result = try Self.run("\"$LUTSCALE\" in.mkv -o pipe:1 --scale 2 > out.bin")
        #expect(result.status != 0)
        #expect(result.errors.contains("needs --format"), "\(result.errors)")
    }
}

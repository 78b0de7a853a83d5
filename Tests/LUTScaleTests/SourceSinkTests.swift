import Foundation
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

    @Test func aContainerOnStdoutNeedsItsFormat() throws {
        let result = try Self.run("\"$LUTSCALE\" in.mkv -o - --scale 2 > out.bin")
        #expect(result.status != 0)
        #expect(result.errors.contains("needs --format"), "\(result.errors)")
    }
}

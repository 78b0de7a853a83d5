import Foundation
import TestSupport
import Testing

/// Whether mpv is on PATH.
private let mpvIsInstalled = (try? Fixtures.run("sh", ["-c", "command -v mpv"]).status) == 0

/// lutscale's stdout played by the real mpv, as users preview: a container with its audio and y4m frames. Skipped
/// where mpv is missing (`Tools/setup.sh` installs it), except under CI, where that fails.
@Suite(.enabled(if: mpvIsInstalled || ProcessInfo.processInfo.environment["CI"] != nil,
                "mpv is not installed (Tools/setup.sh installs it): the player tests are skipped"))
struct PlayerTests {
    /// mpv as a test plays: no configuration, no window, no sound card; it stops after 5 frames (of 10).
    static let mpv = "mpv --no-config --frames=5"

    @Test(arguments: [
        // A container with audio, paced (the README's preview).
        ("-o - --format matroska --scale 2 --model bicubic --preview", "h264 320x240", true),
        // y4m frames.
        ("-o - --scale 2 --model bicubic", "rawvideo 320x240", false),
    ])
    func mpvPlaysTheOutput(options: String, video: String, audio: Bool) throws {
        let result = try SourceSinkTests.run("""
            "$LUTSCALE" in.mkv \(options) -q | \(Self.mpv) --vo=null --ao=null - > played.log 2>&1 && cat played.log && \
            "$LUTSCALE" in.mkv \(options) -q | \(Self.mpv) --o=played.nut --of=nut --ovc=rawvideo --oac=pcm_s16le - > /dev/null 2>&1 && \
            ffprobe -v error -count_frames -show_entries stream=codec_type,width,height,nb_read_frames -of csv=p=0 played.nut
            """)
        // Both lutscale (its reader quit after 5 frames: a clean end) and mpv exit 0.
        #expect(result.status == 0, "\(result.output) \(result.errors)")
        #expect(result.output.contains("Video --vid=1 (\(video)") && result.output.contains("VO: [null] 320x240"), "\(result.output)")
        #expect(result.output.contains("Audio --aid=1 (flac") == audio, "\(result.output)")
        #expect(result.output.contains("video,320,240,5"), "mpv decoded and played 5 frames: \(result.output)")
        #expect(result.output.contains("Exiting... (End of file)"), "\(result.output)")
    }
}

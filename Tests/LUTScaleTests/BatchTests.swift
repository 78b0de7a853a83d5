import Foundation
import TestSupport
import Testing

/// Several inputs, folders and image sequences into one folder: predictable names, a bad file reported and skipped,
/// a summary and the exit status.
@Suite struct BatchTests {
    static let probe = "ffprobe -v error -count_frames -select_streams v -show_entries stream=width,nb_read_frames -of csv=p=0"

    @Test func aFolderAndASequenceIntoAFolderSkippingABadFile() throws {
        let scratch = try Scratch()
        let result = try StreamTests.shell("""
            mkdir in && \(StreamTests.ff) -f lavfi -i testsrc2=size=160x120:rate=25 -f lavfi -i sine=sample_rate=48000 -t 0.4 \
              -pix_fmt yuv420p -c:v libx264 -preset ultrafast -c:a flac in/a.mkv && \
            \(StreamTests.ff) -f lavfi -i testsrc2=size=64x48:rate=25 -frames:v 1 in/b.png && echo junk > in/c.mp4 && \
            \(StreamTests.ff) -f lavfi -i testsrc2=size=64x48:rate=25 -frames:v 4 img%03d.png && \
            { "$LUTSCALE" in 'img%03d.png' -o out/ --scale 2 --model bicubic; echo "status $?"; } && \
            \(Self.probe) out/a.mkv && \(Self.probe) out/b.png && \(Self.probe) out/img.mp4 && ls out
            """, in: scratch)
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines == ["status 1", "320,10", "128,1", "128,4", "a.mkv", "b.png", "img.mp4"], "\(result.output) \(result.errors)")
        #expect(result.errors.contains("lutscale: in/c.mp4: skipped: "), "\(result.errors)")
        #expect(result.errors.contains("lutscale: batch: 3 of 4 done into out/; failed: in/c.mp4"), "\(result.errors)")
    }

    @Test func allGoodExitsZeroAndAnImageSequenceIsOneVideo() throws {
        let scratch = try Scratch()
        let result = try StreamTests.shell("""
            \(StreamTests.ff) -f lavfi -i testsrc2=size=64x48:rate=25 -frames:v 3 img%03d.png && cp img001.png one.png && \
            "$LUTSCALE" one.png img002.png -o out --scale 2 --model bicubic -q && mkdir out2 && \
            "$LUTSCALE" 'img%03d.png' -o seq.mkv --scale 2 --model bicubic -q && ls out && \(Self.probe) seq.mkv
            """, in: scratch)
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.split(separator: "\n") == ["img002.png", "one.png", "128,3"], "\(result.output)")
    }

    @Test func outputsByAPattern() throws {
        let scratch = try Scratch()
        let result = try StreamTests.shell("""
            mkdir big && \(StreamTests.ff) -f lavfi -i testsrc2=size=64x48:rate=25 -frames:v 1 a.png && cp a.png b.png && \
            "$LUTSCALE" a.png b.png -o 'big/{name}-x2.{ext}' --scale 2 --model bicubic -q && ls big && \
            { "$LUTSCALE" a.png b.png -o 'big/same.{ext}' --scale 2 -q; echo "status $?"; }
            """, in: scratch)
        #expect(result.output.split(separator: "\n") == ["a-x2.png", "b-x2.png", "status 64"], "\(result.output) \(result.errors)")
        #expect(result.errors.contains("needs {name}"), "\(result.errors)")
    }
}

import Foundation
import Testing

/// Issue #20, second round: arithmetic at the limits, broken stderr, signals, outputs that are not plain files,
/// output formats, model files that lie.
@Suite struct FaultTests {
    /// A 64x48, 2-frame clip in a fresh scratch directory.
    static func smallClip() throws -> (Scratch, String) {
        let scratch = try Scratch()
        let input = scratch.path("in.mp4")
        try Fixtures.clip(input, size: "64x48", frames: 2, audio: nil)
        return (scratch, input)
    }

    // MARK: 1. no size computation traps

    /// A size over the limit is refused as such; the chroma hint is never a size that would be refused too.
    @Test(arguments: [("16383x16383", "too large", "try"), ("8191x8193", "try 8190x8192", "too large")])
    func sizeHintIsAcceptable(size: String, message: String, absent: String) throws {
        let (scratch, input) = try Self.smallClip()
        let outcome = try RobustnessTests.lutscale([input, "-o", scratch.path("out.mp4"), "--size", size])
        try RobustnessTests.expectRefused(outcome, mentioning: message, in: scratch, files: ["in.mp4"])
        #expect(!outcome.errors.contains(absent), "\(outcome.errors)")
    }

    @Test func evalRefusesAHugeScale() throws {
        let scratch = try Scratch()
        for dir in ["hr", "lr"] {
            try FileManager.default.createDirectory(atPath: scratch.path(dir), withIntermediateDirectories: false)
            try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=16x16", "-frames:v", "1", scratch.path("\(dir)/a.png")])
        }
        let outcome = try RobustnessTests.lutscale(["eval", "--hr", scratch.path("hr"), "--lr", scratch.path("lr"),
                                                    "--scale", "1e300", "--model", "bicubic"])
        #expect(outcome.status != 0 && !outcome.signalled && outcome.errors.contains("too large"), "\(outcome.errors)")
    }

    /// A y4m width past any Int the parser keeps is quoted as written, not as the saturated number.
    @Test func y4mHugeWidthQuotedAsWritten() throws {
        let scratch = try Scratch()
        try Data("YUV4MPEG2 W100000000000000000000 H2 F25:1\nFRAME\n".utf8).write(to: URL(fileURLWithPath: scratch.path("bad.y4m")))
        let result = try StreamTests.shell(#""$LUTSCALE" - -o - --scale 2 < bad.y4m"#, in: scratch)
        #expect(result.status == 1, "\(result.errors)")
        #expect(result.errors.contains("W\"100000000000000000000\": over the limit of 16384"), "\(result.errors)")
    }
}

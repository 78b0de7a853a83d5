import Foundation
import TestSupport
import Testing

/// Issue #19, resume: a long job works in segments with a journal beside the output; a run killed by any signal is
/// resumed by the same command, and the result is the one an uninterrupted run gives (lossless ffv1, so decoded
/// frames compare exactly).
@Suite(.serialized) struct ResumeTests {
    static let options = ["--scale", "2", "--codec", "ffv1", "--model", "bicubic", "--segment-seconds", "0.5"]

    /// 6 s at 24 fps with a keyframe every 12 frames: 12 segments of 0.5 s.
    static func setUp() throws -> (Scratch, input: String, reference: String) {
        let scratch = try Scratch()
        let input = try SegmentTests.source(scratch, frames: 144)
        let reference = scratch.path("reference.mkv")
        let whole = try CLITests.lutscale([input, "-o", reference, "--scale", "2", "--codec", "ffv1", "--model", "bicubic", "--segment-seconds", "0"])
        try #require(whole.status == 0, "\(whole.errors)")
        return (scratch, input, reference)
    }

    static func journal(_ output: String) -> String {
        let url = URL(fileURLWithPath: output)
        return url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".lutscale-resume/journal.json").path
    }

    /// Segments the journal records finished.
    static func finishedSegments(_ output: String) -> Int {
        guard let data = FileManager.default.contents(atPath: journal(output)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let done = object["done"] as? [String: Any] else { return 0 }
        return done.count
    }

    /// Starts the job, and once `segments` segments are finished sends `signal`; returns the killed run's stderr.
    static func interrupt(_ arguments: [String], output: String, after segments: Int, with signal: Int32) throws -> (status: Int32, errors: String) {
        let log = URL(fileURLWithPath: output + ".stderr")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && finishedSegments(output) < segments && Date() < deadline { usleep(5_000) }
        try #require(process.isRunning, "the job ended before it could be interrupted")
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    static func expectSameAsReference(_ output: String, _ reference: String) throws {
        #expect(try SegmentTests.videoMD5(output) == SegmentTests.videoMD5(reference))
        #expect(try SegmentTests.audioMD5(output) == SegmentTests.audioMD5(reference))
        #expect(try Fixtures.packets(output, streams: "s") == Fixtures.packets(reference, streams: "s"))
        #expect(!FileManager.default.fileExists(atPath: URL(fileURLWithPath: journal(output)).deletingLastPathComponent().path))
    }

    /// Killed outright (SIGKILL: nothing can be cleaned up) or asked to stop (SIGINT, SIGTERM), twice in a row: each
    /// rerun says where it resumes, and the last one gives the frames and audio of an uninterrupted run.
    @Test(arguments: [SIGKILL, SIGINT, SIGTERM])
    func resumedRunsGiveTheUninterruptedResult(signal: Int32) throws {
        let (scratch, input, reference) = try Self.setUp()
        let output = scratch.path("out.mkv")
        let arguments = [input, "-o", output] + Self.options
        let first = try Self.interrupt(arguments, output: output, after: 2, with: signal)
        if signal != SIGKILL {
            #expect(first.status == 128 + signal, "\(first.errors)")
            #expect(first.errors.contains("run the same command again to resume"), "\(first.errors)")
        }
        #expect(!FileManager.default.fileExists(atPath: output))
        let kept = Self.finishedSegments(output)
        #expect(kept >= 2)
        // The second run is interrupted too, later; its start names the frame it resumes at.
        let second = try Self.interrupt(arguments, output: output, after: kept + 2, with: signal)
        #expect(second.errors.contains("resuming at frame \(kept * 12) of 144"), "\(second.errors)")
        let last = try CLITests.lutscale(arguments)
        #expect(last.status == 0, "\(last.errors)")
        #expect(last.errors.contains("resuming at frame"), "\(last.errors)")
        // Progress counts from where it resumed.
        #expect(!last.errors.contains("frame 1/144"), "\(last.errors)")
        try Self.expectSameAsReference(output, reference)
    }

    /// A journal made with other options, or ignored with --no-resume, starts the job over (with a note).
    @Test(arguments: ["input", "--no-resume"])
    func changedOptionsStartOver(change: String) throws {
        let (scratch, input, reference) = try Self.setUp()
        let output = scratch.path("out.mkv")
        _ = try Self.interrupt([input, "-o", output] + Self.options, output: output, after: 1, with: SIGKILL)
        #expect(Self.finishedSegments(output) >= 1)
        var arguments = [input, "-o", output] + Self.options
        if change == "--no-resume" { arguments.append(change) }
        // A changed input: the same file, modified at another time.
        if change == "input" {
            let url = URL(fileURLWithPath: input)
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: url.path)
        }
        let rerun = try CLITests.lutscale(arguments)
        #expect(rerun.status == 0, "\(rerun.errors)")
        #expect(rerun.errors.contains("starting over"), "\(rerun.errors)")
        #expect(!rerun.errors.contains("resuming at"), "\(rerun.errors)")
        try Self.expectSameAsReference(output, reference)
    }

    /// A changed option (the model) starts over with a note.
    @Test func changedModelStartsOver() throws {
        let (scratch, input, _) = try Self.setUp()
        let output = scratch.path("out.mkv")
        _ = try Self.interrupt([input, "-o", output] + Self.options, output: output, after: 1, with: SIGKILL)
        let rerun = try CLITests.lutscale([input, "-o", output, "--scale", "2", "--codec", "ffv1", "--model", "lanczos3", "--segment-seconds", "0.5"])
        #expect(rerun.status == 0, "\(rerun.errors)")
        #expect(rerun.errors.contains("the input, model or options changed"), "\(rerun.errors)")
    }
}

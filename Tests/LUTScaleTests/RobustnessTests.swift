import Foundation
import TestSupport
import Testing

/// Bad inputs, bad options, damaged models and faults, through the built binary (issue #6, files).
///
/// Every refusal must exit non-zero by itself (not by a signal), say why on stderr, leave no output (nor a hidden
/// temporary file beside it) and leave the input as it was. Damaged media is decoded as far as it goes.
@Suite struct RobustnessTests {
    struct Outcome {
        let status: Int32
        let signalled: Bool
        let errors: String
    }

    /// Runs `lutscale arguments` (in `directory` when given) through `bash -c`, after `setup` (ulimits, traps)
    /// when given.
    static func lutscale(_ arguments: [String], setup: String? = nil, directory: URL? = nil) throws -> Outcome {
        let process = Process()
        process.currentDirectoryURL = directory
        if let setup {
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", "\(setup); exec \"$0\" \"$@\"", CLITests.binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: CLITests.binary)
            process.arguments = arguments
        }
        process.standardInput = FileHandle.nullDevice
        let result = try Fixtures.collect(process)
        return Outcome(status: result.status, signalled: process.terminationReason == .uncaughtSignal, errors: result.errors)
    }

    /// The scratch directory's entries, hidden ones included.
    static func listing(_ scratch: Scratch) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted()
    }

    /// A refusal: non-zero exit without a signal or a crash report, `message` on stderr, the directory holding
    /// exactly `files` afterwards, the input byte for byte as before.
    static func expectRefused(_ outcome: Outcome, mentioning message: String, in scratch: Scratch, files: [String],
                              input: String? = nil, inputBytes: Data? = nil,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(outcome.status != 0 && !outcome.signalled, "status \(outcome.status): \(outcome.errors)", sourceLocation: sourceLocation)
        #expect(outcome.errors.contains(message), "\(outcome.errors)", sourceLocation: sourceLocation)
        #expect(!outcome.errors.contains("Fatal error") && !outcome.errors.contains("Crash"), sourceLocation: sourceLocation)
        #expect(try listing(scratch) == files.sorted(), sourceLocation: sourceLocation)
        if let input, let inputBytes {
            #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == inputBytes, sourceLocation: sourceLocation)
        }
    }

    static func frameCount(_ path: String) throws -> Int {
        Int(try Fixtures.videoStream(path)["nb_read_frames"] ?? "") ?? 0
    }

    // MARK: unreadable inputs

    @Test func missingInput() throws {
        let scratch = try Scratch()
        let outcome = try Self.lutscale([scratch.path("nothing.mp4"), "-o", scratch.path("out.mp4"), "--scale", "2"])
        try Self.expectRefused(outcome, mentioning: "does not exist", in: scratch, files: [])
    }

    @Test(arguments: [("text.mp4", Data("this is not a video\n".utf8), "Invalid data"), ("empty.mp4", Data(), "is empty"),
                      ("empty.y4m", Data(), "is empty"), ("header.y4m", Data("YUV4MPEG2 W64 H48 F25:1\n".utf8), "no video frames")])
    func unreadableInput(name: String, bytes: Data, message: String) throws {
        let scratch = try Scratch()
        let input = scratch.path(name)
        try bytes.write(to: URL(fileURLWithPath: input))
        let outcome = try Self.lutscale([input, "-o", scratch.path("out.mp4"), "--scale", "2"])
        try Self.expectRefused(outcome, mentioning: message, in: scratch, files: [name],
                               input: input, inputBytes: bytes)
    }

    // MARK: damaged media: decode what decodes, report the rest

    /// A run over damaged input: exit 0 with `warning` on stderr, a playable output holding frames.
    static func expectSalvaged(_ outcome: Outcome, warning: String, output: String, atMost frames: Int,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(outcome.status == 0 && !outcome.signalled, "\(outcome.errors)", sourceLocation: sourceLocation)
        let warnings = outcome.errors.split(separator: "\n").filter { $0.hasPrefix("lutscale: warning: ") }
        #expect(warnings.contains { $0.contains(warning) }, "\(outcome.errors)", sourceLocation: sourceLocation)
        let count = try frameCount(output)
        #expect(count > 0 && count <= frames, "\(count) frames", sourceLocation: sourceLocation)
    }

    /// The first half of a file: an mp4 with its index in front (faststart; its last packet is cut and fails to
    /// decode) and a Matroska file (whose demuxer just ends: the announced length tells).
    @Test(arguments: [("in.mp4", ["-movflags", "+faststart"], "skipped 1 broken packet"),
                      ("in.mkv", [], "the input ended after ")])
    func truncatedFile(name: String, muxerOptions: [String], warning: String) throws {
        let scratch = try Scratch()
        let whole = scratch.path("whole-" + name), input = scratch.path(name), output = scratch.path("out.mkv")
        try Fixtures.clip(whole, size: "160x120", frames: 50, audio: nil, extra: ["-c:v", "libx264", "-preset", "ultrafast"] + muxerOptions)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        let half = bytes.prefix(bytes.count / 2)
        try half.write(to: URL(fileURLWithPath: input))
        let outcome = try Self.lutscale([input, "-o", output, "--scale", "2", "--preset", "ultrafast"])
        try Self.expectSalvaged(outcome, warning: warning, output: output, atMost: 49)
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == half)
        #expect(try Self.listing(scratch) == ["out.mkv", name, "whole-" + name].sorted())
    }

    /// Bytes flipped in the middle of a Matroska file and of an MPEG-TS: packets that fail to decode are skipped
    /// and counted, the frames around them kept.
    @Test(arguments: ["in.mkv", "in.ts"])
    func corruptedPackets(name: String) throws {
        let scratch = try Scratch()
        let input = scratch.path(name), output = scratch.path("out.mp4")
        try Fixtures.clip(input, size: "160x120", frames: 50, audio: nil)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        let start = bytes.count * 4 / 10
        for offset in stride(from: start, to: start + bytes.count / 20, by: 61) { bytes[offset] ^= 0xFF }
        try bytes.write(to: URL(fileURLWithPath: input))
        let outcome = try Self.lutscale([input, "-o", output, "--scale", "2", "--preset", "ultrafast"])
        try Self.expectSalvaged(outcome, warning: "damaged input: ", output: output, atMost: 50)
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == bytes)
        #expect(try Self.listing(scratch) == [name, "out.mp4"].sorted())
    }

    /// Noise after the headers: no frame decodes, so not even the pixel format is known; refused at opening.
    @Test func nothingDecodable() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mkv"), output = scratch.path("out.mkv")
        try Fixtures.clip(input, size: "160x120", frames: 5, audio: nil)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        // Everything after the first kilobyte (headers and track description) becomes noise.
        var state: UInt32 = 1
        for offset in 1024..<bytes.count {
            state = state &* 1_664_525 &+ 1_013_904_223
            bytes[offset] = UInt8(truncatingIfNeeded: state >> 24)
        }
        try bytes.write(to: URL(fileURLWithPath: input))
        let outcome = try Self.lutscale([input, "-o", output, "--scale", "2"])
        try Self.expectRefused(outcome, mentioning: "unknown size or pixel format", in: scratch, files: ["in.mkv"],
                               input: input, inputBytes: bytes)
    }

    // MARK: invalid options

    @Test(arguments: [
        (["--scale", "1"], "above 1"),
        (["--scale", "0.5"], "above 1"),
        (["--scale", "-2"], "above 1, not -2"),
        (["--scale", "0"], "above 1"),
        (["--scale", "two"], "'two' is invalid for '--scale"),
        (["--scale", "nan"], "above 1"),
        (["--size", "0x480"], "invalid for '--size"),
        (["--scale", "2", "--codec", "nosuchcodec"], "unknown encoder 'nosuchcodec'"),
        (["--scale", "2", "--model", "nosuchmodel"], "unknown model 'nosuchmodel'"),
        (["--scale", "2", "--model", "/nonexistent/model.lut"], "/nonexistent/model.lut"),
        // Sizes whose arithmetic would overflow Int (issue #20.1).
        (["--size", "9223372036854775807x2"], "too large"),
        (["--size", "2x9223372036854775807"], "too large"),
        (["--size", "9223372036854775807x9223372036854775807"], "too large"),
        (["--scale", "1e308"], "too large"),
        (["--stream-size", "0=9223372036854775807x3", "--scale", "2"], "too large"),
        (["--stream-scale", "0=1e308", "--scale", "2"], "too large"),
        // Misleading acceptances (issue #20.13): hexadecimal read as a number, a CRF the encoder would clamp.
        (["--scale", "0x10"], "'0x10' is invalid for '--scale"),
        (["--scale", "0X1p4"], "is invalid for '--scale"),
        (["--stream-scale", "0=0x10", "--scale", "2"], "'0=0x10' is invalid for '--stream-scale"),
        (["--scale", "2", "--crf", "63"], "--crf 63 is outside libx264's range 0...51 at 8 bits"),
        (["--scale", "2", "--crf", "0x10"], "is invalid for '--crf"),
    ])
    func invalidOption(arguments: [String], message: String) throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mp4")
        try Fixtures.clip(input, size: "64x48", frames: 2, audio: nil)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        let outcome = try Self.lutscale([input, "-o", scratch.path("out.mp4")] + arguments)
        try Self.expectRefused(outcome, mentioning: message, in: scratch, files: ["in.mp4"], input: input, inputBytes: bytes)
    }

    /// 100000x100000 is refused while planning, before any frame exists: with 3 GiB of address space the process
    /// still gets to say so (a 10-gigapixel plane would not fit).
    @Test func absurdSizeRefusedBeforeAllocating() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mp4")
        try Fixtures.clip(input, size: "64x48", frames: 2, audio: nil)
        let outcome = try Self.lutscale([input, "-o", scratch.path("out.mp4"), "--size", "100000x100000"],
                                        setup: "ulimit -v 3145728")
        try Self.expectRefused(outcome, mentioning: "too large", in: scratch, files: ["in.mp4"])
    }

    @Test func outputDirectoryMissing() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mp4")
        try Fixtures.clip(input, size: "64x48", frames: 2, audio: nil)
        let outcome = try Self.lutscale([input, "-o", scratch.path("no/such/dir/out.mp4"), "--scale", "2"])
        try Self.expectRefused(outcome, mentioning: "does not exist", in: scratch, files: ["in.mp4"])
    }

    /// The input as output, spelled several ways (relative ones from the scratch directory), is refused even
    /// with -y.
    @Test(arguments: ["x/clip.mp4", "x/../x/clip.mp4", "./x/./clip.mp4", "link.mp4", "hardlink.mp4", "/absolute"])
    func outputIsTheInput(spelling: String) throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path("x"), withIntermediateDirectories: false)
        let input = scratch.path("x/clip.mp4")
        try Fixtures.clip(input, size: "64x48", frames: 2, audio: nil)
        try FileManager.default.createSymbolicLink(atPath: scratch.path("link.mp4"), withDestinationPath: "x/clip.mp4")
        try FileManager.default.linkItem(atPath: input, toPath: scratch.path("hardlink.mp4"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        let output = spelling == "/absolute" ? input : spelling
        let outcome = try Self.lutscale(["x/clip.mp4", "-o", output, "--scale", "2", "-y"], directory: scratch.url)
        try Self.expectRefused(outcome, mentioning: "is the input", in: scratch, files: ["hardlink.mp4", "link.mp4", "x"],
                               input: input, inputBytes: bytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path("x")) == ["clip.mp4"])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: scratch.path("link.mp4")) == "x/clip.mp4")
    }

    @Test func existingOutputWithoutYesUntouched() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mp4"), output = scratch.path("out.mp4")
        try Fixtures.clip(input, size: "64x48", frames: 2, audio: nil)
        let kept = Data("precious".utf8)
        try kept.write(to: URL(fileURLWithPath: output))
        let outcome = try Self.lutscale([input, "-o", output, "--scale", "2"])
        try Self.expectRefused(outcome, mentioning: "pass -y", in: scratch, files: ["in.mp4", "out.mp4"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == kept)
    }

    // MARK: damaged model files

    /// A copy of the shipped x3 model, damaged by `damage` (which gets the bytes and the header length), with its
    /// checksum recomputed unless `keepChecksum`.
    static func damagedModel(_ damage: (inout [UInt8], Int) throws -> Void, keepChecksum: Bool = false) throws -> Data {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/lutscale/Models/lutscale-sdy-x3.lut")
        var bytes = [UInt8](try Data(contentsOf: shipped))
        let headerLength = bytes[12..<16].reversed().reduce(0) { $0 << 8 | Int($1) }
        try damage(&bytes, headerLength)
        if !keepChecksum, bytes.count >= 4 {
            let crc = crc32(bytes[..<(bytes.count - 4)])
            for i in 0..<4 { bytes[bytes.count - 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * i)) }
        }
        return Data(bytes)
    }

    /// CRC-32 (IEEE), bit by bit: a test-side reference independent of the engine's table-driven one.
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// Replaces the first `old` in the JSON header by `new` of the same length (so offsets stay valid).
    static func editHeader(_ bytes: inout [UInt8], _ headerLength: Int, _ old: String, _ new: String) throws {
        try #require(old.utf8.count == new.utf8.count)
        let header = String(decoding: bytes[16..<(16 + headerLength)], as: UTF8.self)
        let range = try #require(header.range(of: old), "\(old) not in the header")
        let at = 16 + header.utf8.distance(from: header.startIndex, to: range.lowerBound)
        bytes.replaceSubrange(at..<(at + new.utf8.count), with: Array(new.utf8))
    }

    @Test(arguments: ["magic", "truncated", "checksum", "outputs", "entries", "levels", "scale"])
    func damagedModelFile(kind: String) throws {
        let model: Data
        let message: String
        switch kind {
        case "magic":
            model = try Self.damagedModel { bytes, _ in bytes.replaceSubrange(0..<8, with: Array("LUTSCALX".utf8)) }
            message = "not a LUTScale model file"
        case "truncated":
            model = try Self.damagedModel({ bytes, _ in bytes.removeLast(bytes.count / 2) }, keepChecksum: true)
            message = "truncated"
        case "checksum":
            model = try Self.damagedModel({ bytes, _ in bytes[bytes.count / 2] ^= 0x40 }, keepChecksum: true)
            message = "checksum mismatch"
        case "outputs":
            model = try Self.damagedModel { try Self.editHeader(&$0, $1, "\"outputs\":9", "\"outputs\":4") }
            message = "outputs"
        case "entries":
            model = try Self.damagedModel { try Self.editHeader(&$0, $1, "\"entries\":28561", "\"entries\":28560") }
            message = "entries"
        case "levels":
            model = try Self.damagedModel { try Self.editHeader(&$0, $1, "43,", "13,") }
            message = "levels"
        default:
            model = try Self.damagedModel { try Self.editHeader(&$0, $1, "\"scale\":3", "\"scale\":5") }
            message = "scale"
        }
        let scratch = try Scratch()
        let input = scratch.path("in.mp4"), lut = scratch.path("bad.lut")
        try Fixtures.clip(input, size: "64x48", frames: 2, audio: nil)
        try model.write(to: URL(fileURLWithPath: lut))
        let outcome = try Self.lutscale([input, "-o", scratch.path("out.mp4"), "--scale", "3", "--model", lut])
        try Self.expectRefused(outcome, mentioning: "model \(lut): ", in: scratch, files: ["bad.lut", "in.mp4"])
        #expect(outcome.errors.contains(message), "\(outcome.errors)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: lut)) == model)
    }

    // MARK: faults

    /// A file-size limit (SIGXFSZ ignored, so writes fail with EFBIG) stands in for a full disk.
    @Test(arguments: ["out.mkv", "out.mp4"])
    func diskFullWhileWriting(name: String) throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mkv")
        try Fixtures.clip(input, size: "160x120", frames: 20, audio: nil)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        // 20 KiB: the output (about 50 KiB) cannot fit; the input is only read.
        let outcome = try Self.lutscale([input, "-o", scratch.path(name), "--scale", "2", "--preset", "ultrafast"],
                                        setup: "trap '' XFSZ; ulimit -f 20")
        try Self.expectRefused(outcome, mentioning: "File too large", in: scratch, files: ["in.mkv"],
                               input: input, inputBytes: bytes)
    }

    /// SIGINT or SIGTERM mid-run: the frames so far make a finished, playable file; exit 128 + the signal.
    @Test(arguments: [(SIGINT, "out.mp4"), (SIGTERM, "out.mkv"), (SIGHUP, "out.mp4"), (SIGQUIT, "out.mkv")])
    func signalFinishesAPlayableFile(signal: Int32, name: String) throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mkv"), output = scratch.path(name)
        try Fixtures.clip(input, size: "160x120", frames: 250, audio: "aac")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = [input, "-o", output, "--scale", "2", "--preset", "ultrafast"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Signal once frames are flowing (the first progress line).
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("frame ") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        kill(process.processIdentifier, signal)
        let rest = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: seen + rest, as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 128 + signal, "\(text)")
        #expect(text.contains("stopped by SIG"), "\(text)")
        let frames = try Self.frameCount(output)
        #expect(frames > 0 && frames < 250, "\(frames) frames")
        #expect(try Self.listing(scratch) == ["in.mkv", name].sorted())
    }
}

import Foundation

/// A temporary directory removed when the last reference goes.
public final class Scratch: Sendable {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("lutscale-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Test media made with the ffmpeg CLI, and facts about files read back with ffprobe.
public enum Fixtures {
    public struct ToolResult: Sendable {
        public let status: Int32
        public let output: String
        public let errors: String
    }

    /// Runs a program found on PATH and collects what it prints.
    public static func run(_ tool: String, _ arguments: [String]) throws -> ToolResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        return try collect(process)
    }

    public static func collect(_ process: Process) throws -> ToolResult {
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes to the end before waiting so that a chatty child cannot block on a full pipe.
        let errors = ReadAll(err)
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ToolResult(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                          errors: errors.wait())
    }

    public static func ffmpeg(_ arguments: [String]) throws {
        let result = try run("ffmpeg", ["-nostdin", "-v", "error", "-y"] + arguments)
        guard result.status == 0 else { throw FixtureFailure("ffmpeg \(arguments.joined(separator: " ")): \(result.errors)") }
    }

    public static func ffprobe(_ arguments: [String]) throws -> String {
        let result = try run("ffprobe", ["-v", "error"] + arguments)
        guard result.status == 0 else { throw FixtureFailure("ffprobe \(arguments.joined(separator: " ")): \(result.errors)") }
        return result.output
    }

    /// A testsrc2 clip: `frames` frames of `size` at `rate` fps in `pixelFormat`, with a sine tone unless `audio`
    /// is nil; `extra` goes before the output name (codec options, colour tags, filters).
    public static func clip(_ path: String, size: String = "320x240", frames: Int = 10, rate: Int = 25,
                     pixelFormat: String = "yuv420p", audio: String? = "aac", extra: [String] = []) throws {
        var arguments = ["-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate)"]
        if audio != nil { arguments += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"] }
        arguments += ["-frames:v", "\(frames)", "-pix_fmt", pixelFormat]
        if !extra.contains("-c:v") { arguments += ["-c:v", "libx264", "-preset", "ultrafast"] }
        if let audio {
            arguments += ["-c:a", audio, "-t", String(format: "%.3f", Double(frames) / Double(rate))]
        }
        try ffmpeg(arguments + extra + [path])
    }

    /// The video stream's properties as ffprobe names them (width, height, pix_fmt, color_range, ...), with the
    /// decoded frame count as nb_read_frames.
    public static func videoStream(_ path: String) throws -> [String: String] {
        let text = try ffprobe(["-count_frames", "-select_streams", "v:0", "-show_entries",
                                "stream=codec_name,width,height,pix_fmt,color_range,color_space,color_transfer,color_primaries,chroma_location,nb_read_frames",
                                "-of", "default=noprint_wrappers=1", path])
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        return fields
    }

    /// Every video frame's presentation time, in decoding output order.
    public static func frameTimes(_ path: String) throws -> [String] {
        try ffprobe(["-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0", path])
            .split(separator: "\n").map { String($0.split(separator: ",")[0]) }
    }

    /// The packets of the streams `selector` picks (e.g. "a", "s"), payload bytes and timing, without file
    /// positions: equal for bit-identical streams in different files.
    public static func packets(_ path: String, streams selector: String) throws -> [String] {
        try ffprobe(["-select_streams", selector, "-show_packets", "-show_data", path])
            .split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("pos=") && !$0.hasPrefix("stream_index=") }
    }

    /// An MKV with what must survive besides the picture: file title and two chapters, a French audio stream with
    /// the comment disposition, a forced ASS subtitle stream and a font attachment.
    public static func richMatroska(_ path: String, in scratch: Scratch) throws {
        let chapters = scratch.path("chapters.txt"), subtitles = scratch.path("subs.ass"), font = scratch.path("font.ttf")
        try """
            ;FFMETADATA1
            title=Film title
            [CHAPTER]
            TIMEBASE=1/1000
            START=0
            END=200
            title=Opening
            [CHAPTER]
            TIMEBASE=1/1000
            START=200
            END=400
            title=Ending

            """.write(toFile: chapters, atomically: true, encoding: .utf8)
        try """
            [Script Info]
            ScriptType: v4.00+

            [Events]
            Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
            Dialogue: 0,0:00:00.00,0:00:00.30,Default,,0,0,0,,Hello

            """.write(toFile: subtitles, atomically: true, encoding: .utf8)
        try Data((0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: URL(fileURLWithPath: font))
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-f", "lavfi", "-i", "sine=sample_rate=48000",
                    "-i", subtitles, "-i", chapters, "-map", "0:v", "-map", "1:a", "-map", "2:s", "-map_metadata", "3",
                    "-map_chapters", "3", "-frames:v", "10", "-t", "0.4", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
                    "-c:s", "ass", "-attach", font, "-metadata:s:t", "mimetype=application/x-truetype-font",
                    "-metadata:s:a", "language=fra", "-metadata:s:v", "title=Camera", "-disposition:s:0", "forced",
                    "-disposition:a:0", "default+comment", path])
    }

    /// The x265 parameters of `hdr10` (mastering display and content light level in the bitstream, as SEI).
    public static let hdr10Parameters = "log-level=error:master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):max-cll=1000,400"

    /// A 10-bit HEVC HDR10 clip (PQ, BT.2020) whose mastering display and light level are in the bitstream only.
    public static func hdr10(_ path: String) throws {
        try clip(path, size: "96x64", frames: 3, pixelFormat: "yuv420p10le", audio: nil,
                 extra: ["-c:v", "libx265", "-x265-params", hdr10Parameters, "-color_primaries", "bt2020",
                         "-color_trc", "smpte2084", "-colorspace", "bt2020nc"])
    }

    /// An MP4 whose track header turns the picture 90 degrees, as phones write: ffmpeg 5.1 cannot set it, so the
    /// matrix of the `tkhd` box is patched.
    public static func rotatedMP4(_ path: String) throws {
        try clip(path, size: "96x64", frames: 3, audio: nil)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let box = bytes.range(of: Data("tkhd".utf8))?.lowerBound else { throw FixtureFailure("\(path): no tkhd box") }
        // After the type: version and flags (4), times and track fields (20 for version 0, 32 for 1), reserved (8),
        // layer, group, volume, reserved (8), then nine big-endian 32-bit matrix entries.
        let matrix = box + 4 + 4 + (bytes[box + 4] == 0 ? 20 : 32) + 8 + 8
        let values: [Int32] = [0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x4000_0000]
        bytes.replaceSubrange(matrix..<matrix + 36, with: values.flatMap { value in withUnsafeBytes(of: value.bigEndian) { Array($0) } })
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    /// A PNG carrying an ICC profile (`profile`'s bytes, not checked by decoders) in an iCCP chunk, which the ffmpeg
    /// CLI cannot add: the chunk is inserted after IHDR, its profile in a stored (uncompressed) zlib stream.
    public static func pngWithICCProfile(_ path: String, profile: [UInt8]) throws {
        try clip(path, size: "32x24", frames: 1, pixelFormat: "rgb24", audio: nil, extra: ["-c:v", "png"])
        func bigEndian(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
        func crc32(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return ~crc
        }
        var (a, b): (UInt32, UInt32) = (1, 0)
        for byte in profile { (a, b) = ((a + UInt32(byte)) % 65521, (b + (a + UInt32(byte)) % 65521) % 65521) }
        let length = UInt16(profile.count)
        let zlib = [0x78, 0x01, 0x01, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)] + profile + bigEndian(b << 16 | a)
        let body = Array("iCCP".utf8) + Array("test\0".utf8) + [0] + zlib
        var png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // Signature (8) and the IHDR chunk (4 + 4 + 13 + 4).
        png.insert(contentsOf: bigEndian(UInt32(body.count - 4)) + body + bigEndian(crc32(body)), at: 33)
        try Data(png).write(to: URL(fileURLWithPath: path))
    }

    /// ffprobe's compact lines (`stream|index=0|...`, `chapter|...`, `format|...`) with tags and dispositions.
    public static func describe(_ path: String) throws -> [String] {
        try ffprobe(["-show_chapters", "-show_format", "-show_streams", "-of", "compact", path]).split(separator: "\n").map(String.init)
    }

    /// The side data ffprobe finds on the first video stream and on its first frame, by type name.
    public static func sideDataTypes(_ path: String) throws -> (stream: [String], frame: [String]) {
        func types(_ text: String) -> [String] {
            text.split(separator: "\n").filter { $0.hasPrefix("side_data_type=") }.map { String($0.dropFirst(15)) }
        }
        return (try types(ffprobe(["-select_streams", "v:0", "-show_streams", path])),
                try types(ffprobe(["-select_streams", "v:0", "-show_frames", "-read_intervals", "%+#1", path])))
    }

    /// The repository's sample clip: 1280x720 yuv444p H.264 with MP3 audio, 280 frames.
    public static var sample: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Samples/cockatoo.mp4").path
    }
}

/// A fixture that could not be made or read: what the tool said.
public struct FixtureFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Reads a pipe to its end on another thread.
private final class ReadAll: @unchecked Sendable {
    // `data` is written once by the reader thread before `done` is signalled, and read only after.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}

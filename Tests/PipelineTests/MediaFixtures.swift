// Shared by the MediaTests, PipelineTests and LUTScaleTests targets (the other two link to this file).
import Foundation
import Testing

/// A temporary directory removed when the last reference goes.
final class Scratch: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("lutscale-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Test media made with the ffmpeg CLI, and facts about files read back with ffprobe.
enum Fixtures {
    struct ToolResult {
        let status: Int32
        let output: String
        let errors: String
    }

    /// Runs a program found on PATH and collects what it prints.
    static func run(_ tool: String, _ arguments: [String]) throws -> ToolResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        return try collect(process)
    }

    static func collect(_ process: Process) throws -> ToolResult {
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

    static func ffmpeg(_ arguments: [String]) throws {
        let result = try run("ffmpeg", ["-nostdin", "-v", "error", "-y"] + arguments)
        try #require(result.status == 0, "ffmpeg \(arguments.joined(separator: " ")): \(result.errors)")
    }

    static func ffprobe(_ arguments: [String]) throws -> String {
        let result = try run("ffprobe", ["-v", "error"] + arguments)
        try #require(result.status == 0, "ffprobe \(arguments.joined(separator: " ")): \(result.errors)")
        return result.output
    }

    /// A testsrc2 clip: `frames` frames of `size` at `rate` fps in `pixelFormat`, with a sine tone unless `audio`
    /// is nil; `extra` goes before the output name (codec options, colour tags, filters).
    static func clip(_ path: String, size: String = "320x240", frames: Int = 10, rate: Int = 25,
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
    static func videoStream(_ path: String) throws -> [String: String] {
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
    static func frameTimes(_ path: String) throws -> [String] {
        try ffprobe(["-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0", path])
            .split(separator: "\n").map { String($0.split(separator: ",")[0]) }
    }

    /// The packets of the streams `selector` picks (e.g. "a", "s"), payload bytes and timing, without file
    /// positions: equal for bit-identical streams in different files.
    static func packets(_ path: String, streams selector: String) throws -> [String] {
        try ffprobe(["-select_streams", selector, "-show_packets", "-show_data", path])
            .split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("pos=") && !$0.hasPrefix("stream_index=") }
    }

    /// The repository's sample clip: 1280x720 yuv444p H.264 with MP3 audio, 280 frames.
    static var sample: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Samples/cockatoo.mp4").path
    }
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

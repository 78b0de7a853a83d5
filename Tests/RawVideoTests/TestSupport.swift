import Foundation
import Testing
import VideoCore
@testable import RawVideo

/// A child process (the real `ffmpeg` CLI) with pipes the tests read and write through raw file descriptors.
final class Child {
    let process = Process()
    let stdinPipe = Pipe()
    let stdoutPipe = Pipe()
    private let stderrFile: URL

    /// Starts `tool` from PATH with `arguments`; stderr goes to a temporary file (no pipe to drain).
    init(_ tool: String, _ arguments: [String]) throws {
        stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent("rawvideo-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        try process.run()
    }

    deinit { try? FileManager.default.removeItem(at: stderrFile) }

    var stdinFD: Int32 { stdinPipe.fileHandleForWriting.fileDescriptor }
    var stdoutFD: Int32 { stdoutPipe.fileHandleForReading.fileDescriptor }

    func closeStdin() { try? stdinPipe.fileHandleForWriting.close() }

    /// Waits for the exit; throws with ffmpeg's own message on failure.
    func finish() throws {
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let log = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
            throw ChildFailed(message: "\(process.arguments ?? []) exited \(process.terminationStatus): \(log)")
        }
    }
}

struct ChildFailed: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Collects everything a file descriptor delivers until its end, on a thread of its own, so that a child
/// writing to us never blocks while we write to another child.
final class Drain: @unchecked Sendable {
    // Written only by the draining thread before `done` is signalled; read only after waiting on it.
    private var bytes: [UInt8] = []
    private let done = DispatchSemaphore(value: 0)

    init(fileDescriptor: Int32) {
        Thread.detachNewThread { [self] in
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    bytes.append(contentsOf: chunk[0..<count])
                } else if count == 0 || errno != EINTR {
                    break
                }
            }
            done.signal()
        }
    }

    func wait() -> [UInt8] {
        done.wait()
        return bytes
    }
}

/// Runs `ffmpeg` with `arguments` (stdin closed at once) and returns its stdout.
func ffmpegOutput(_ arguments: [String]) throws -> [UInt8] {
    let child = try Child("ffmpeg", ["-nostdin", "-v", "error"] + arguments)
    child.closeStdin()
    let output = Drain(fileDescriptor: child.stdoutFD).wait()
    try child.finish()
    return output
}

/// Runs `tool` (ffmpeg, ffprobe) with `arguments`, feeding `input` on stdin, and returns its stdout.
func toolOutput(_ arguments: [String], input: [UInt8], tool: String = "ffmpeg") throws -> [UInt8] {
    let child = try Child(tool, ["-v", "error"] + arguments)
    let drain = Drain(fileDescriptor: child.stdoutFD)
    var sink = FileDescriptorByteSink(fileDescriptor: child.stdinFD)
    try input.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count { done += try sink.write(UnsafeRawBufferPointer(rebasing: raw[done...])) }
    }
    child.closeStdin()
    let output = drain.wait()
    try child.finish()
    return output
}

/// The ffmpeg test pattern used throughout: `frames` frames of testsrc2 at 5 fps.
func testPatternInput(size: String = "64x48", frames: Int = 7) -> [String] {
    ["-f", "lavfi", "-i", "testsrc2=size=\(size):rate=5", "-frames:v", String(frames)]
}

/// The frame lines of an ffmpeg `framemd5` listing (comments dropped, they name the muxer's time base).
func frameHashes(_ framemd5: [UInt8]) -> [String] {
    String(decoding: framemd5, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
}

/// Reads every frame of a y4m byte string in memory; the samples of each frame, planes concatenated.
func readAllY4M(_ bytes: [UInt8], readSize: Int = .max) throws -> (header: Y4MHeader, frames: [[Int]]) {
    let reader = try Y4MReader(source: MemoryByteSource(bytes, maxReadSize: readSize), bufferSize: 4096)
    let planes = reader.format.makePlaneBuffers()
    var frames: [[Int]] = []
    while try reader.readFrame(into: planes) == .frame {
        frames.append(planes.flatMap(\.samples))
    }
    return (reader.header, frames)
}

/// A stream written by our writer with a deterministic pattern, for tests that need no ffmpeg.
func syntheticY4M(format: RawVideoFormat, frames: Int, extensions: [String] = []) throws -> [UInt8] {
    let header = Y4MHeader(format: format, frameRate: Rational(25, 1), interlacing: .progressive,
                           pixelAspect: Rational(1, 1), extensions: extensions)
    let writer = try Y4MWriter(sink: MemoryByteSink(), header: header)
    let planes = format.makePlaneBuffers()
    for frame in 0..<frames {
        fillPattern(planes, seed: frame)
        try writer.writeFrame(planes)
    }
    try writer.finish()
    return writer.sink.bytes
}

/// Writes a deterministic, frame-dependent pattern into every sample (within the planes' bit depth).
func fillPattern(_ planes: [PlaneBuffer], seed: Int) {
    for (index, plane) in planes.enumerated() {
        let view = plane.mutableView
        for y in 0..<view.size.height {
            for x in 0..<view.size.width {
                let value = (x * 7 + y * 13 + seed * 31 + index * 101) & view.maxValue
                if view.bytesPerSample == 2 {
                    view.base.storeBytes(of: UInt16(value), toByteOffset: y * view.bytesPerRow + 2 * x, as: UInt16.self)
                } else {
                    view.base.storeBytes(of: UInt8(value), toByteOffset: y * view.bytesPerRow + x, as: UInt8.self)
                }
            }
        }
    }
}

/// The write end of a pipe whose read end is already closed, with SIGPIPE ignored: writes fail with EPIPE.
func closedPipeWriteEnd() throws -> Int32 {
    signal(SIGPIPE, SIG_IGN)
    var fds: [Int32] = [0, 0]
    try #require(pipe(&fds) == 0)
    close(fds[0])
    return fds[1]
}

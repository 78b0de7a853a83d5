import Foundation
import TestSupport
import Testing

/// Bad input and hostile consumers on the stdin/stdout path: clear refusals, no crash, bounded memory.
@Suite struct PipeRobustnessTests {
    @Test func emptyStdinIsRefusedClearly() throws {
        let scratch = try Scratch()
        let result = try StreamTests.shell(#""$LUTSCALE" - -o - --scale 2 < /dev/null"#, in: scratch)
        #expect(result.status != 0 && result.status < 128, "status \(result.status)")
        #expect(result.errors.contains("lutscale: error:") && result.errors.lowercased().contains("empty"), "\(result.errors)")
        #expect(result.output.isEmpty)
    }

    @Test(arguments: [
        "YUV4MPEG2 H48 F25:1\nFRAME\n",           // no width
        "YUV4MPEG2 W64 H48 F25:0\nFRAME\n",       // a rate with a zero denominator
        "YUV4MPEG2 W64 H48 F25:1 Cxyz\nFRAME\n",  // an unknown colour space
        "YUV4MPEG2 W100000 H100000 F25:1\n",      // absurd size: refused before allocating
    ])
    func malformedY4MHeaderIsRefused(header: String) throws {
        let scratch = try Scratch()
        try Data(header.utf8).write(to: URL(fileURLWithPath: scratch.path("bad.y4m")))
        let result = try StreamTests.shell(#""$LUTSCALE" - -o - --scale 2 < bad.y4m"#, in: scratch)
        #expect(result.status != 0 && result.status < 128, "status \(result.status): \(result.errors)")
        #expect(result.errors.contains("lutscale: error:"), "\(result.errors)")
        #expect(result.output.isEmpty)
    }

    /// A consumer that reads slowly: backpressure must reach the reader, so lutscale's memory stays far below
    /// what buffering the whole output would take (150 frames of 1920x1080 4:2:0 = 466 MB).
    @Test func slowConsumerKeepsMemoryBounded() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.y4m")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-frames:v", "150", "-pix_fmt", "yuv420p",
                             "-f", "yuv4mpegpipe", input])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = ["-", "-o", "-", "--scale", "3", "--model", "bicubic", "--quiet"]
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: input))
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var peakKB = 0
        var received = 0
        let reader = out.fileHandleForReading
        while true {
            let chunk = reader.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            received += chunk.count
            if let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
               let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
               let kb = Int(line.split(separator: " ").dropFirst().first ?? "") {
                peakKB = max(peakKB, kb)
            }
            usleep(15_000)  // about 60 MB/s: far slower than lutscale writes
        }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let frameBytes = 1920 * 1080 * 3 / 2
        #expect(received > 150 * frameBytes, "\(received) bytes")
        #expect(peakKB > 0 && peakKB < 200_000, "peak RSS \(peakKB) kB")
    }
}

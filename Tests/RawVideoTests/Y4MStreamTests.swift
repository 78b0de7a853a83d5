import Foundation
import Testing
import VideoCore
@testable import RawVideo

@Suite struct Y4MStreamTests {
    private let format420 = try! RawVideoFormat(width: 9, height: 5, pixelFormat: .yuv420p)

    private func readError(_ bytes: [UInt8]) -> RawVideoError? {
        do {
            _ = try readAllY4M(bytes)
            return nil
        } catch let error as RawVideoError {
            return error
        } catch {
            Issue.record("unexpected error type \(error)")
            return nil
        }
    }

    @Test func shortReadsAndWritesGiveTheSameStream() throws {
        for format in [format420, try RawVideoFormat(width: 7, height: 3, pixelFormat: .yuv444p10le)] {
            let stream = try syntheticY4M(format: format, frames: 4, extensions: ["TEST=1"])
            let whole = try readAllY4M(stream)
            #expect(whole.frames.count == 4)
            for size in [1, 2, 7, 4096] {
                let pieces = try readAllY4M(stream, readSize: size)
                #expect(pieces.frames == whole.frames)
                #expect(pieces.header == whole.header)
            }
            // A sink taking 3 bytes per call must still receive the full stream.
            let reader = try Y4MReader(source: MemoryByteSource(stream), bufferSize: 4096)
            let writer = try Y4MWriter(sink: MemoryByteSink(maxWriteSize: 3), header: reader.header, bufferSize: 4096)
            let planes = reader.format.makePlaneBuffers()
            while try reader.readFrame(into: planes) == .frame {
                try writer.writeFrame(planes)
            }
            try writer.finish()
            #expect(writer.sink.bytes == stream)
        }
    }

    @Test func framesLargerThanTheBufferAreReadDirectly() throws {
        // 200x100 4:4:4 16-bit planes are 40000 bytes: bigger than the 4096-byte buffer used here.
        let format = try RawVideoFormat(width: 200, height: 100, pixelFormat: RawPixelFormat(ffmpegName: "yuv444p16le"))
        let stream = try syntheticY4M(format: format, frames: 3)
        for size in [999, .max] {
            let frames = try readAllY4M(stream, readSize: size).frames
            let planes = format.makePlaneBuffers()
            fillPattern(planes, seed: 2)
            #expect(frames.count == 3)
            #expect(frames[2] == planes.flatMap(\.samples))
        }
    }

    @Test func frameParametersAreSkipped() throws {
        var stream = Array("YUV4MPEG2 W2 H2 Cmono\nFRAME Ib XFOO=1\n".utf8) + [1, 2, 3, 4]
        stream += Array("FRAME\n".utf8) + [5, 6, 7, 8]
        #expect(try readAllY4M(stream).frames == [[1, 2, 3, 4], [5, 6, 7, 8]])
    }

    @Test func headerOnlyIsZeroFrames() throws {
        let writer = try Y4MWriter(sink: MemoryByteSink(), header: Y4MHeader(format: format420))
        try writer.finish()
        #expect(try readAllY4M(writer.sink.bytes).frames.isEmpty)
    }

    @Test func emptyAndTruncatedHeaders() {
        #expect(readError([]) == .emptyInput)
        #expect(readError(Array("YUV4MPEG2 W8 H".utf8)) == .truncatedHeader(byteCount: 14))
        #expect(readError(Array("GIF89a".utf8)) == .badMagic(found: "GIF89a"))
        #expect(readError(Array("RIFF....WAVEfmt ".utf8) + [0, 0, 10]) == .badMagic(found: "RIFF....WAVEfmt \\x00\\x00"))
        // No newline within the header limit: refused once the limit is reached, whatever follows.
        let endless = Array("YUV4MPEG2 W8 H6 ".utf8) + [UInt8](repeating: UInt8(ascii: "X"), count: 10_000)
        #expect(readError(endless) == .headerTooLong(limit: Y4MHeader.maxLength))
        #expect(readError([UInt8](repeating: 0, count: 10_000)) == .badMagic(found: String(repeating: "\\x00", count: 24) + "..."))
    }

    @Test func streamShorterThanOneFrame() throws {
        let header = Array("YUV4MPEG2 W9 H5 C420jpeg\n".utf8)
        let error = readError(header + Array("FRAME\n".utf8) + [UInt8](repeating: 9, count: 10))
        let expected = format420.frameByteCount
        #expect(error == .truncatedFrame(frame: 0, offset: header.count, expectedBytes: expected, missingBytes: expected - 10))
        #expect(readError(header + Array("FRA".utf8)) == .truncatedFrameHeader(frame: 0, offset: header.count))
        #expect(readError(header + Array("FRAME".utf8)) == .truncatedFrameHeader(frame: 0, offset: header.count))
    }

    @Test func truncatedLastFrameNamesItsOffset() throws {
        let stream = try syntheticY4M(format: format420, frames: 5)
        let headerLength = stream.firstIndex(of: 0x0A)! + 1
        let frameLength = 6 + format420.frameByteCount
        let reader = try Y4MReader(source: MemoryByteSource(Array(stream.dropLast(7))), bufferSize: 4096)
        let planes = format420.makePlaneBuffers()
        for _ in 0..<4 { #expect(try reader.readFrame(into: planes) == .frame) }
        let offset = headerLength + 4 * frameLength
        let expected = RawVideoError.truncatedFrame(frame: 4, offset: offset, expectedBytes: format420.frameByteCount, missingBytes: 7)
        #expect(throws: expected) { try reader.readFrame(into: planes) }
        #expect(expected.description.contains("frame 4 starting at byte \(offset)"))
        #expect(expected.description.contains("7 of its \(format420.frameByteCount) sample bytes are missing"))
        // The failure sticks: a damaged stream is not resynchronised.
        #expect(throws: expected) { try reader.readFrame(into: planes) }
    }

    @Test func garbageWhereFrameShouldStart() throws {
        var stream = try syntheticY4M(format: format420, frames: 4)
        let headerLength = stream.firstIndex(of: 0x0A)! + 1
        let frameLength = 6 + format420.frameByteCount
        let third = headerLength + 2 * frameLength
        stream[third + 4] = UInt8(ascii: "X")
        #expect(readError(stream) == .badFrameMarker(frame: 2, offset: third, found: "FRAMX"))
        stream[third + 4] = UInt8(ascii: "E")
        stream.insert(UInt8(ascii: "S"), at: third + 5)
        guard case .badFrameMarker(frame: 2, offset: third, _)? = readError(stream) else {
            Issue.record("FRAMES was taken for FRAME")
            return
        }
        let endless = Array("YUV4MPEG2 W2 H2 Cmono\nFRAME ".utf8) + [UInt8](repeating: 0x41, count: 5000)
        #expect(readError(endless) == .frameHeaderTooLong(frame: 0, offset: 22, limit: 1024))
        #expect(readError(Array("YUV4MPEG2 W2 H2 Cmono\n\n".utf8)) == .badFrameMarker(frame: 0, offset: 22, found: ""))
    }

    @Test func planesMustMatchTheStream() throws {
        let stream = try syntheticY4M(format: format420, frames: 1)
        let reader = try Y4MReader(source: MemoryByteSource(stream))
        let wrong = try RawVideoFormat(width: 9, height: 5, pixelFormat: .yuv444p).makePlaneBuffers()
        #expect(throws: RawVideoError.self) { try reader.readFrame(into: wrong) }
        #expect(throws: RawVideoError.self) { try reader.readFrame(into: [wrong[0]]) }
        let deep = try RawVideoFormat(width: 9, height: 5, pixelFormat: .yuv420p10le).makePlaneBuffers()
        #expect(throws: RawVideoError.self) { try reader.readFrame(into: deep) }
        // A refused call consumed nothing: the right planes still get the frame.
        #expect(try reader.readFrame(into: format420.makePlaneBuffers()) == .frame)
    }

    #if os(Linux)
    @Test func readsAPipeInterruptedBySignals() throws {
        // A handler installed without SA_RESTART makes a blocked read(2) fail with EINTR.
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0
        sigemptyset(&action.sa_mask)
        var previous = sigaction()
        #expect(sigaction(SIGUSR1, &action, &previous) == 0)
        defer { sigaction(SIGUSR1, &previous, nil) }

        let stream = try syntheticY4M(format: format420, frames: 3)
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let result = ResultSlot()
        let started = ThreadSlot()
        let readEnd = fds[0]
        Thread.detachNewThread {
            // Threads started from the test runner's pool inherit a mask that blocks SIGUSR1.
            var mask = sigset_t()
            sigemptyset(&mask)
            sigaddset(&mask, SIGUSR1)
            pthread_sigmask(SIG_UNBLOCK, &mask, nil)
            started.set(pthread_self())
            result.set(Result { try readAllY4M(fdStream: readEnd) })
        }
        // Signals only to the reading thread (others in this process may be in system calls of their own);
        // every one that arrives while it waits in read(2) interrupts that read.
        let readerThread = started.wait()
        for _ in 0..<5 {
            usleep(20_000)
            pthread_kill(readerThread, SIGUSR1)
        }
        var sink = FileDescriptorByteSink(fileDescriptor: fds[1])
        try stream.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count { done += try sink.write(UnsafeRawBufferPointer(rebasing: raw[done...])) }
        }
        close(fds[1])
        let frames = try result.wait().get()
        close(fds[0])
        #expect(frames == (try readAllY4M(stream).frames))
    }
    #endif

    @Test func readerLearnsTheFormatHereAndReadsOnAnotherThread() throws {
        // The pipeline's pattern: open on one thread (to size frames), hand over to a stage thread.
        let stream = try syntheticY4M(format: format420, frames: 3)
        let reader = try Y4MReader(source: MemoryByteSource(stream, maxReadSize: 100))
        let planes = reader.format.makePlaneBuffers()
        let result = ResultSlot()
        Thread.detachNewThread {
            result.set(Result {
                var frames: [[Int]] = []
                while try reader.readFrame(into: planes) == .frame { frames.append(planes.flatMap(\.samples)) }
                return frames
            })
        }
        #expect(try result.wait().get() == (try readAllY4M(stream).frames))
    }

    @Test func writerReportsAClosedConsumer() throws {
        let fd = try closedPipeWriteEnd()
        defer { close(fd) }
        let writer = try Y4MWriter(fileDescriptor: fd, header: Y4MHeader(format: format420))
        let planes = format420.makePlaneBuffers()
        #expect(throws: RawVideoError.consumerClosed) { try writer.writeFrame(planes) }
        #expect(throws: RawVideoError.consumerClosed) { try writer.writeFrame(planes) }
        #expect(throws: RawVideoError.consumerClosed) { try writer.finish() }
        #expect(writer.framesWritten == 0)
    }

    @Test func writerStopsWhenAReaderQuitsEarly() throws {
        signal(SIGPIPE, SIG_IGN)
        // `head` reads 1000 bytes and exits while frames keep coming: like a player closed mid-stream.
        let head = try Child("head", ["-c", "1000"])
        let drain = Drain(fileDescriptor: head.stdoutFD)
        let format = try RawVideoFormat(width: 64, height: 48, pixelFormat: .yuv420p)
        let writer = try Y4MWriter(fileDescriptor: head.stdinFD, header: Y4MHeader(format: format))
        let planes = format.makePlaneBuffers()
        var outcome: RawVideoError?
        for frame in 0..<100_000 {
            fillPattern(planes, seed: frame)
            do {
                try writer.writeFrame(planes)
            } catch {
                outcome = error
                break
            }
        }
        #expect(outcome == .consumerClosed)
        #expect(drain.wait().count == 1000)
        head.closeStdin()
        try head.finish()
    }
}

/// A value handed from a test's helper thread to the test.
final class ResultSlot: @unchecked Sendable {
    // Set once by the helper thread before `ready` is signalled, read after waiting on it.
    private var value: Result<[[Int]], any Error>?
    private let ready = DispatchSemaphore(value: 0)

    func set(_ result: Result<[[Int]], any Error>) {
        value = result
        ready.signal()
    }

    func wait() -> Result<[[Int]], any Error> {
        ready.wait()
        return value!
    }
}

/// A thread's id, handed to the test that signals it.
final class ThreadSlot: @unchecked Sendable {
    // Set once before `ready` is signalled, read after waiting on it.
    private var thread: pthread_t?
    private let ready = DispatchSemaphore(value: 0)

    func set(_ value: pthread_t) {
        thread = value
        ready.signal()
    }

    func wait() -> pthread_t {
        ready.wait()
        return thread!
    }
}

/// Every frame of a y4m stream read from a file descriptor.
func readAllY4M(fdStream fd: Int32) throws -> [[Int]] {
    let reader = try Y4MReader(fileDescriptor: fd, bufferSize: 4096)
    let planes = reader.format.makePlaneBuffers()
    var frames: [[Int]] = []
    while try reader.readFrame(into: planes) == .frame {
        frames.append(planes.flatMap(\.samples))
    }
    return frames
}

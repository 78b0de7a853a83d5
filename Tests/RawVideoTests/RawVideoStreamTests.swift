import Foundation
import Testing
import VideoCore
@testable import RawVideo

@Suite struct RawVideoStreamTests {
    private let format = try! RawVideoFormat(width: 5, height: 3, pixelFormat: .yuv422p10le)

    private func frames(_ count: Int) -> [UInt8] {
        let writer = RawVideoWriter(sink: MemoryByteSink(), format: format, bufferSize: 4096)
        let planes = format.makePlaneBuffers()
        for frame in 0..<count {
            fillPattern(planes, seed: frame)
            try! writer.writeFrame(planes)
        }
        return writer.sink.bytes
    }

    @Test func emptyInputIsZeroFrames() throws {
        let reader = RawVideoReader(source: MemoryByteSource([]), format: format)
        #expect(try reader.readFrame(into: format.makePlaneBuffers()) == .endOfStream)
        #expect(reader.framesRead == 0)
    }

    @Test func readsEveryFrameThenEnds() throws {
        let bytes = frames(4)
        #expect(bytes.count == 4 * format.frameByteCount)
        let reader = RawVideoReader(source: MemoryByteSource(bytes, maxReadSize: 5), format: format, bufferSize: 4096)
        let planes = format.makePlaneBuffers()
        let expected = format.makePlaneBuffers()
        for frame in 0..<4 {
            #expect(try reader.readFrame(into: planes) == .frame)
            fillPattern(expected, seed: frame)
            #expect(planes.flatMap(\.samples) == expected.flatMap(\.samples))
        }
        #expect(try reader.readFrame(into: planes) == .endOfStream)
        #expect(reader.offset == bytes.count)
    }

    @Test func shortLastFrameNamesOffsetAndMissingBytes() throws {
        let size = format.frameByteCount
        let reader = RawVideoReader(source: MemoryByteSource(Array(frames(3).dropLast(11))), format: format)
        let planes = format.makePlaneBuffers()
        #expect(try reader.readFrame(into: planes) == .frame)
        #expect(try reader.readFrame(into: planes) == .frame)
        let expected = RawVideoError.truncatedFrame(frame: 2, offset: 2 * size, expectedBytes: size, missingBytes: 11)
        #expect(throws: expected) { try reader.readFrame(into: planes) }
        #expect(expected.description.contains("byte \(2 * size)") && expected.description.contains("11 of"))
    }

    @Test func inputShorterThanOneFrame() {
        let reader = RawVideoReader(source: MemoryByteSource([1, 2, 3]), format: format)
        let size = format.frameByteCount
        #expect(throws: RawVideoError.truncatedFrame(frame: 0, offset: 0, expectedBytes: size, missingBytes: size - 3)) {
            try reader.readFrame(into: format.makePlaneBuffers())
        }
    }

    @Test func writerReportsAClosedConsumer() throws {
        let fd = try closedPipeWriteEnd()
        defer { close(fd) }
        let writer = RawVideoWriter(fileDescriptor: fd, format: format)
        #expect(throws: RawVideoError.consumerClosed) { try writer.writeFrame(format.makePlaneBuffers()) }
    }
}

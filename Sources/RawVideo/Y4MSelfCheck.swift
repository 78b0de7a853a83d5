import VideoCore

/// A round-trip self-check over arbitrary bytes, shared by the mutation-fuzz test and the libFuzzer target
/// (`Tools/Fuzz/Y4MFuzz`): reads `bytes` as y4m into fresh planes, writes every frame read back out, reads that
/// output again and requires the same format and samples.
///
/// Any input must end in frames, a clean end or a thrown error. A difference between the two passes is a bug in
/// this module, not bad input, and traps so that a fuzzer reports it.
public enum Y4MSelfCheck {
    public struct Outcome: Equatable, Sendable {
        /// Frames read before the end or the error.
        public var frames: Int
        /// Why reading stopped early; `nil` for a clean end.
        public var error: RawVideoError?
    }

    /// `maxDimension` keeps the planes a hostile header can ask for small; `readSize` and `writeSize` cap each
    /// transfer, emulating the short reads and writes of pipes.
    public static func run(_ bytes: [UInt8], maxDimension: Int = 64, readSize: Int = 4096,
                           writeSize: Int = 4096) -> Outcome {
        let reader: Y4MReader<MemoryByteSource>
        do throws(RawVideoError) {
            reader = try Y4MReader(source: MemoryByteSource(bytes, maxReadSize: readSize),
                                   maxDimension: maxDimension, bufferSize: 4096)
        } catch {
            return Outcome(frames: 0, error: error)
        }
        let planes = reader.format.makePlaneBuffers()
        let writer: Y4MWriter<MemoryByteSink>
        do throws(RawVideoError) {
            writer = try Y4MWriter(sink: MemoryByteSink(maxWriteSize: writeSize), header: reader.header, bufferSize: 4096)
        } catch {
            // Only a header near the length limit may fail: the writer adds the tags it always writes (about 60 bytes).
            precondition(reader.offset > Y4MHeader.maxLength - 128, "a parsed header failed to serialize: \(error)")
            return Outcome(frames: 0, error: error)
        }

        var frames: [[UInt8]] = []
        var stop: RawVideoError?
        reading: while true {
            do throws(RawVideoError) {
                guard try reader.readFrame(into: planes) == .frame else { break reading }
                frames.append(sampleBytes(of: planes))
                try writer.writeFrame(planes)
            } catch {
                stop = error
                break reading
            }
        }
        do throws(RawVideoError) {
            try writer.finish()
            let again = try Y4MReader(source: MemoryByteSource(writer.sink.bytes, maxReadSize: readSize),
                                      maxDimension: maxDimension, bufferSize: 4096)
            precondition(again.format == reader.format, "format \(again.format) re-read as \(reader.format)")
            let copies = again.format.makePlaneBuffers()
            for (index, expected) in frames.enumerated() {
                let result = try again.readFrame(into: copies)
                precondition(result == .frame && sampleBytes(of: copies) == expected,
                             "frame \(index) changed in the round trip")
            }
            let end = try again.readFrame(into: copies)
            precondition(end == .endOfStream, "the round trip added frames")
        } catch {
            preconditionFailure("re-reading our own output failed: \(error)")
        }
        return Outcome(frames: frames.count, error: stop)
    }

    /// The samples of `planes`, rows unpadded, planes back to back.
    private static func sampleBytes(of planes: [PlaneBuffer]) -> [UInt8] {
        var bytes: [UInt8] = []
        for plane in planes {
            let view = plane.view
            let rowBytes = view.size.width * view.bytesPerSample
            for row in 0..<view.size.height {
                bytes.append(contentsOf: UnsafeRawBufferPointer(start: view.base + row * view.bytesPerRow, count: rowBytes))
            }
        }
        withExtendedLifetime(planes) {}
        return bytes
    }
}

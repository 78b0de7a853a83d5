import VideoCore

/// Large-read buffering over a `ByteSource`: lines for y4m headers, exact byte counts for samples.
///
/// Samples land in the caller's planes: from the buffer when it holds them, or read straight into the plane when
/// what is left of a row run is at least a buffer long (no double copy for big frames).
final class BufferedInput<Source: ByteSource> {
    private var source: Source
    private let storage: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var atEnd = false
    /// Stream offset of `storage[start]`: bytes consumed so far.
    private(set) var offset = 0

    init(source: Source, capacity: Int) {
        precondition(capacity >= 4096, "input buffer of \(capacity) bytes is too small")
        self.source = source
        self.storage = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { storage.deallocate() }

    /// Reads more after what is buffered; false at end of input.
    private func refill() throws(RawVideoError) -> Bool {
        if atEnd { return false }
        if start == end {
            start = 0
            end = 0
        } else if end == storage.count {
            // Keep the unconsumed tail; only line reads get here, and their limit is far below the capacity.
            storage.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: end - start)
            end -= start
            start = 0
        }
        // Callers only refill an empty buffer or one holding a partial line shorter than the buffer.
        precondition(end < storage.count, "input buffer full")
        let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: storage[end...]))
        if count == 0 {
            atEnd = true
            return false
        }
        end += count
        return true
    }

    enum Line {
        /// The line's bytes, without its newline, valid until the next call.
        case line(UnsafeRawBufferPointer)
        /// Input ended after these bytes of an unfinished line (none: a clean end); valid until the next call.
        case endOfInput(UnsafeRawBufferPointer)
        /// No newline within the first `limit` bytes, which are given; valid until the next call.
        case tooLong(UnsafeRawBufferPointer)
    }

    /// Reads up to and including the next newline, which must come within `limit` bytes (newline included).
    func readLine(limit: Int) throws(RawVideoError) -> Line {
        precondition(limit <= storage.count, "line limit must not exceed the buffer size")
        var scanned = 0
        while true {
            let window = UnsafeRawBufferPointer(rebasing: storage[(start + scanned)..<min(end, start + limit)])
            if let index = window.firstIndex(of: 0x0A) {
                let length = scanned + index
                let line = UnsafeRawBufferPointer(rebasing: storage[start..<(start + length)])
                start += length + 1
                offset += length + 1
                return .line(line)
            }
            scanned += window.count
            if scanned >= limit { return .tooLong(UnsafeRawBufferPointer(rebasing: storage[start..<(start + limit)])) }
            guard try refill() else { return .endOfInput(UnsafeRawBufferPointer(rebasing: storage[start..<end])) }
        }
    }

    /// Fills `count` bytes at `destination`; returns fewer only when the input ends.
    func read(into destination: UnsafeMutableRawPointer, count: Int) throws(RawVideoError) -> Int {
        var done = 0
        while done < count {
            if start < end {
                let piece = min(end - start, count - done)
                (destination + done).copyMemory(from: storage.baseAddress! + start, byteCount: piece)
                start += piece
                done += piece
                offset += piece
            } else if count - done >= storage.count {
                if atEnd { break }
                let got = try source.read(into: UnsafeMutableRawBufferPointer(start: destination + done, count: count - done))
                if got == 0 {
                    atEnd = true
                    break
                }
                done += got
                offset += got
            } else if try !refill() {
                break
            }
        }
        return done
    }

    /// True when no byte is left; reads ahead if needed.
    func isAtEnd() throws(RawVideoError) -> Bool {
        if start < end { return false }
        return try !refill()
    }

    /// Reads one frame's planes (already validated against the format), row by row, or a whole plane at once
    /// when its rows are unpadded. Returns the bytes read: fewer than the frame only when the input ended.
    func readPlanes(into planes: [MutablePlaneView]) throws(RawVideoError) -> Int {
        var total = 0
        for plane in planes {
            let rowBytes = plane.size.width * plane.bytesPerSample
            if plane.bytesPerRow == rowBytes {
                let want = rowBytes * plane.size.height
                let got = try read(into: plane.base, count: want)
                total += got
                if got < want { return total }
            } else {
                for row in 0..<plane.size.height {
                    let got = try read(into: plane.base + row * plane.bytesPerRow, count: rowBytes)
                    total += got
                    if got < rowBytes { return total }
                }
            }
        }
        return total
    }
}

/// Coalescing writer over a `ByteSink`: small pieces are gathered, big ones go straight out; `flush` handles
/// partial writes. After `consumerClosed` every further call throws it again.
final class BufferedOutput<Sink: ByteSink> {
    private(set) var sink: Sink
    private let storage: UnsafeMutableRawBufferPointer
    private var count = 0
    private var closed = false

    init(sink: Sink, capacity: Int) {
        precondition(capacity >= 4096, "output buffer of \(capacity) bytes is too small")
        self.sink = sink
        self.storage = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { storage.deallocate() }

    func append(_ bytes: UnsafeRawBufferPointer) throws(RawVideoError) {
        if bytes.count > storage.count - count {
            try flush()
            if bytes.count >= storage.count {
                try writeAll(bytes)
                return
            }
        }
        (storage.baseAddress! + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
    }

    func append(_ bytes: [UInt8]) throws(RawVideoError) {
        // withUnsafeBytes does not forward typed throws, so the error travels out as a value.
        let result: Result<Void, RawVideoError> = bytes.withUnsafeBytes { raw in
            do throws(RawVideoError) { try append(raw); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    func flush() throws(RawVideoError) {
        if closed { throw .consumerClosed }
        guard count > 0 else { return }
        let pending = count
        count = 0
        try writeAll(UnsafeRawBufferPointer(start: storage.baseAddress!, count: pending))
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(RawVideoError) {
        if closed { throw .consumerClosed }
        var done = 0
        while done < bytes.count {
            do throws(RawVideoError) {
                done += try sink.write(UnsafeRawBufferPointer(rebasing: bytes[done...]))
            } catch .consumerClosed {
                closed = true
                throw .consumerClosed
            }
        }
    }

    /// Writes one frame's planes (already validated against the format) row by row, or a whole plane at once
    /// when its rows are unpadded.
    func writePlanes(_ planes: [PlaneView]) throws(RawVideoError) {
        for plane in planes {
            let rowBytes = plane.size.width * plane.bytesPerSample
            if plane.bytesPerRow == rowBytes {
                try append(UnsafeRawBufferPointer(start: plane.base, count: rowBytes * plane.size.height))
            } else {
                for row in 0..<plane.size.height {
                    try append(UnsafeRawBufferPointer(start: plane.base + row * plane.bytesPerRow, count: rowBytes))
                }
            }
        }
    }
}

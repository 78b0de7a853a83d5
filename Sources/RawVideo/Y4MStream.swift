import VideoCore

/// What a frame read gave: a frame in the caller's planes, or the clean end of the stream.
public enum FrameReadResult: Hashable, Sendable {
    case frame
    case endOfStream
}

/// Reads a YUV4MPEG2 stream: the header at `init`, then one frame per `readFrame` straight into the caller's
/// planes (one `MutablePlaneView` per plane, any row stride), so a pipeline can read into its own frames.
///
/// Reads go through a large buffer (1 MiB by default); big planes are read directly into the destination.
/// The reader owns no file descriptor. After an error every further `readFrame` throws the same error: a damaged
/// stream is not resynchronised.
///
/// Ownership: one owner at a time. A pipeline typically creates it on its main thread to learn the format (and
/// size its frames), then hands it to its reading stage's thread and never touches it again.
public final class Y4MReader<Source: ByteSource> {
    /// Longest `FRAME ...` line accepted, newline included (FFmpeg accepts 80).
    public static var maxFrameHeaderLength: Int { 1024 }

    public let header: Y4MHeader
    public var format: RawVideoFormat { header.format }
    /// Frames read so far; also the 0-based number of the next frame.
    public private(set) var framesRead = 0
    /// Bytes consumed from the source so far.
    public var offset: Int { input.offset }

    private let input: BufferedInput<Source>
    private var failure: RawVideoError?

    /// Reads and parses the stream header. Throws `emptyInput` when the source has no byte at all.
    /// `maxDimension` bounds width and height before the caller allocates anything for them.
    public init(source: Source, maxDimension: Int = RawVideoFormat.defaultMaxDimension,
                bufferSize: Int = 1 << 20) throws(RawVideoError) {
        input = BufferedInput(source: source, capacity: max(bufferSize, Y4MHeader.maxLength))
        switch try input.readLine(limit: Y4MHeader.maxLength) {
        case let .line(bytes):
            header = try Y4MHeader.parse(line: bytes, maxDimension: maxDimension)
        case let .endOfInput(partial):
            if partial.isEmpty { throw .emptyInput }
            try Self.checkMagic(partial)
            throw .truncatedHeader(byteCount: partial.count)
        case let .tooLong(prefix):
            try Self.checkMagic(prefix)
            throw .headerTooLong(limit: Y4MHeader.maxLength)
        }
    }

    private static func checkMagic(_ bytes: UnsafeRawBufferPointer) throws(RawVideoError) {
        let magic = "YUV4MPEG2 ".utf8
        if !zip(bytes, magic).allSatisfy({ $0 == $1 }) { throw .badMagic(found: escapedForMessage(bytes)) }
    }

    /// Reads the next frame into `planes` (luma first; sizes and sample width must match `format`).
    /// Returns `.endOfStream` when the input ends cleanly between frames. A truncated frame or anything but
    /// `FRAME` where a frame should start throws, naming the frame number and its byte offset.
    public func readFrame(into planes: [MutablePlaneView]) throws(RawVideoError) -> FrameReadResult {
        if let failure { throw failure }
        try format.validate(planes)
        do throws(RawVideoError) {
            return try readValidatedFrame(into: planes)
        } catch {
            failure = error
            throw error
        }
    }

    private func readValidatedFrame(into planes: [MutablePlaneView]) throws(RawVideoError) -> FrameReadResult {
        let frameStart = input.offset
        let marker = "FRAME".utf8
        func isMarker(_ bytes: UnsafeRawBufferPointer) -> Bool {
            bytes.starts(with: marker) && (bytes.count == marker.count || bytes[marker.count] == 0x20)
        }
        switch try input.readLine(limit: Self.maxFrameHeaderLength) {
        case let .line(bytes):
            // Frame parameters after `FRAME` are read past: per-frame interlacing is not used downstream.
            guard isMarker(bytes) else {
                throw .badFrameMarker(frame: framesRead, offset: frameStart, found: escapedForMessage(bytes))
            }
        case let .endOfInput(partial):
            if partial.isEmpty { return .endOfStream }
            guard isMarker(partial) || marker.starts(with: partial) else {
                throw .badFrameMarker(frame: framesRead, offset: frameStart, found: escapedForMessage(partial))
            }
            throw .truncatedFrameHeader(frame: framesRead, offset: frameStart)
        case let .tooLong(prefix):
            guard isMarker(prefix) else {
                throw .badFrameMarker(frame: framesRead, offset: frameStart, found: escapedForMessage(prefix))
            }
            throw .frameHeaderTooLong(frame: framesRead, offset: frameStart, limit: Self.maxFrameHeaderLength)
        }
        let expected = format.frameByteCount
        let got = try input.readPlanes(into: planes)
        guard got == expected else {
            throw .truncatedFrame(frame: framesRead, offset: frameStart, expectedBytes: expected, missingBytes: expected - got)
        }
        framesRead += 1
        return .frame
    }
}

extension Y4MReader where Source == FileDescriptorByteSource {
    /// A reader over a file descriptor such as `STDIN_FILENO`; the descriptor stays the caller's.
    public convenience init(fileDescriptor: Int32, maxDimension: Int = RawVideoFormat.defaultMaxDimension,
                            bufferSize: Int = 1 << 20) throws(RawVideoError) {
        try self.init(source: FileDescriptorByteSource(fileDescriptor: fileDescriptor),
                      maxDimension: maxDimension, bufferSize: bufferSize)
    }
}

private let y4mFrameLine = Array("FRAME\n".utf8)

/// Writes a YUV4MPEG2 stream: the header before the first frame (or at `finish` when there is none), then
/// `FRAME\n` and the planes for each frame, flushed frame by frame so a consumer sees whole frames promptly.
///
/// A consumer that closes its end (`... | head -c 100`, a player quitting) makes every write throw
/// `RawVideoError.consumerClosed`: stop producing and exit cleanly. This needs `signal(SIGPIPE, SIG_IGN)` in the
/// process first, or the kernel kills the process at that write. One owner at a time, as `Y4MReader`.
public final class Y4MWriter<Sink: ByteSink> {
    public let header: Y4MHeader
    public var format: RawVideoFormat { header.format }
    public private(set) var framesWritten = 0

    private let output: BufferedOutput<Sink>
    private var pendingHeader: [UInt8]?

    /// Validates the header (see `Y4MHeader.serialized`); writes nothing yet.
    public init(sink: Sink, header: Y4MHeader, bufferSize: Int = 1 << 20) throws(RawVideoError) {
        self.header = header
        pendingHeader = try header.serialized()
        output = BufferedOutput(sink: sink, capacity: bufferSize)
    }

    /// The sink, e.g. to take the bytes a `MemoryByteSink` collected.
    public var sink: Sink { output.sink }

    /// Writes one frame from `planes` (luma first; sizes and sample width must match `format`).
    public func writeFrame(_ planes: [PlaneView]) throws(RawVideoError) {
        try format.validate(planes)
        try writeHeaderIfPending()
        try output.append(y4mFrameLine)
        try output.writePlanes(planes)
        try output.flush()
        framesWritten += 1
    }

    /// Writes the header if no frame did, and flushes. A stream of zero frames is still a valid y4m stream.
    public func finish() throws(RawVideoError) {
        try writeHeaderIfPending()
        try output.flush()
    }

    private func writeHeaderIfPending() throws(RawVideoError) {
        guard let bytes = pendingHeader else { return }
        pendingHeader = nil
        try output.append(bytes)
    }
}

extension Y4MWriter where Sink == FileDescriptorByteSink {
    /// A writer to a file descriptor such as `STDOUT_FILENO`; the descriptor stays the caller's.
    public convenience init(fileDescriptor: Int32, header: Y4MHeader, bufferSize: Int = 1 << 20) throws(RawVideoError) {
        try self.init(sink: FileDescriptorByteSink(fileDescriptor: fileDescriptor), header: header, bufferSize: bufferSize)
    }
}

// Sound only under the one-owner rule in the class comments: a stage thread receives the reader or writer and
// is from then on its only user (the same hand-over discipline as frames crossing a BoundedQueue). Calls from two
// threads at once would race on the buffer.
extension Y4MReader: @unchecked Sendable where Source: Sendable {}
extension Y4MWriter: @unchecked Sendable where Sink: Sendable {}

// A view does not retain the buffer behind it: these overloads keep owned buffers alive for the whole call.
extension Y4MReader {
    /// `readFrame(into:)` for buffers the caller owns (tools, tests).
    public func readFrame(into buffers: [PlaneBuffer]) throws(RawVideoError) -> FrameReadResult {
        defer { withExtendedLifetime(buffers) {} }
        return try readFrame(into: buffers.map(\.mutableView))
    }
}

extension Y4MWriter {
    /// `writeFrame(_:)` for buffers the caller owns (tools, tests).
    public func writeFrame(_ buffers: [PlaneBuffer]) throws(RawVideoError) {
        defer { withExtendedLifetime(buffers) {} }
        try writeFrame(buffers.map(\.view))
    }
}

import VideoCore

/// Reads headerless raw video (`ffmpeg -f rawvideo`): frames of `format.frameByteCount` bytes back to back,
/// straight into the caller's planes. Buffering, ownership and threading as `Y4MReader`.
///
/// An empty input is zero frames (the first `readFrame` returns `.endOfStream`); whether that is an error is the
/// caller's decision. A short last frame throws `truncatedFrame` with its start offset and the missing byte count.
public final class RawVideoReader<Source: ByteSource> {
    public let format: RawVideoFormat
    public private(set) var framesRead = 0
    public var offset: Int { input.offset }

    private let input: BufferedInput<Source>
    private var failure: RawVideoError?

    public init(source: Source, format: RawVideoFormat, bufferSize: Int = 1 << 20) {
        self.format = format
        input = BufferedInput(source: source, capacity: bufferSize)
    }

    /// Reads the next frame into `planes` (luma first; sizes and sample width must match `format`).
    public func readFrame(into planes: [MutablePlaneView]) throws(RawVideoError) -> FrameReadResult {
        if let failure { throw failure }
        try format.validate(planes)
        let frameStart = input.offset
        do throws(RawVideoError) {
            if try input.isAtEnd() { return .endOfStream }
            let expected = format.frameByteCount
            let got = try input.readPlanes(into: planes)
            guard got == expected else {
                throw .truncatedFrame(frame: framesRead, offset: frameStart, expectedBytes: expected, missingBytes: expected - got)
            }
        } catch {
            failure = error
            throw error
        }
        framesRead += 1
        return .frame
    }
}

extension RawVideoReader where Source == FileDescriptorByteSource {
    /// A reader over a file descriptor such as `STDIN_FILENO`; the descriptor stays the caller's.
    public convenience init(fileDescriptor: Int32, format: RawVideoFormat, bufferSize: Int = 1 << 20) {
        self.init(source: FileDescriptorByteSource(fileDescriptor: fileDescriptor), format: format, bufferSize: bufferSize)
    }
}

/// Writes headerless raw video, one flushed frame per call. `consumerClosed` and SIGPIPE as `Y4MWriter`.
public final class RawVideoWriter<Sink: ByteSink> {
    public let format: RawVideoFormat
    public private(set) var framesWritten = 0

    private let output: BufferedOutput<Sink>

    public init(sink: Sink, format: RawVideoFormat, bufferSize: Int = 1 << 20) {
        self.format = format
        output = BufferedOutput(sink: sink, capacity: bufferSize)
    }

    public var sink: Sink { output.sink }

    /// Writes one frame from `planes` (luma first; sizes and sample width must match `format`).
    public func writeFrame(_ planes: [PlaneView]) throws(RawVideoError) {
        try format.validate(planes)
        try output.writePlanes(planes)
        try output.flush()
        framesWritten += 1
    }
}

extension RawVideoWriter where Sink == FileDescriptorByteSink {
    /// A writer to a file descriptor such as `STDOUT_FILENO`; the descriptor stays the caller's.
    public convenience init(fileDescriptor: Int32, format: RawVideoFormat, bufferSize: Int = 1 << 20) {
        self.init(sink: FileDescriptorByteSink(fileDescriptor: fileDescriptor), format: format, bufferSize: bufferSize)
    }
}

// Sound under the one-owner rule of `Y4MReader`: handed to one stage thread, then used only there.
extension RawVideoReader: @unchecked Sendable where Source: Sendable {}
extension RawVideoWriter: @unchecked Sendable where Sink: Sendable {}

// A view does not retain the buffer behind it: these overloads keep owned buffers alive for the whole call.
extension RawVideoReader {
    /// `readFrame(into:)` for buffers the caller owns (tools, tests).
    public func readFrame(into buffers: [PlaneBuffer]) throws(RawVideoError) -> FrameReadResult {
        defer { withExtendedLifetime(buffers) {} }
        return try readFrame(into: buffers.map(\.mutableView))
    }
}

extension RawVideoWriter {
    /// `writeFrame(_:)` for buffers the caller owns (tools, tests).
    public func writeFrame(_ buffers: [PlaneBuffer]) throws(RawVideoError) {
        defer { withExtendedLifetime(buffers) {} }
        try writeFrame(buffers.map(\.view))
    }
}

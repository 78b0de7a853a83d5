#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a reader gets its bytes: a file descriptor (stdin, a pipe) or memory (tests, the fuzzer).
public protocol ByteSource {
    /// Reads at most `buffer.count` (> 0) bytes, waiting until at least one is available; 0 means end of input.
    /// A short read is normal (pipes deliver what they have).
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(RawVideoError) -> Int
}

/// Where a writer puts its bytes.
public protocol ByteSink {
    /// Writes a prefix of `bytes` (at least one byte when `bytes` is not empty) and returns its length.
    /// Throws `consumerClosed` when the reader has gone away.
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws(RawVideoError) -> Int
}

/// Reads a file descriptor it does not own (it never closes it). Retries EINTR.
public struct FileDescriptorByteSource: ByteSource, Sendable {
    public let fileDescriptor: Int32

    public init(fileDescriptor: Int32) { self.fileDescriptor = fileDescriptor }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(RawVideoError) -> Int {
        while true {
            let count = systemRead(fileDescriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            let code = errno
            if code != EINTR { throw .readFailed(errno: code) }
        }
    }
}

/// Writes to a file descriptor it does not own. Retries EINTR; EPIPE becomes `consumerClosed`.
///
/// The process must ignore SIGPIPE (`signal(SIGPIPE, SIG_IGN)` once at start-up), or the kernel kills it at the
/// first write to a closed pipe before EPIPE can be reported.
public struct FileDescriptorByteSink: ByteSink, Sendable {
    public let fileDescriptor: Int32

    public init(fileDescriptor: Int32) { self.fileDescriptor = fileDescriptor }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(RawVideoError) -> Int {
        guard !bytes.isEmpty else { return 0 }
        while true {
            let count = systemWrite(fileDescriptor, bytes.baseAddress, bytes.count)
            if count > 0 { return count }
            let code = count == 0 ? EIO : errno
            if code == EPIPE { throw .consumerClosed }
            if code != EINTR { throw .writeFailed(errno: code) }
        }
    }
}

/// Grows the kernel buffer of the pipe behind `fileDescriptor`, if it is one, towards `bytes` (Linux caps it at
/// /proc/sys/fs/pipe-max-size, 1 MiB by default). A 4K frame then crosses in about a dozen writes instead of ~190
/// of 64 KiB, each waking the other side. Anything else (a file, a terminal, another system) is left as it is.
public func enlargePipeBuffer(_ fileDescriptor: Int32, to bytes: Int32 = 1 << 20) {
    #if os(Linux)
    var info = stat()
    guard fstat(fileDescriptor, &info) == 0, info.st_mode & S_IFMT == S_IFIFO else { return }
    // F_SETPIPE_SZ; failing (a lower system limit) only leaves the default size.
    _ = fcntl(fileDescriptor, 1031, bytes)
    #endif
}

/// Serves bytes from memory, optionally in short pieces to behave like a pipe.
public struct MemoryByteSource: ByteSource, Sendable {
    public let bytes: [UInt8]
    public private(set) var position = 0
    /// Largest piece one `read` returns.
    public let maxReadSize: Int

    public init(_ bytes: [UInt8], maxReadSize: Int = .max) {
        precondition(maxReadSize > 0, "maxReadSize must be positive")
        self.bytes = bytes
        self.maxReadSize = maxReadSize
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(RawVideoError) -> Int {
        let count = min(buffer.count, bytes.count - position, maxReadSize)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + position, byteCount: count)
        }
        position += count
        return count
    }
}

/// Collects written bytes in memory, optionally accepting only short pieces per call (as a full pipe does).
public struct MemoryByteSink: ByteSink, Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Largest piece one `write` accepts.
    public let maxWriteSize: Int

    public init(maxWriteSize: Int = .max) {
        precondition(maxWriteSize > 0, "maxWriteSize must be positive")
        self.maxWriteSize = maxWriteSize
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(RawVideoError) -> Int {
        let count = min(bytes.count, maxWriteSize)
        self.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<count]))
        return count
    }
}

// The protocols' own method names shadow the C functions inside conforming types.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}

func errnoText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text) + " (errno \(code))"
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a model file in two steps: its first bytes, which the caller checks against the file's size (magic,
/// header, declared length), then the rest. A 2 GB file that is not a model is refused after a few bytes, not
/// read whole; a directory, FIFO or device is refused by what it is, before anything is read.
enum ModelFileReader {
    /// The whole file, once `check` has accepted its first `prefixLength` bytes (all of it if shorter) and its size.
    static func read(path: String, prefixLength: Int,
                     check: ([UInt8], Int) throws(LUTFileError) -> Void) throws(LUTFileError) -> [UInt8] {
        try withFile(path) { fd, size throws(LUTFileError) in
            var bytes = try readUpTo(min(size, prefixLength), from: fd, path: path)
            try check(bytes, size)
            bytes += try readUpTo(size - bytes.count, from: fd, path: path)
            // The file changed while it was read; what was checked is not what was read.
            guard bytes.count == size else { throw .io(path: path, reason: "it changed size while being read") }
            return bytes
        }
    }

    /// The first `prefixLength` bytes of the file (all of it if shorter) and its size.
    static func prefix(path: String, prefixLength: Int) throws(LUTFileError) -> (bytes: [UInt8], size: Int) {
        try withFile(path) { fd, size throws(LUTFileError) in (try readUpTo(min(size, prefixLength), from: fd, path: path), size) }
    }

    /// Opens a regular file and hands `body` its descriptor and size.
    private static func withFile<T>(_ path: String, _ body: (Int32, Int) throws(LUTFileError) -> T) throws(LUTFileError) -> T {
        // Non-blocking, so that opening a FIFO with no writer returns at once (and is then refused by its kind).
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .io(path: path, reason: "is a directory, not a model file")
        default: throw .io(path: path, reason: "is not a regular file (a FIFO, socket or device), so not a model file")
        }
        return try body(fd, Int(info.st_size))
    }

    /// Up to `count` bytes from `fd` (fewer only at the end of the file).
    private static func readUpTo(_ count: Int, from fd: Int32, path: String) throws(LUTFileError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, count - filled) }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
            if got == 0 { break }
            filled += got
        }
        return Array(bytes[..<filled])
    }
}

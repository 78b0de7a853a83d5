import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The output path and the hidden temporary file beside it that receives the bytes until the job succeeds.
///
/// The final name only ever appears through `commit()`: an atomic rename (with overwrite) or a hard link that
/// fails if the name was taken meanwhile (without), so an existing file is never replaced unless asked.
/// A pipe or a device (`/dev/stdout`, `/dev/null`) is written directly: there is no file to protect.
public struct OutputFile: Sendable {
    public let path: String
    /// Where the bytes go until `commit()`; `path` itself for a pipe or device.
    public let temporaryPath: String
    public let overwrite: Bool
    public let isStream: Bool

    /// Checks that `path` may be written for `inputPath`: never the input itself, and only replacing an existing
    /// file when `overwrite` is set.
    public init(path: String, inputPath: String, overwrite: Bool) throws(PipelineError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        var directoryInfo = stat()
        guard stat(directory, &directoryInfo) == 0, directoryInfo.st_mode & S_IFMT == S_IFDIR else {
            throw .output("cannot write \(path): directory \(directory) does not exist")
        }
        var outputInfo = stat()
        if lstat(path, &outputInfo) == 0 {
            var inputInfo = stat()
            if stat(inputPath, &inputInfo) == 0, stat(path, &outputInfo) == 0,
               inputInfo.st_dev == outputInfo.st_dev, inputInfo.st_ino == outputInfo.st_ino {
                throw .output("output \(path) is the input file; choose another name")
            }
            if outputInfo.st_mode & S_IFMT == S_IFDIR { throw .output("output \(path) is a directory") }
            let kind = outputInfo.st_mode & S_IFMT
            if kind == S_IFIFO || kind == S_IFCHR {
                self.path = path
                self.overwrite = overwrite
                isStream = true
                temporaryPath = path
                return
            }
            if !overwrite { throw .output("output \(path) exists; pass -y to overwrite it") }
        }
        self.path = path
        self.overwrite = overwrite
        isStream = false
        // Hidden, unique per process and call, in the same directory so the final rename stays on one file system.
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        temporaryPath = (directory as NSString).appendingPathComponent(".\(name).lutscale-\(getpid())-\(tag).part")
        PendingOutputs.shared.add(temporaryPath)
    }

    /// Gives the finished temporary file its final name.
    public func commit() throws(PipelineError) {
        if isStream { return }
        if overwrite {
            guard rename(temporaryPath, path) == 0 else { throw failure("renaming \(temporaryPath) to \(path)") }
            PendingOutputs.shared.remove(temporaryPath)
            return
        }
        if link(temporaryPath, path) == 0 {
            discard()
            return
        }
        let linkError = errno
        if linkError == EEXIST { throw .output("output \(path) appeared while working; kept the result in \(temporaryPath)") }
        // File systems without hard links: check, then rename (a narrow race instead of none).
        guard access(path, F_OK) != 0 else {
            throw .output("output \(path) appeared while working; kept the result in \(temporaryPath)")
        }
        guard rename(temporaryPath, path) == 0 else { throw failure("renaming \(temporaryPath) to \(path)") }
        PendingOutputs.shared.remove(temporaryPath)
    }

    /// Removes the temporary file, if any was written.
    public func discard() {
        if !isStream { PendingOutputs.shared.discard(temporaryPath) }
    }

    private func failure(_ operation: String) -> PipelineError {
        .output("\(operation): \(String(cString: strerror(errno)))")
    }
}

/// Temporary files not yet committed or discarded: what a forced exit (a second signal while a stage is stuck in
/// the kernel) must remove, since the job that owns them will never get to.
public final class PendingOutputs: @unchecked Sendable {
    public static let shared = PendingOutputs()
    // `paths` is guarded by `lock`.
    private let lock = NSLock()
    private var paths: Set<String> = []

    func add(_ path: String) { lock.withLock { _ = paths.insert(path) } }

    func remove(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// Unlinks `path` and forgets it.
    func discard(_ path: String) {
        lock.withLock {
            unlink(path)
            paths.remove(path)
        }
    }

    /// Unlinks every pending file.
    public func discardAll() {
        lock.withLock {
            for path in paths { unlink(path) }
            paths.removeAll()
        }
    }
}

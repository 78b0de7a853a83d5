import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The output path and the hidden temporary file beside it that receives the bytes until the job succeeds.
///
/// The final name only ever appears through `commit()`: an atomic rename (with overwrite) or a hard link that
/// fails if the name was taken meanwhile (without), so an existing file is never replaced unless asked.
/// A FIFO, a device or a name for an open descriptor (`/dev/stdout`, `/dev/null`) is written in place, never
/// renamed over or unlinked: there is no file to protect; so is `pipe:1` (stdout). A container that writes no file
/// (`null`) touches nothing.
public struct OutputFile: Sendable {
    public let path: String
    /// Where the bytes go until `commit()`; `path` itself when written in place.
    public let temporaryPath: String
    public let overwrite: Bool
    /// Written in place (or not at all): nothing to commit or discard.
    public let isStream: Bool
    public let writesFile: Bool
    /// Temporary files of earlier runs on this output that were killed before they could remove them, now removed.
    public let removedLeftovers: [String]

    static let temporaryTag = ".lutscale-"

    /// Checks that `path` may be written for `inputPath`: never the input itself, and only replacing an existing
    /// file when `overwrite` is set. `writesFile` false: the container writes nothing (`--format null`).
    public init(path: String, inputPath: String, overwrite: Bool, writesFile: Bool = true) throws(PipelineError) {
        self.path = path
        self.overwrite = overwrite
        self.writesFile = writesFile
        // `pipe:N` (a standard stream as libavformat names it) is written in place, like a FIFO.
        guard writesFile && !path.hasPrefix("pipe:") else {
            isStream = true
            temporaryPath = path
            removedLeftovers = []
            return
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        var directoryInfo = stat()
        guard stat(directory, &directoryInfo) == 0, directoryInfo.st_mode & S_IFMT == S_IFDIR else {
            throw .output("cannot write \(path): directory \(directory) does not exist")
        }
        // `exists` counts a dangling symbolic link (it would be replaced); the checks look at what a link points to.
        var linkInfo = stat(), outputInfo = stat()
        let exists = lstat(path, &linkInfo) == 0
        let resolved = stat(path, &outputInfo) == 0
        if resolved {
            var inputInfo = stat()
            if stat(inputPath, &inputInfo) == 0, inputInfo.st_dev == outputInfo.st_dev, inputInfo.st_ino == outputInfo.st_ino {
                throw .output("output \(path) is the input file; choose another name")
            }
            if outputInfo.st_mode & S_IFMT == S_IFDIR { throw .output("output \(path) is a directory") }
        }
        if (resolved && outputInfo.st_mode & S_IFMT != S_IFREG) || Self.namesADescriptorOrDevice(directory) {
            isStream = true
            temporaryPath = path
            removedLeftovers = []
            return
        }
        if exists && !overwrite { throw .output("output \(path) exists; pass -y to overwrite it") }
        isStream = false
        // Hidden, unique per process and call, in the same directory so the final rename stays on one file system.
        let prefix = Self.temporaryPrefix(for: name)
        removedLeftovers = Self.removeLeftovers(in: directory, prefix: prefix)
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        temporaryPath = (directory as NSString).appendingPathComponent("\(prefix)\(getpid())-\(tag).part")
        PendingOutputs.shared.add(temporaryPath)
    }

    /// Whether `directory` resolves into /dev or /proc: `/dev/stdout`, `/dev/fd/1` and `/proc/self/fd/1` name an
    /// open descriptor (whatever it points to, a regular file included), and a rename there would replace the link.
    static func namesADescriptorOrDevice(_ directory: String) -> Bool {
        guard let resolved = realpath(directory, nil) else { return false }
        defer { free(resolved) }
        let real = String(cString: resolved)
        return ["/dev", "/proc"].contains { real == $0 || real.hasPrefix($0 + "/") }
    }

    /// `.NAME.lutscale-`, with NAME shortened (whole characters) so that the full temporary name, with its
    /// `PID-TAG.part` (at most 20 + 1 + 7 + 5 bytes), stays within NAME_MAX (255 bytes).
    static func temporaryPrefix(for name: String) -> String {
        let budget = 255 - 1 - temporaryTag.utf8.count - 33
        var kept = ""
        for character in name {
            guard kept.utf8.count + character.utf8.count <= budget else { break }
            kept.append(character)
        }
        return "." + kept + temporaryTag
    }

    /// Removes the temporary files beside the output whose run no longer exists (a run killed by SIGKILL or a
    /// power cut cannot remove its own); returns their names.
    static func removeLeftovers(in directory: String, prefix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { name in
            guard name.hasPrefix(prefix), name.hasSuffix(".part"),
                  let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }), pid > 0 else { return false }
            // Alive (EPERM: alive, another user's): its file is in use.
            guard kill(pid, 0) != 0 && errno == ESRCH else { return false }
            return unlink((directory as NSString).appendingPathComponent(name)) == 0
        }
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

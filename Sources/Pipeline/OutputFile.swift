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
/// (`null`) touches nothing. An image sequence (`img%03d.png`) is written into a hidden folder beside it, whose
/// files `commit()` moves out, so no numbered file appears before the job succeeds.
public struct OutputFile: Sendable {
    public let path: String
    /// Where the bytes go until `commit()`; `path` itself when written in place.
    public let temporaryPath: String
    public let overwrite: Bool
    /// Written in place (or not at all): nothing to commit or discard.
    public let isStream: Bool
    public let writesFile: Bool
    /// Numbered files by the pattern `path`; `temporaryPath` is that pattern in the hidden folder.
    public let isSequence: Bool
    /// Temporary files of earlier runs on this output that were killed before they could remove them, now removed.
    public let removedLeftovers: [String]

    static let temporaryTag = ".lutscale-"

    /// Checks that `path` may be written for `inputPath`: never the input itself, and only replacing an existing
    /// file when `overwrite` is set. `writesFile` false: the container writes nothing (`--format null`).
    /// `isSequence`: `path` is the pattern of an image sequence (see `Muxer.writesImageSequence`).
    public init(path: String, inputPath: String, overwrite: Bool, writesFile: Bool = true, isSequence: Bool = false) throws(PipelineError) {
        self.path = path
        self.overwrite = overwrite
        self.writesFile = writesFile
        self.isSequence = isSequence && writesFile
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
        if self.isSequence && !overwrite, let taken = Self.sequenceFiles(in: directory, pattern: name).first {
            throw .output("output \(taken) (of the sequence \(path)) exists; pass -y to overwrite")
        }
        isStream = false
        // Hidden, unique per process and call, in the same directory so the final rename stays on one file system.
        // A sequence's folder has no % in its name: image2 would read it as part of the pattern.
        let prefix = Self.temporaryPrefix(for: self.isSequence ? name.replacingOccurrences(of: "%", with: "_") : name)
        removedLeftovers = Self.removeLeftovers(in: directory, prefix: prefix)
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let temporary = (directory as NSString).appendingPathComponent("\(prefix)\(getpid())-\(tag).part")
        if self.isSequence {
            guard mkdir(temporary, 0o700) == 0 else {
                throw .output("cannot create \(temporary) for the sequence \(path): \(String(cString: strerror(errno)))")
            }
            temporaryPath = (temporary as NSString).appendingPathComponent(name)
        } else {
            temporaryPath = temporary
        }
        PendingOutputs.shared.add(temporary)
    }

    /// The hidden file, or for a sequence the hidden folder, that holds the output until `commit()`.
    private var temporaryItem: String { isSequence ? (temporaryPath as NSString).deletingLastPathComponent : temporaryPath }

    /// The names in `directory` that the sequence `pattern` (`img%03d.png`) gives a frame, sorted.
    static func sequenceFiles(in directory: String, pattern: String) -> [String] {
        // The pattern as FFmpeg fills it in: `%d` or `%0Nd` a number of at least N digits, `%%` a %.
        var expression = "^"
        var rest = Substring(pattern)
        while let percent = rest.firstIndex(of: "%") {
            expression += NSRegularExpression.escapedPattern(for: String(rest[..<percent]))
            rest = rest[rest.index(after: percent)...]
            if rest.first == "%" {
                expression += "%"
                rest = rest.dropFirst()
            } else {
                rest = rest.drop { $0.isNumber }.dropFirst()
                expression += "[0-9]+"
            }
        }
        expression += NSRegularExpression.escapedPattern(for: String(rest)) + "$"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.range(of: expression, options: .regularExpression) != nil }.sorted()
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
            return (try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(name))) != nil
        }
    }

    /// Gives the finished temporary file its final name (a sequence: each of its files); returns the bytes now
    /// under the final name(s), 0 when nothing was written or the output is a pipe.
    public func commit() throws(PipelineError) -> Int64 {
        func size(_ path: String) -> Int64 {
            var info = stat()
            return stat(path, &info) == 0 ? Int64(info.st_size) : 0
        }
        guard writesFile else { return 0 }
        if isStream { return size(path) }
        guard isSequence else {
            try give(temporaryPath, name: path)
            return size(path)
        }
        let folder = temporaryItem, directory = (path as NSString).deletingLastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.sorted() ?? []
        let targets = names.map { (directory as NSString).appendingPathComponent($0) }
        if !overwrite, let taken = targets.first(where: { access($0, F_OK) == 0 }) {
            throw .output("output \(taken) appeared while working; kept the sequence in \(folder)")
        }
        for (name, target) in zip(names, targets) { try give((folder as NSString).appendingPathComponent(name), name: target) }
        rmdir(folder)
        PendingOutputs.shared.remove(folder)
        return targets.reduce(0) { $0 + size($1) }
    }

    /// Renames `temporary` to `name`, replacing a file there only when `overwrite` is set.
    private func give(_ temporary: String, name: String) throws(PipelineError) {
        if overwrite {
            guard rename(temporary, name) == 0 else { throw failure("renaming \(temporary) to \(name)") }
            PendingOutputs.shared.remove(temporary)
            return
        }
        if link(temporary, name) == 0 {
            PendingOutputs.shared.discard(temporary)
            return
        }
        let linkError = errno
        if linkError == EEXIST { throw .output("output \(name) appeared while working; kept the result in \(temporary)") }
        // File systems without hard links: check, then rename (a narrow race instead of none).
        guard access(name, F_OK) != 0 else {
            throw .output("output \(name) appeared while working; kept the result in \(temporary)")
        }
        guard rename(temporary, name) == 0 else { throw failure("renaming \(temporary) to \(name)") }
        PendingOutputs.shared.remove(temporary)
    }

    /// Removes the temporary file (a sequence: its folder), if any was written.
    public func discard() {
        if !isStream { PendingOutputs.shared.discard(temporaryItem) }
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

    /// Removes `path` (a file, or a sequence's folder) and forgets it.
    func discard(_ path: String) {
        lock.withLock {
            Self.remove(path)
            paths.remove(path)
        }
    }

    /// Removes every pending file and folder.
    public func discardAll() {
        lock.withLock {
            for path in paths { Self.remove(path) }
            paths.removeAll()
        }
    }

    private static func remove(_ path: String) {
        if unlink(path) != 0 && errno == EISDIR { try? FileManager.default.removeItem(atPath: path) }
    }
}

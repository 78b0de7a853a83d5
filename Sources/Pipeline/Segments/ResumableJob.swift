import Foundation
import Media
#if canImport(Glibc)
import Glibc
#endif

/// A long file job done segment by segment (#19), with a journal beside the output (a hidden directory holding
/// the plan, the finished pieces and what is finished) so that a run that was interrupted in any way (a signal,
/// SIGKILL, a crash, a power cut) is resumed by running the same command again. The pieces are joined into the
/// output at the end, and the journal removed.
public final class ResumableJob {
    /// What is on disk: the job's identity, its plan and the finished pieces.
    struct Journal: Codable {
        var version = 1
        var identity: String
        var frames: Int
        var segments: [Segment]
        /// Segment number -> the size its piece had when it was recorded finished.
        var done: [Int: Int64]
    }

    public let request: UpscaleRequest
    /// The hidden journal directory beside the output.
    public let directory: String
    /// Things to tell the user before work starts (an earlier run's journal set aside, ...).
    public private(set) var notes: [String] = []
    /// The frame work resumes at, when an earlier run finished some segments.
    public private(set) var resumedAt: Int?
    public var totalFrames: Int { journal.frames }
    public var segmentCount: Int { journal.segments.count }
    private var journal: Journal

    static let journalName = "journal.json"

    /// The journal directory for `output`.
    public static func directory(for output: String) -> String {
        let url = URL(fileURLWithPath: output)
        return url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".lutscale-resume").path
    }

    /// Whether `request` is worked in segments: an earlier run's journal is there, or the input lasts at least two
    /// segments; and the output is a regular file (a pipe or device cannot be resumed, and an image sequence is
    /// not one file the pieces could be joined into).
    public static func applies(to request: UpscaleRequest, segmentSeconds: Double) -> Bool {
        guard request.segmentWork == nil, !request.preview, request.format != "null", segmentSeconds > 0,
              !request.inputPath.hasPrefix("pipe:"), !request.outputPath.hasPrefix("pipe:"),
              !Muxer.writesImageSequence(to: request.outputPath, formatName: request.format) else { return false }
        var info = stat()
        // Only a file can be read again from a segment's start (not stdin, a FIFO or an image sequence pattern).
        guard stat(request.inputPath, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        if stat(request.outputPath, &info) == 0, info.st_mode & S_IFMT != S_IFREG { return false }
        if OutputFile.namesADescriptorOrDevice(URL(fileURLWithPath: request.outputPath).deletingLastPathComponent().path) { return false }
        if access(directory(for: request.outputPath) + "/" + journalName, F_OK) == 0 { return true }
        guard let demuxer = try? Demuxer(path: request.inputPath), let main = try? demuxer.bestVideoStream() else { return false }
        let video = demuxer.streams[main]
        guard demuxer.streams.filter({ $0.kind == .video && !$0.isAttachedPicture }).count == 1,
              let frames = video.estimatedFrameCount, video.averageFrameRate.isValid else { return false }
        return Double(frames) / video.averageFrameRate.doubleValue >= 2 * segmentSeconds
    }

    /// Opens (`resume`) or starts the journal of `request`. `identity` names everything that decides the output
    /// besides the input file (options, model, version); the input's size and modification time are added here.
    public init(request: UpscaleRequest, identity: String, segmentSeconds: Double, resume: Bool) throws(PipelineError) {
        self.request = request
        directory = Self.directory(for: request.outputPath)
        var info = stat()
        if lstat(request.outputPath, &info) == 0 && !request.overwrite {
            throw .output("output \(request.outputPath) exists; pass -y to overwrite it")
        }
        guard stat(request.inputPath, &info) == 0 else { throw .invalidRequest("cannot read \(request.inputPath)") }
        let input = URL(fileURLWithPath: request.inputPath).standardizedFileURL.resolvingSymlinksInPath().path
        let fullIdentity = "\(identity)\ninput \(input) \(info.st_size) bytes, modified \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)\nsegments \(segmentSeconds) s"
        let path = directory + "/" + Self.journalName
        if let data = FileManager.default.contents(atPath: path), let old = try? JSONDecoder().decode(Journal.self, from: data) {
            if !resume {
                notes.append("--no-resume: starting over (an interrupted run's \(old.done.count) finished segments discarded)")
            } else if old.identity != fullIdentity || old.version != 1 {
                notes.append("the input, model or options changed since the interrupted run on this output: starting over")
            } else {
                journal = old
                // A piece counts only if it is there, whole, as recorded.
                for (segment, bytes) in old.done where Self.size(of: Self.piecePath(directory, segment)) != bytes {
                    journal.done[segment] = nil
                }
                let next = journal.segments.indices.first { journal.done[$0] == nil }
                resumedAt = next.map { journal.segments[$0].first } ?? journal.frames
                if resumedAt == 0 { resumedAt = nil }
                removeStrayPieces()
                return
            }
        } else if FileManager.default.fileExists(atPath: directory) && !resume {
            notes.append("--no-resume: starting over")
        }
        try? FileManager.default.removeItem(atPath: directory)
        let index = try FrameIndex.scan(request.inputPath)
        journal = Journal(identity: fullIdentity, frames: index.frameCount, segments: index.segments(seconds: segmentSeconds), done: [:])
        guard mkdir(directory, 0o755) == 0 else {
            throw .output("cannot create the journal \(directory): \(String(cString: strerror(errno)))")
        }
        try save()
    }

    static func piecePath(_ directory: String, _ segment: Int) -> String {
        directory + "/" + String(format: "piece-%05d.nut", segment)
    }

    static func size(of path: String) -> Int64? {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : nil
    }

    /// Pieces not in the journal (one being written when the run died) are removed.
    private func removeStrayPieces() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name != Self.journalName {
            let recorded = journal.done.keys.contains { Self.piecePath(directory, $0).hasSuffix("/" + name) }
            if !recorded { unlink(directory + "/" + name) }
        }
    }

    /// Writes the journal so that a power cut leaves the old one or the new one: a temporary file, synced, renamed
    /// over it, and the directory synced.
    private func save() throws(PipelineError) {
        let path = directory + "/" + Self.journalName
        let temporary = path + ".new"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(journal),
              FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw .output("cannot write the journal \(path)")
        }
        Self.sync(temporary)
        guard rename(temporary, path) == 0 else { throw .output("cannot write the journal \(path): \(String(cString: strerror(errno)))") }
        Self.sync(directory)
    }

    static func sync(_ path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// Works the segments not yet finished, then joins every piece into the output and removes the journal.
    /// A stop request ends the run after the segment in flight is abandoned: the summary says `stoppedEarly` and
    /// the journal stays for the next run.
    public func run(stop: StopSignal = StopSignal(), progress: @escaping @Sendable (JobProgress) -> Void = { _ in }) throws(PipelineError) -> Summary {
        let clock = ContinuousClock()
        let start = clock.now
        let resumed = resumedAt ?? 0
        var done = journal.segments.indices.filter { journal.done[$0] != nil }.reduce(0) { $0 + journal.segments[$1].count }
        let total = journal.frames
        for (number, segment) in journal.segments.enumerated() where journal.done[number] == nil {
            if stop.isStopRequested { break }
            var piece = request
            piece.outputPath = Self.piecePath(directory, number)
            piece.overwrite = true
            piece.format = "nut"
            piece.segmentWork = .piece(segment)
            let before = done
            let job = try UpscaleJob(piece)
            let summary: Summary
            do {
                summary = try job.run(stop: stop) { p in
                    progress(JobProgress(frames: before + p.frames, totalFrames: total, elapsed: clock.now - start, resumedFrames: resumed))
                }
            } catch .aborted {
                break
            }
            guard summary.frames == segment.count else {
                unlink(piece.outputPath)
                if stop.isStopRequested { break }
                throw .invalidRequest("segment \(number + 1) (frames \(segment.first)..<\(segment.end)) gave \(summary.frames) frames, not \(segment.count)")
            }
            Self.sync(piece.outputPath)
            Self.sync(directory)
            journal.done[number] = Self.size(of: piece.outputPath)
            try save()
            done += segment.count
        }
        if journal.done.count < journal.segments.count {
            return Summary(frames: done, elapsed: clock.now - start, stoppedEarly: true, outputBytes: 0,
                           corruptPackets: 0, brokenPackets: 0, damagedFrames: 0, readError: nil)
        }
        var join = request
        join.segmentWork = .join(pieces: journal.segments.indices.map { Self.piecePath(directory, $0) })
        let summary = try UpscaleJob(join).run(stop: StopSignal())
        try? FileManager.default.removeItem(atPath: directory)
        return Summary(frames: summary.frames, elapsed: clock.now - start, stoppedEarly: false, outputBytes: summary.outputBytes,
                       corruptPackets: 0, brokenPackets: 0, damagedFrames: 0, readError: nil)
    }

    /// Frames done before this run started.
    public var framesDone: Int {
        journal.segments.indices.filter { journal.done[$0] != nil }.reduce(0) { $0 + journal.segments[$1].count }
    }
}

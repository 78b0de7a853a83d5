import ArgumentParser
import Foundation
import Pipeline
#if canImport(Glibc)
import Glibc
#endif

/// Writes whole lines (or a redrawn status line) to stderr, best effort: a closed, full or broken stderr loses
/// the message, never the job (as in ffmpeg); the exit status still says what happened to the work.
struct StandardError: Sendable {
    /// Says nothing at all (`--loglevel quiet`).
    var silent = false

    var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    func write(_ text: String) {
        if silent { return }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    func line(_ text: String) { write(text + "\n") }
}

/// JobProgress on stderr: one line redrawn in place with \r on a terminal, a line every few seconds otherwise.
final class ProgressPrinter: @unchecked Sendable {
    // `lastPrint` and `drewLine` are guarded by `lock`.
    private let lock = NSLock()
    private let log: StandardError
    private let enabled: Bool
    private let terminal: Bool
    private var lastPrint: Duration?
    private var drewLine = false

    init(log: StandardError, enabled: Bool) {
        self.log = log
        self.enabled = enabled
        terminal = log.isTerminal
    }

    func update(_ progress: JobProgress) {
        guard enabled else { return }
        lock.withLock {
            let interval: Duration = terminal ? .milliseconds(250) : .seconds(5)
            if let last = lastPrint, progress.elapsed - last < interval, progress.frames != progress.totalFrames { return }
            lastPrint = progress.elapsed
            let text = Self.format(progress)
            if terminal {
                log.write("\r\(text)\u{1B}[K")
                drewLine = true
            } else {
                log.line(text)
            }
        }
    }

    /// Ends a redrawn line so the summary starts on its own.
    func end() {
        lock.withLock {
            if drewLine { log.write("\n") }
            drewLine = false
        }
    }

    static func format(_ p: JobProgress) -> String {
        let seconds = p.elapsed.seconds
        let fps = seconds > 0 ? Double(p.frames - p.resumedFrames) / seconds : 0
        var text = "frame \(p.frames)"
        if let total = p.totalFrames, total > 0 {
            text += "/\(total) (\(String(format: "%.1f", min(100, 100 * Double(p.frames) / Double(total))))%)"
        }
        text += String(format: " %.1f fps", fps)
        // Past a year the estimate means nothing (and a damaged header's frame count could overflow Int).
        if let total = p.totalFrames, fps > 0, total > p.frames, case let seconds = (Double(total - p.frames) / fps).rounded(),
           seconds < 365 * 86400 {
            let left = Int(seconds)
            text += String(format: " ETA %d:%02d", left / 60, left % 60)
        }
        return text
    }
}

/// Process-wide settings made before arguments are parsed or any thread starts.
enum ProcessSetup {
    static func run() {
        // A closed standard descriptor would be handed out by the next open(), and our messages would land in the
        // output file. Each is reopened on /dev/null: stderr for writing (messages vanish), stdin and stdout the
        // other way round, so that a pipe run on them fails with EBADF instead of reading or writing nothing.
        for (fd, mode) in [(STDIN_FILENO, O_WRONLY), (STDOUT_FILENO, O_RDONLY), (STDERR_FILENO, O_WRONLY)]
        where fcntl(fd, F_GETFD) == -1 {
            let null = open("/dev/null", mode)
            if null >= 0 && null != fd {
                dup2(null, fd)
                close(null)
            }
        }
        // A reader of stdout or stderr that goes away must come back as EPIPE from write, not kill the process.
        signal(SIGPIPE, SIG_IGN)
        _ = SignalWatcher.shared
    }
}

/// SIGINT, SIGTERM, SIGHUP (a closed terminal or ssh session) and SIGQUIT: during a job the first asks it to stop
/// gracefully, a second abandons it, and ends the process after `abortGrace` even if a stage is stuck in the
/// kernel (open() of a FIFO nobody reads, a write to a stalled pipe). Outside a job a signal ends the process.
///
/// The signals are blocked in every thread and taken with sigwait on a thread of their own: a dispatch source
/// could wait behind a busy worker pool, and a thread that did not block them could swallow them. `shared` is
/// made by `ProcessSetup` before anything starts threads (FFmpeg's codecs do when opened): threads inherit the mask.
final class SignalWatcher: @unchecked Sendable {
    static let shared = SignalWatcher()
    static let handled = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
    /// How long an abandoned job gets to unwind by itself.
    static let abortGrace = 1.0

    // `first`, `stop` and `graceful` are guarded by `lock`.
    private let lock = NSLock()
    private var first: Int32?
    private var stop: StopSignal?
    private var graceful = false

    private init() {
        var signals = sigset_t()
        sigemptyset(&signals)
        for number in Self.handled { sigaddset(&signals, number) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let waiting = signals
        Thread.detachNewThread { [self] in
            var mask = waiting
            while true {
                var number: Int32 = 0
                guard sigwait(&mask, &number) == 0 else { continue }
                handle(number)
            }
        }
    }

    /// From now on a first signal is left to the job that `watch` will be given (one that comes before stops it
    /// at once).
    func expectJob() {
        lock.withLock { graceful = true }
    }

    /// The job that signals stop from now on; a signal that came earlier stops it at once.
    func watch(_ job: StopSignal) {
        let early = lock.withLock {
            stop = job
            return first != nil
        }
        if early { job.requestStop() }
    }

    private func handle(_ number: Int32) {
        let (again, job, expectsJob) = lock.withLock {
            defer { if first == nil { first = number } }
            return (first != nil, stop, graceful)
        }
        // Nothing to finish gracefully: leave as the signal would have.
        guard expectsJob else { Self.leave(number) }
        if again {
            // A stage stuck in the kernel never sees the abort: the job gets `abortGrace` to unwind by itself.
            if let job {
                job.requestAbort()
                Thread.sleep(forTimeInterval: Self.abortGrace)
            }
            StandardError().line("lutscale: \(Self.name(number)) again: aborted; no output written")
            Self.leave(number)
        }
        StandardError().line("\nlutscale: \(Self.name(number)): finishing the frames in flight (again to abort)")
        job?.requestStop()
    }

    /// Ends the process as the signal would have, removing any temporary output first. `_exit`: the threads still
    /// running may hold stdio's locks, which `exit` would wait for.
    private static func leave(_ number: Int32) -> Never {
        PendingOutputs.shared.discardAll()
        _exit(128 + number)
    }

    /// The first signal received, if any.
    var received: Int32? { lock.withLock { first } }

    static func name(_ number: Int32) -> String {
        switch number {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        case SIGQUIT: "SIGQUIT"
        default: "signal \(number)"
        }
    }
}

extension SignalWatcher {
    /// Runs a job with the signals wired to its stop request and its progress on stderr (unless `quiet`).
    func run<Summary>(quiet: Bool, log: StandardError,
                      _ job: (StopSignal, @escaping @Sendable (JobProgress) -> Void) throws -> Summary) throws -> Summary {
        let stop = StopSignal()
        watch(stop)
        let printer = ProgressPrinter(log: log, enabled: !quiet)
        defer { printer.end() }
        return try job(stop) { printer.update($0) }
    }

    /// What a run that failed with `error` exits with, after saying why: 128 + the signal for an abort, 64 for a
    /// usage error, 1 for any other failure. Exit codes thrown on purpose pass through.
    func exitCode(for error: any Error, log: StandardError) -> any Error {
        switch error {
        case let error as PipelineError:
            log.line("lutscale: error: \(error)")
            if case .aborted = error { return ExitCode(128 + (received ?? SIGINT)) }
            return ExitCode.failure
        case let error as CLIError:
            log.line("lutscale: error: \(error)")
            return ExitCode.validationFailure
        default:
            return error
        }
    }
}

extension Duration {
    /// The duration in seconds, for rates and progress lines.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

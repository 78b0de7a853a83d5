import ArgumentParser
import Foundation
import Pipeline
#if canImport(Glibc)
import Glibc
#endif

extension Upscale {
    /// Everything that decides the output besides the input file: a changed one starts a resumed job over.
    var identity: String {
        var parts = ["lutscale \(Version.number)",
                     "scale \(scaling.scale.map { String($0) } ?? "-") size \(scaling.size.map { "\($0.width)x\($0.height)" } ?? "-")",
                     "model \(scaling.modelName) planes \(scaling.planes.rawValue)",
                     "format \(encoding.format ?? "-") codec \(encoding.codec ?? "-") crf \(encoding.crf.map { String($0) } ?? "-") preset \(encoding.preset ?? "-")",
                     "streams \(perStreamSizes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })",
                     "encoder options \(encoding.encoderOptions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }) " +
                     "pixel format \(encoding.outputPixelFormat ?? "-") deinterlace \(deinterlace)"]
        // A model file: its size and time too (a model refitted under the same name changes the output).
        var info = stat()
        if stat(scaling.modelName, &info) == 0 {
            parts.append("model file \(info.st_size) bytes, modified \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)")
        }
        return parts.joined(separator: "\n")
    }

    /// A long job in segments with a journal; nil when this job is not one (it then runs whole).
    func runResumable(_ request: UpscaleRequest, log: StandardError) throws -> Bool {
        guard ResumableJob.applies(to: request, segmentSeconds: segments.segmentSeconds) else { return false }
        let signals = SignalWatcher.shared
        let job = try ResumableJob(request: request, identity: identity, segmentSeconds: segments.segmentSeconds, resume: !segments.noResume)
        if common.showsNotes {
            for note in job.notes { log.line("lutscale: note: \(note)") }
            if let at = job.resumedAt {
                log.line("lutscale: resuming at frame \(at) of \(job.totalFrames) (\(job.framesDone) frames in finished segments kept in \(job.directory))")
            } else {
                log.line("lutscale: \(job.totalFrames) frames in \(job.segmentCount) segments; an interrupted run resumes from its last finished segment")
            }
        }
        let summary = try signals.run(quiet: common.quiet, log: log) { try job.run(stop: $0, progress: $1) }
        if summary.stoppedEarly {
            if !common.quiet {
                log.line("lutscale: stopped at frame \(job.framesDone) of \(job.totalFrames); run the same command again to resume (or --no-resume to start over)")
            }
            throw ExitCode(128 + (signals.received ?? SIGINT))
        }
        if !common.quiet {
            let seconds = summary.elapsed.seconds
            log.line("lutscale: \(summary.frames) frames in \(job.segmentCount) segments, this run \(String(format: "%.1f", seconds)) s: \(request.outputPath) \(ByteCountFormatter.string(fromByteCount: summary.outputBytes, countStyle: .file))")
        }
        return true
    }
}

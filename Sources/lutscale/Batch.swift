import ArgumentParser
import Foundation
import LUTEngine
import Media
import Pipeline

/// Several inputs (files, folders of files, image sequences) into one output folder, one after the other: each job
/// has every core (its stages share one worker pool), and the model is loaded once for all.
enum Batch {
    /// More than one input, a folder as input, or as output a folder (existing, or named with a trailing /) or a
    /// pattern of names.
    static func isBatch(inputs: [String], output: String) -> Bool {
        inputs.count > 1 || inputs.contains(where: isDirectory) || output.hasSuffix("/") || isDirectory(output) || isPattern(output)
    }

    /// `{name}` (the input's name without its extension) or `{ext}` (its extension) in an output.
    static func isPattern(_ output: String) -> Bool { output.contains("{name}") || output.contains("{ext}") }

    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    /// The inputs in order, each folder replaced by its visible files sorted by name (not its subfolders).
    static func expand(_ inputs: [String]) -> [String] {
        inputs.flatMap { input -> [String] in
            guard isDirectory(input) else { return [input] }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: input)) ?? []
            return names.filter { !$0.hasPrefix(".") }.sorted()
                .map { (input as NSString).appendingPathComponent($0) }
                .filter { !isDirectory($0) }
        }
    }

    /// The output of `input`: in a folder, the same name and extension; by a pattern, `{name}` and `{ext}` replaced
    /// by them. An image sequence (`img%03d.png`) is a video named after it (`img`, `mp4`).
    static func output(for input: String, into output: String) -> String {
        var name = (input as NSString).lastPathComponent
        var ext = (name as NSString).pathExtension
        if let pattern = name.range(of: "%[0-9]*d", options: .regularExpression) {
            name.removeSubrange(pattern)
            ext = "mp4"
        }
        let stem = (name as NSString).deletingPathExtension
        if isPattern(output) { return output.replacingOccurrences(of: "{name}", with: stem).replacingOccurrences(of: "{ext}", with: ext) }
        return (output as NSString).appendingPathComponent(ext.isEmpty ? stem : stem + "." + ext)
    }
}

extension Upscale {
    /// Every input into the output folder (or by the output pattern); one that fails is reported and skipped, the others go on. Exit status
    /// 1 when any failed (128 + the signal when one stopped the batch).
    func runBatch() throws {
        let log = StandardError()
        let signals = SignalWatcher.shared
        signals.expectJob()
        MediaLog.configure(quiet: common.quiet)
        let upscaler: any PlaneUpscaler
        do {
            if !Batch.isPattern(output) { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) }
            upscaler = try ModelResolver.resolve(scaling.modelName)
        } catch {
            throw signals.exitCode(for: error, log: log)
        }
        let files = Batch.expand(inputs)
        var failed: [String] = [], taken: [String: String] = [:], done = 0
        for input in files {
            if signals.received != nil { break }
            let target = Batch.output(for: input, into: output)
            do {
                if let first = taken[target] { throw CLIError.usage("\(target) is already the output of \(first)") }
                taken[target] = input
                try upscale(input, to: target, with: upscaler, log: log)
                done += 1
            } catch {
                failed.append(input)
                log.line("lutscale: \(input): skipped: \(error)")
            }
        }
        let skipped = files.count - done - failed.count
        var line = "lutscale: batch: \(done) of \(files.count) done into \(output)"
        if !failed.isEmpty { line += "; failed: \(failed.joined(separator: ", "))" }
        if skipped > 0 { line += "; \(skipped) not started" }
        log.line(line)
        if let signal = signals.received { throw ExitCode(128 + signal) }
        if !failed.isEmpty || files.isEmpty { throw ExitCode.failure }
    }
}

import ArgumentParser
import Foundation
import Pipeline

/// Segment options of the default command (#19): one segment as a piece, the final file from pieces, and resuming.
struct SegmentOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Upscale frames A to B-1 only (numbered from 0 in presentation order) into a piece: video alone, its own GOP, the source's timestamps; join pieces with --join.",
                               valueName: "A:B"))
    var frames: FrameRangeArgument?

    @Option(help: ArgumentHelp("Upscale the frames from S to E seconds (from the first frame; E excluded) into a piece, as --frames.",
                               valueName: "S:E"))
    var time: TimeRangeArgument?

    @Option(name: .customLong("join"), parsing: .singleValue,
            help: ArgumentHelp("A piece made with --frames or --time and the same options (repeatable, in order): the output is the pieces' video remuxed with the input's audio, subtitles and metadata.",
                               valueName: "PIECE"))
    var pieces: [String] = []

    @Flag(name: .customLong("no-resume"), help: "Start over even if an interrupted run on this output left a journal.")
    var noResume = false

    @Option(name: .customLong("segment-seconds"),
            help: ArgumentHelp("Length of the segments a long job is worked in (each one finished is kept if the run is interrupted; inputs shorter than two segments run whole; 0: never).",
                               valueName: "N"), transform: decimal)
    var segmentSeconds: Double = 60

    func validate() throws {
        let given = [frames != nil, time != nil, !pieces.isEmpty].filter { $0 }.count
        guard given <= 1 else { throw ValidationError("Give one of --frames, --time and --join.") }
        guard segmentSeconds.isFinite, segmentSeconds >= 0 else { throw ValidationError("--segment-seconds must be 0 or more.") }
    }

    /// The piece or join asked for, if any (a piece's frames are found by indexing the input).
    func work(input: String) throws(PipelineError) -> SegmentWork? {
        if !pieces.isEmpty { return .join(pieces: pieces) }
        let range: Range<Int>
        let index: FrameIndex
        if let frames {
            index = try FrameIndex.scan(input)
            range = frames.start..<min(frames.end, index.frameCount)
        } else if let time {
            index = try FrameIndex.scan(input)
            range = index.frames(fromSeconds: time.start, to: time.end)
        } else {
            return nil
        }
        guard !range.isEmpty else {
            throw .invalidRequest("no frames in that range (\(input) has \(index.frameCount) frames, \(String(format: "%.3f", index.seconds(at: index.frameCount))) s)")
        }
        return .piece(index.segment(first: range.lowerBound, end: range.upperBound))
    }
}

struct FrameRangeArgument: ExpressibleByArgument {
    let start: Int
    let end: Int
    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a >= 0, b > a else { return nil }
        start = a
        end = b
    }
}

struct TimeRangeArgument: ExpressibleByArgument {
    let start: Double
    let end: Double
    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = decimalNumber(String(parts[0])), let b = decimalNumber(String(parts[1])),
              a.isFinite, b.isFinite, a >= 0, b > a else { return nil }
        start = a
        end = b
    }
}

/// `lutscale segments INPUT`: the keyframe-aligned segments a long job (or a cluster) works in.
struct Segments: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the keyframe-aligned segments of an input (for --frames pieces, e.g. on a cluster).",
        discussion: "One line per segment: first frame, end frame (excluded), start and end seconds; --json for machines.")

    @Argument(help: "Input video.") var input: String

    @Option(name: .customLong("segment-seconds"), help: ArgumentHelp("Segment length.", valueName: "N"), transform: decimal)
    var segmentSeconds: Double = 60

    @Flag(help: "Print {\"frames\": M, \"segments\": [[A, B], ...]}.") var json = false

    func validate() throws {
        guard segmentSeconds.isFinite, segmentSeconds > 0 else { throw ValidationError("--segment-seconds must be above 0.") }
    }

    func run() throws {
        let log = StandardError()
        do {
            let index = try FrameIndex.scan(input)
            let segments = index.segments(seconds: segmentSeconds)
            if json {
                let list = segments.map { "[\($0.first), \($0.end)]" }.joined(separator: ", ")
                print("{\"frames\": \(index.frameCount), \"seconds\": \(index.seconds(at: index.frameCount)), \"segments\": [\(list)]}")
            } else {
                for s in segments {
                    print("\(s.first) \(s.end) \(String(format: "%.3f", index.seconds(at: s.first))) \(String(format: "%.3f", index.seconds(at: s.end)))")
                }
            }
        } catch {
            throw SignalWatcher.shared.exitCode(for: error, log: log)
        }
    }
}


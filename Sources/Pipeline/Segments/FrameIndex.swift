import Foundation
import Media

/// The frames of an input's main video stream in presentation order, and which of them are keyframes: what cutting
/// the input into independent segments needs (#19). Made by reading the packets only (no decoding).
public struct FrameIndex: Sendable, Codable, Equatable {
    public let stream: Int
    public let timeBaseNumerator: Int32
    public let timeBaseDenominator: Int32
    /// Presentation timestamps, ascending; frame n is `pts[n]`.
    public let pts: [Int64]
    /// Frame numbers (ascending) a decoder can start from.
    public let keyframes: [Int]

    public var frameCount: Int { pts.count }
    var timeBase: Double { Double(timeBaseNumerator) / Double(timeBaseDenominator) }

    /// Seconds from the first frame to frame `n` (`frameCount` is the end of the last one, by the median spacing).
    public func seconds(at n: Int) -> Double {
        guard let first = pts.first else { return 0 }
        if n < pts.count { return Double(pts[n] - first) * timeBase }
        return Double(endPts - first) * timeBase
    }

    /// Where the last frame ends, by the median spacing of frames.
    var endPts: Int64 {
        guard let last = pts.last else { return 0 }
        guard pts.count > 1 else { return last + 1 }
        var steps = zip(pts.dropFirst(), pts).map { $0 - $1 }
        steps.sort()
        return last + max(1, steps[steps.count / 2])
    }

    /// Reads every packet of `path`'s main video stream.
    public static func scan(_ path: String) throws(PipelineError) -> FrameIndex {
        let demuxer = try PipelineError.wrap { try Demuxer(path: path) }
        let main = try PipelineError.wrap { try demuxer.bestVideoStream() }
        demuxer.discardStreams(except: [main])
        var frames: [(pts: Int64, key: Bool)] = []
        while case let .packet(packet) = try PipelineError.wrap({ try demuxer.read() }) {
            guard packet.streamIndex == main else { continue }
            guard let pts = packet.pts else {
                throw .invalidRequest("\(path): video packets without timestamps; it cannot be cut into segments")
            }
            frames.append((pts, packet.isKeyframe))
        }
        guard !frames.isEmpty else { throw .invalidRequest("the input holds no video frames (a header-only file?); nothing written") }
        frames.sort { $0.pts < $1.pts }
        for (a, b) in zip(frames, frames.dropFirst()) where a.pts == b.pts {
            throw .invalidRequest("\(path): two video frames share timestamp \(a.pts); it cannot be cut into segments")
        }
        var keyframes = frames.indices.filter { frames[$0].key }
        if keyframes.first != 0 { keyframes.insert(0, at: 0) }
        let timeBase = demuxer.streams[main].timeBase
        return FrameIndex(stream: main, timeBaseNumerator: timeBase.numerator, timeBaseDenominator: timeBase.denominator,
                          pts: frames.map(\.pts), keyframes: keyframes)
    }

    /// Segments of about `seconds` each, every one starting at a keyframe (the first at frame 0), covering every frame.
    public func segments(seconds length: Double) -> [Segment] {
        var starts = [0]
        for key in keyframes where key > 0 && seconds(at: key) - seconds(at: starts.last!) >= length {
            starts.append(key)
        }
        // A short tail joins the segment before it.
        if starts.count > 1, seconds(at: frameCount) - seconds(at: starts.last!) < length / 4 { starts.removeLast() }
        return starts.indices.map { i in
            let end = i + 1 < starts.count ? starts[i + 1] : frameCount
            return segment(first: starts[i], end: end)
        }
    }

    /// Frames `first ..< end`.
    public func segment(first: Int, end: Int) -> Segment {
        Segment(first: first, count: end - first, startPts: pts[first])
    }

    /// Frames whose time from the first frame is in `start ..< end` seconds.
    public func frames(fromSeconds start: Double, to end: Double) -> Range<Int> {
        let first = pts.indices.first { seconds(at: $0) >= start - 1e-9 } ?? frameCount
        let last = pts.indices.first { seconds(at: $0) >= end - 1e-9 } ?? frameCount
        return first..<max(first, last)
    }
}

/// Frames `first ..< first + count` of the main video stream; the first has timestamp `startPts`.
public struct Segment: Sendable, Codable, Equatable {
    public let first: Int
    public let count: Int
    public let startPts: Int64
    public var end: Int { first + count }

    public init(first: Int, count: Int, startPts: Int64) {
        self.first = first
        self.count = count
        self.startPts = startPts
    }
}

/// What an `UpscaleJob` makes besides a whole file: one segment as a piece of video only, or the final file from
/// pieces (their video packets remuxed, the source's other streams copied as a whole run copies them).
public enum SegmentWork: Sendable {
    case piece(Segment)
    case join(pieces: [String])
}

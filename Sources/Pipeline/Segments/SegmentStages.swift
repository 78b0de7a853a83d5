import Foundation
import Media
import VideoCore

/// Passes on the decoded frames of one segment: drops those before its first frame (decoding starts at the keyframe
/// at or before it), then passes exactly `segment.count` frames and releases the decoder and the source.
struct TrimStage: Stage {
    let segment: Segment
    let input: BoundedQueue<VideoFrame>
    let output: BoundedQueue<VideoFrame>
    /// The decoder's packet queue, cancelled once the segment is complete so that the source stops reading.
    let packets: BoundedQueue<Packet>
    var name: String { "trim" }

    func run(in job: JobBuilder) throws {
        defer { output.finish() }
        var passed = 0
        while passed < segment.count, let frame = input.pop() {
            guard let pts = frame.pts, pts >= segment.startPts else { continue }
            if passed == 0 && pts != segment.startPts {
                // The seek landed after the segment's first frame: the piece would miss frames.
                throw PipelineError.invalidRequest("segment at frame \(segment.first): the first frame decoded has timestamp \(pts), not \(segment.startPts) (the input changed since it was indexed?)")
            }
            guard output.push(frame) else { return }
            passed += 1
        }
        // Enough frames (or the input ended): the source and the decoder stop at their next push.
        packets.cancel()
        input.cancel()
    }
}

/// The final file of a segmented job: the pieces' video packets, in order, merged by time with the source's copied
/// streams (audio, subtitles) into one muxing queue, as the encoder and the demuxer feed it in a whole run.
struct JoinSource: Stage {
    let pieces: [Demuxer]
    let pieceTimeBase: Rational
    let source: Demuxer
    let videoStream: Int
    let copied: [Int: (output: Int, timeBase: Rational)]
    let muxing: BoundedQueue<MuxItem>
    let count: FrameCounter
    let progress: @Sendable (Int) -> Void
    var name: String { "join" }

    func run(in job: JobBuilder) throws {
        defer { muxing.push(.end) }
        var pieceIndex = 0
        var lastDts: Int64?
        var startOfPiece = true
        var ready: [Packet] = []
        /// The current piece's next packet; nil at its end.
        func readPiece() throws -> Packet? {
            while case let .packet(packet) = try pieces[pieceIndex].read() {
                if packet.streamIndex == 0 { return packet }
            }
            return nil
        }
        func nextVideo() throws -> Packet? {
            if !ready.isEmpty { return ready.removeFirst() }
            while pieceIndex < pieces.count {
                guard let packet = try readPiece() else {
                    pieceIndex += 1
                    startOfPiece = true
                    continue
                }
                defer { startOfPiece = false }
                guard startOfPiece && packet.dts == nil else { return packet }
                // A piece with reordered frames (B-frames) stored in NUT starts with packets whose decode time the
                // demuxer cannot tell: they precede the first known one by one frame step each, as the encoder made them.
                var head = [packet]
                var known: [Int64] = []
                // Reordering is a few frames deep; a piece with no decode times at all (no reordering) passes as it is.
                while known.count < 2, head.count < 32, let next = try readPiece() {
                    head.append(next)
                    if let dts = next.dts { known.append(dts) }
                }
                let missing = head.prefix { $0.dts == nil }.count
                if known.count == 2 {
                    let step = max(1, known[1] - known[0])
                    for (j, early) in head.prefix(missing).enumerated() { early.dts = known[0] - Int64(missing - j) * step }
                }
                ready = Array(head.dropFirst())
                return head[0]
            }
            return nil
        }
        func nextOther() throws -> Packet? {
            while case let .packet(packet) = try source.read() {
                if copied[packet.streamIndex] != nil { return packet }
            }
            return nil
        }
        func time(_ packet: Packet, _ timeBase: Rational) -> Double {
            Double(packet.dts ?? packet.pts ?? 0) * timeBase.doubleValue
        }
        var video = try nextVideo()
        var other = try nextOther()
        // A graceful stop does not cut the join short (it is quick, and a cut file would be worse than waiting);
        // an abort cancels the queue.
        while video != nil || other != nil {
            if let packet = video, other.map({ time(packet, pieceTimeBase) <= time($0, copied[$0.streamIndex]!.timeBase) }) ?? true {
                // Decode timestamps must rise across pieces (each piece's encoder starts its own delay).
                if let dts = packet.dts, let last = lastDts, dts <= last { packet.dts = last + 1 }
                lastDts = packet.dts
                guard muxing.push(.packet(packet, stream: videoStream, timeBase: pieceTimeBase)) else { return }
                progress(count.increment())
                video = try nextVideo()
            } else if let packet = other {
                guard muxing.push(.packet(packet, stream: copied[packet.streamIndex]!.output,
                                          timeBase: copied[packet.streamIndex]!.timeBase)) else { return }
                other = try nextOther()
            }
        }
    }
}

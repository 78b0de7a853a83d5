import Foundation
import Media
import VideoCore

extension UpscaleJob {
    /// The final file from pieces made by `.piece` jobs of the same request: their video remuxed (no re-encoding)
    /// into the output this job set up, with the source's audio, subtitles and metadata.
    func runJoin(_ paths: [String], stop: StopSignal, progress: @escaping @Sendable (JobProgress) -> Void) throws(PipelineError) -> Summary {
        let clock = ContinuousClock()
        let start = clock.now
        let main = lanes[0]
        guard !paths.isEmpty else { throw .invalidRequest("nothing to join: no pieces given") }
        var pieces: [Demuxer] = []
        var timeBase: Rational?
        for path in paths {
            let piece = try PipelineError.wrap { try Demuxer(path: path) }
            guard piece.streams.count == 1, let video = piece.streams.first, video.kind == .video,
                  video.width == main.outputWidth, video.height == main.outputHeight else {
                throw .invalidRequest("\(path) is not a piece of this job (one \(main.outputWidth)x\(main.outputHeight) video stream made with the same options and --frames or --time)")
            }
            if let timeBase, timeBase != video.timeBase {
                throw .invalidRequest("\(path) has time base \(video.timeBase), the pieces before it \(timeBase): not pieces of one job")
            }
            timeBase = video.timeBase
            pieces.append(piece)
        }
        try PipelineError.wrap { try muxer.useCodecHeaders(of: pieces[0], index: 0, for: main.outputStream) }
        let job = JobBuilder(stop: stop)
        let muxing: BoundedQueue<MuxItem> = job.queue(.muxing)
        let frames = FrameCounter()
        job.add(JoinSource(pieces: pieces, pieceTimeBase: timeBase!, source: demuxer, videoStream: main.outputStream,
                           copied: copiedStreams, muxing: muxing, count: frames,
                           progress: { progress(JobProgress(frames: $0, totalFrames: nil, elapsed: clock.now - start)) }))
        job.add(MuxSink(muxer: muxer, packets: muxing, producers: 1))
        var failure = job.wait()
        if failure == nil && frames.value == 0 { failure = .invalidRequest("the pieces hold no video frames; nothing written") }
        if let failure {
            output.discard()
            throw failure
        }
        let bytes = try output.commit()
        return Summary(frames: frames.value, elapsed: clock.now - start, stoppedEarly: false, outputBytes: bytes,
                       corruptPackets: 0, brokenPackets: 0, damagedFrames: 0, readError: nil)
    }
}

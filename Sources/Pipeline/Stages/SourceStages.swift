import Foundation
import LUTEngine
import Media
import RawVideo
import VideoCore

/// Reads a container through libavformat: packets of each upscaled stream to that stream's decoder, packets of
/// copied streams (audio, subtitles) straight to the muxer.
struct DemuxSource: Stage {
    let demuxer: Demuxer
    /// Input stream index -> the queue of its decode stage.
    let decoders: [Int: BoundedQueue<Packet>]
    /// Input stream index -> output stream and time base, for streams copied as they are.
    let copied: [Int: (output: Int, timeBase: Rational)]
    /// Nil when no stream is copied (a frame pipe's source).
    let muxing: BoundedQueue<MuxItem>?
    let readError: ReadFailure
    var name: String { "demux" }

    func run(in job: JobBuilder) {
        defer {
            for queue in decoders.values { queue.finish() }
            muxing?.push(.end)
        }
        while !job.stop.isStopRequested {
            // A read error (a truncated or garbled file) ends the input, as in the ffmpeg CLI: what was read so far
            // is still upscaled and the summary reports it.
            let next: Demuxer.ReadResult
            do {
                next = try demuxer.read()
            } catch {
                readError.record(error)
                return
            }
            guard case let .packet(packet) = next else { return }
            if let queue = decoders[packet.streamIndex] {
                guard queue.push(packet) else { return }
            } else if let copy = copied[packet.streamIndex], let muxing {
                guard muxing.push(.packet(packet, stream: copy.output, timeBase: copy.timeBase)) else { return }
            }
        }
    }
}

/// Reads y4m or headerless frames from a pipe into frames of the work format; the frame number rides in pts (the
/// preview schedule is by frame number).
struct PipeSource: Stage {
    let reader: FrameReader
    let format: RawVideoFormat
    let workFormat: PixelFormat
    let frames: BoundedQueue<VideoFrame>
    let count: FrameCounter
    let readError: ReadFailure
    var name: String { "read" }

    func run(in job: JobBuilder) throws {
        defer { frames.finish() }
        let pool = try FramePool(format: workFormat, width: format.width, height: format.height)
        while !job.stop.isStopRequested {
            let frame = try pool.frame()
            let result: FrameReadResult
            do {
                result = try reader.read(into: frame.mutablePlaneViews(format.planeCount))
            } catch {
                // A cut-short or garbled input: every complete frame before it is still written, then the run fails
                // with this error.
                readError.record(error)
                return
            }
            guard result == .frame else { return }
            frame.pts = Int64(count.increment() - 1)
            guard frames.push(frame) else { return }
        }
    }
}

/// The two pipe framings behind one call.
enum FrameReader: @unchecked Sendable {
    // Sound as the readers' own Sendable conformances: the job hands its reader to the source stage, its only user.
    case y4m(Y4MReader<FileDescriptorByteSource>)
    case raw(RawVideoReader<FileDescriptorByteSource>)

    func read(into planes: [MutablePlaneView]) throws(RawVideoError) -> FrameReadResult {
        switch self {
        case let .y4m(reader): try reader.readFrame(into: planes)
        case let .raw(reader): try reader.readFrame(into: planes)
        }
    }
}

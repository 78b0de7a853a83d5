import CFFmpeg

// What segmented work needs from FFmpeg (#19): keyframes and decode timestamps of packets, seeking a stream to a
// keyframe, and the codec headers of a piece. Kept apart from the demuxer and muxer files so that work on those
// merges cleanly.

extension Packet {
    /// Decode timestamp in its stream's time base; nil when the packet has none.
    public var dts: Int64? {
        get { pointer.pointee.dts == lutscale_nopts_value() ? nil : pointer.pointee.dts }
        set { pointer.pointee.dts = newValue ?? lutscale_nopts_value() }
    }

    /// A packet a decoder can start from.
    public var isKeyframe: Bool { pointer.pointee.flags & AV_PKT_FLAG_KEY != 0 }
}

extension Demuxer {
    /// Moves reading to the last keyframe of `stream` whose timestamp is at or before `timestamp` (in the stream's
    /// time base); the next `read()` returns packets from there on, of every stream still wanted.
    public func seek(stream: Int, toKeyframeAtOrBefore timestamp: Int64) throws(MediaError) {
        try MediaError.check(av_seek_frame(context, Int32(stream), timestamp, AVSEEK_FLAG_BACKWARD), "seeking in \(path)")
    }
}

extension Muxer {
    /// Writes timestamps as given, negative decode times included, instead of shifting the whole file to start at 0
    /// (which NUT and others do by default): a piece keeps the source's timestamps exactly.
    public func keepTimestampsAsGiven() {
        context.pointee.avoid_negative_ts = AVFMT_AVOID_NEG_TS_DISABLED
    }

    /// Gives output stream `stream` the codec headers (extradata) of stream `index` of `demuxer`: packets copied from
    /// that file (a piece) then decode with the headers they were made with.
    public func useCodecHeaders(of demuxer: Demuxer, index: Int, for stream: Int) throws(MediaError) {
        let source = demuxer.stream(index).pointee.codecpar.pointee
        let target = context.pointee.streams[stream]!.pointee.codecpar!
        av_freep(&target.pointee.extradata)
        target.pointee.extradata_size = 0
        guard source.extradata_size > 0, let bytes = source.extradata else { return }
        let size = Int(source.extradata_size)
        guard let copy = av_mallocz(size + Int(AV_INPUT_BUFFER_PADDING_SIZE))?.assumingMemoryBound(to: UInt8.self) else {
            throw .outOfMemory("codec headers")
        }
        copy.update(from: bytes, count: size)
        target.pointee.extradata = copy
        target.pointee.extradata_size = Int32(size)
    }
}

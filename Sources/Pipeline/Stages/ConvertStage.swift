import Media
import VideoCore

/// Work-format frames -> the encoder's format, one conversion after the other (a change of YUV matrix goes
/// through 16-bit RGB); with no conversion, frames are only relabelled (yuv420p -> yuvj420p, the same layout).
struct ConvertStage: Stage {
    let steps: [(format: PixelFormat, color: ColorInfo)]
    let format: PixelFormat
    let color: ColorInfo
    let size: PlaneSize
    let encoderFormat: PixelFormat
    let input: BoundedQueue<VideoFrame>
    let converted: BoundedQueue<VideoFrame>
    var name: String { "convert" }

    func run(in job: JobBuilder) throws {
        defer { converted.finish() }
        var (format, color) = (self.format, self.color)
        let converters = try steps.map { step throws(MediaError) in
            defer { (format, color) = (step.format, step.color) }
            return try FrameConverter(width: size.width, height: size.height, format: format, color: color,
                                      toWidth: size.width, height: size.height, format: step.format, color: step.color)
        }
        while var frame = input.pop() {
            for converter in converters { frame = try converter.convert(frame) }
            if converters.isEmpty { frame.format = encoderFormat }
            guard converted.push(frame) else { return }
        }
    }
}

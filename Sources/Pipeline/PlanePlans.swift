import LUTEngine
import VideoCore

/// How each plane after the first reaches the output size.
enum OtherPlaneMethod: Sendable {
    /// swscale on the plane alone; the scaler is made per stage so that it has a single owner.
    case swscale(from: PlaneSize, to: PlaneSize, bitDepth: Int)
    case upscaler(any UpscalePlan)

    /// The same method for a plane of another input size (a stream that changes size midway), same output size.
    func replanned(from input: PlaneSize, upscaler: any PlaneUpscaler) throws(PipelineError) -> OtherPlaneMethod {
        switch self {
        case let .swscale(_, to, bitDepth):
            return .swscale(from: input, to: to, bitDepth: bitDepth)
        case let .upscaler(plan):
            return .upscaler(try PipelineError.wrap { try upscaler.makePlan(input: input, output: plan.output, bitDepth: plan.bitDepth) })
        }
    }
}

/// The plans of every plane of a stream, made once when a job is set up (file and pipe jobs alike): the upscaler on
/// plane 0 (and on every plane in `all` mode), swscale Lanczos on the others.
struct PlanePlans: Sendable {
    let luma: any UpscalePlan
    let others: [OtherPlaneMethod]

    init(luma: any UpscalePlan, others: [OtherPlaneMethod]) {
        self.luma = luma
        self.others = others
    }

    /// `input` and `output`: the size of each plane, plane 0 first.
    init(upscaler: any PlaneUpscaler, mode: PlaneMode, bitDepth: Int, input: [PlaneSize], output: [PlaneSize]) throws(PipelineError) {
        luma = try PipelineError.wrap { try upscaler.makePlan(input: input[0], output: output[0], bitDepth: bitDepth) }
        var others: [OtherPlaneMethod] = []
        for (from, to) in zip(input, output).dropFirst() {
            if mode == .all {
                others.append(.upscaler(try PipelineError.wrap { try upscaler.makePlan(input: from, output: to, bitDepth: bitDepth) }))
            } else {
                others.append(.swscale(from: from, to: to, bitDepth: bitDepth))
            }
        }
        self.others = others
    }
}

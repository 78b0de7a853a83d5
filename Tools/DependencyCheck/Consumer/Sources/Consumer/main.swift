// Upscales a small gradient with bicubic through the library's public API, as a dependent package would.
import LUTEngine
import VideoCore

let input = PlaneBuffer(width: 8, height: 8, samples: (0..<64).map { UInt8($0 * 4) })
let output = PlaneBuffer(size: PlaneSize(width: 16, height: 16), bitDepth: 8)
let plan = try Resampler(kernel: .bicubic).makePlan(input: input.size, output: output.size, bitDepth: 8)
plan.renderParallel(input.view, into: output.mutableView)
print("LUTEngine as a versioned dependency: bicubic 8x8 -> 16x16 ok, kernels \(KernelTier.active)")

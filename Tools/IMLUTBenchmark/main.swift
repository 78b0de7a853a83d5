// lutscale-bench-imlut: imlut engine speed on a luma plane for 1280x720 -> 3840x2160 (x3) and 960x540 -> 2400x1350
// (x2.5), per worker count and bit depth.
//
// Usage: lutscale-bench-imlut [--model PATH.lut] [--runs N] [--workers 1,2] [--bits 8,10]
//                             [--levels L] [--refine-levels L] [--mix S,D,..] [--refine S,..|none] [--rotations 1|4]
//                             [--cases x3,x2.5]
// Without --model, a seeded random model of the contract's shape (bins 1.5/2/3/4, 3x3 nodes, all 5 interpolators)
// with the given luts (default: the training tool's mix S:7, refine S:9, 4 rotations); the input is a synthetic
// plane with gradients, texture and edges.
import Foundation
import LUTEngine

var modelPath: String?
var runs = 7
var workerCounts = [1, 2]
var bitDepths = [8]
var levelCount = 7
var refineLevelCount = 9
var mixPatterns: [LUTModelSpec.Pattern] = [.s]
var refinePatterns: [LUTModelSpec.Pattern]? = [.s]
var rotations = 4
var cases = ["x3", "x2.5"]

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("lutscale-bench-imlut: \(message)\n".utf8))
    exit(2)
}

func patterns(_ text: String) -> [LUTModelSpec.Pattern] {
    text.split(separator: ",").map { name in
        guard let pattern = LUTModelSpec.Pattern(rawValue: String(name)) else { fail("unknown pattern \(name)") }
        return pattern
    }
}

var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard let value = arguments.popFirst() else { fail("missing value after \(flag)") }
    switch flag {
    case "--model": modelPath = value
    case "--runs": runs = max(1, Int(value) ?? runs)
    case "--workers": workerCounts = value.split(separator: ",").compactMap { Int($0) }
    case "--bits": bitDepths = value.split(separator: ",").compactMap { Int($0) }
    case "--levels": levelCount = max(2, min(65, Int(value) ?? levelCount))
    case "--refine-levels": refineLevelCount = max(2, min(65, Int(value) ?? refineLevelCount))
    case "--mix": mixPatterns = patterns(value)
    case "--refine": refinePatterns = value == "none" ? nil : patterns(value)
    case "--rotations": rotations = value == "1" ? 1 : 4
    case "--cases": cases = value.split(separator: ",").map(String.init)
    default: fail("unknown option \(flag)")
    }
}

/// SplitMix64, so the synthetic model is the same in every run.
struct Seeded: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@MainActor func syntheticModel() -> IMLUTSpec {
    var g = Seeded(state: 1)
    let bins = [1.5, 2, 3, 4], nodes = 3, interpolators = IMLUTSpec.Interpolator.allCases
    func lut(_ pattern: LUTModelSpec.Pattern, outputs: Int, scale: Double) -> LUTModelSpec.LUT {
        let count = outputs == bins.count ? refineLevelCount : levelCount
        let levels = (0..<count).map { 256 * $0 / (count - 1) }, entries = count * count * count * count
        return .init(pattern: pattern, rotations: rotations, levels: levels,
              table: .init(entries: entries, outputs: outputs, scale: scale,
                           values: .int8((0..<entries * outputs).map { _ in Int8.random(in: -20...100, using: &g) })))
    }
    let lookups = Double(mixPatterns.count * rotations)
    return IMLUTSpec(name: "synthetic", maxScale: 8, scaleBins: bins, phaseNodes: nodes, interpolators: interpolators,
                     mix: mixPatterns.map { lut($0, outputs: bins.count * nodes * nodes * interpolators.count, scale: 1 / (40 * lookups)) },
                     refine: refinePatterns.map { $0.map { lut($0, outputs: bins.count, scale: 1 / 16) } })
}

let spec: IMLUTSpec
do {
    spec = try modelPath.map { try IMLUTModel.load(path: $0).spec } ?? syntheticModel()
} catch { fail("\(error)") }
let model: IMLUTModel
do { model = try IMLUTModel(spec) } catch { fail("\(error)") }
print("model \(spec.name): mix \(spec.mix.map { "\($0.pattern.rawValue)x\($0.rotations):\($0.levels.count)" }.joined(separator: "+")), "
      + "refine \(spec.refine.map { $0.map { "\($0.pattern.rawValue)x\($0.rotations):\($0.levels.count)" }.joined(separator: "+") } ?? "none"), "
      + "N \(spec.phaseNodes), K \(spec.interpolators.count)")

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// CPU time of the whole process: on a busy machine, CPU ms / workers is what the wall time would be alone.
func processCPUMilliseconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
}

let sizes = ["x3": (PlaneSize(width: 1280, height: 720), PlaneSize(width: 3840, height: 2160)),
             "x2.5": (PlaneSize(width: 960, height: 540), PlaneSize(width: 2400, height: 1350))]
for (input, output) in cases.compactMap({ sizes[$0] }) {
    for bitDepth in bitDepths {
        let samples = (0..<input.height).flatMap { y in
            (0..<input.width).map { x in
                let v = 128 + 60 * sin(Double(x) / 37) * cos(Double(y) / 23) + 40 * sin(Double(x * y) / 5000)
                return UInt16(max(0, min(255, v + Double((x ^ y) & 7)))) << (bitDepth - 8)
            }
        }
        let source = bitDepth > 8 ? PlaneBuffer(width: input.width, height: input.height, bitDepth: bitDepth, samples: samples)
            : PlaneBuffer(width: input.width, height: input.height, samples: samples.map { UInt8($0) })
        let destination = PlaneBuffer(size: output, bitDepth: bitDepth)
        let planStart = DispatchTime.now().uptimeNanoseconds
        let plan: any UpscalePlan
        do { plan = try model.makePlan(input: input, output: output, bitDepth: bitDepth) } catch { fail("\(error)") }
        let planMs = Double(DispatchTime.now().uptimeNanoseconds - planStart) / 1e6
        for workers in workerCounts {
            plan.renderParallel(source.view, into: destination.mutableView, workers: workers)
            var times: [Double] = [], cpuTimes: [Double] = []
            for _ in 0..<runs {
                let cpuStart = processCPUMilliseconds()
                let start = DispatchTime.now().uptimeNanoseconds
                plan.renderParallel(source.view, into: destination.mutableView, workers: workers)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                cpuTimes.append(processCPUMilliseconds() - cpuStart)
            }
            print("\(input) -> \(output) \(bitDepth)-bit \(workers) worker\(workers == 1 ? " " : "s")"
                  + String(format: "  %7.1f ms/frame wall (median of %d, min %.1f), CPU %.1f ms/frame (min %.1f); plan %.0f ms",
                           median(times), runs, times.min()!, median(cpuTimes), cpuTimes.min()!, planMs))
        }
    }
}

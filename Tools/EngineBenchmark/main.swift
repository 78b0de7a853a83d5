// lutscale-bench-engine: LUT engine speed on a luma plane, by default 1280x720 -> x3 (3840x2160).
//
// Usage: lutscale-bench-engine [--model PATH] [--runs N] [--frame VIDEO|FILE.gray|none] [--bits 8,10,16]
//                              [--workers N,M] [--rotations 1,4] [--size WxH]
// The input is the first frame's luma of VIDEO (decoded with the ffmpeg CLI), a raw WxH 8-bit FILE.gray,
// or a synthetic plane. Workers default to all cores and one.
import Foundation
import LUTEngine

var modelPath = "../shared/reference/srlut/Model_S_x3_4bit_int8.npy"
var runs = 15
var video: String? = "Samples/cockatoo.mp4"
var bitDepths = [8]
var workerCounts = Set([activeProcessorCount, 1]).sorted(by: >)
var rotationCounts = [1, 4]
var size = PlaneSize(width: 1280, height: 720)
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("lutscale-bench-engine: \(message)\n".utf8))
    exit(2)
}

var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard let value = arguments.popFirst() else { fail("missing value after \(flag)") }
    switch flag {
    case "--model": modelPath = value
    case "--runs": runs = max(1, Int(value) ?? runs)
    case "--frame": video = value == "none" ? nil : value
    case "--bits": bitDepths = value.split(separator: ",").compactMap { Int($0) }
    case "--workers": workerCounts = value.split(separator: ",").compactMap { Int($0) }
    case "--rotations": rotationCounts = value.split(separator: ",").compactMap { Int($0) }
    case "--size":
        let parts = value.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ $0 > 0 }) else { fail("--size wants WxH, e.g. 1920x1080") }
        size = PlaneSize(width: parts[0], height: parts[1])
    default: fail("unknown option \(flag)")
    }
}


@MainActor func firstFrameLuma(_ path: String) -> [UInt8]? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    if path.hasSuffix(".gray") {
        let data = FileManager.default.contents(atPath: path) ?? Data()
        return data.count == size.width * size.height ? [UInt8](data) : nil
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["ffmpeg", "-v", "error", "-i", path, "-frames:v", "1", "-vf", "scale=\(size.width):\(size.height)",
                         "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    let pipe = Pipe()
    process.standardOutput = pipe
    guard (try? process.run()) != nil else { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return data.count == size.width * size.height ? [UInt8](data) : nil
}

/// Smooth gradients with texture and edges, so table accesses look like a natural image's.
@MainActor func syntheticLuma() -> [UInt8] {
    (0..<size.height).flatMap { y in
        (0..<size.width).map { x in
            let v = 128 + 60 * sin(Double(x) / 37) * cos(Double(y) / 23) + 40 * sin(Double(x * y) / 5000)
            return UInt8(max(0, min(255, v + Double((x ^ y) & 7))))
        }
    }
}

let luma = video.flatMap(firstFrameLuma) ?? syntheticLuma()
let source8 = PlaneBuffer(width: size.width, height: size.height, samples: luma)

/// CPU time of the whole process: on a busy machine, CPU ms / workers is what the wall time would be alone.
func processCPUMilliseconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

@MainActor func bench(_ model: LUTModel, label: String, bitDepth: Int, workers: Int) {
    let source = bitDepth == 8 ? source8
        : PlaneBuffer(width: size.width, height: size.height, bitDepth: bitDepth, samples: luma.map { UInt16($0) << (bitDepth - 8) })
    let output = PlaneSize(width: size.width * model.scale, height: size.height * model.scale)
    let plan: any UpscalePlan
    do { plan = try model.makePlan(input: size, output: output, bitDepth: bitDepth) } catch { fail("\(error)") }
    let destination = PlaneBuffer(size: output, bitDepth: bitDepth)
    plan.renderParallel(source.view, into: destination.mutableView, workers: workers)  // warm-up
    var times: [Double] = [], cpuTimes: [Double] = []
    for _ in 0..<runs {
        let cpuStart = processCPUMilliseconds()
        let start = DispatchTime.now().uptimeNanoseconds
        plan.renderParallel(source.view, into: destination.mutableView, workers: workers)
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        cpuTimes.append(processCPUMilliseconds() - cpuStart)
    }
    let ms = median(times)
    let megapixels = Double(output.width * output.height) / 1e6
    let line = "\(label.padding(toLength: 12, withPad: " ", startingAt: 0)) \(bitDepth)-bit \(workers) worker\(workers == 1 ? " " : "s")"
    print(line + String(format: "  %7.2f ms  %6.1f fps  %7.1f Mpx/s out   (min %.2f ms; CPU %.2f ms per frame)",
                        ms, 1000 / ms, megapixels / ms * 1000, times.min()!, median(cpuTimes)))
}

let fourRotations: LUTModel, oneRotation: LUTModel
do {
    fourRotations = try LUTModel.load(path: modelPath)
    var spec = fourRotations.spec
    for s in spec.stages.indices { for l in spec.stages[s].luts.indices { spec.stages[s].luts[l].rotations = 1 } }
    oneRotation = try LUTModel(spec)
} catch {
    fail("\(error)")
}

print("\(fourRotations.name): \(size.width)x\(size.height) -> x\(fourRotations.scale), median of \(runs) runs, input \(video.map { "first frame of \($0)" } ?? "synthetic"), \(activeProcessorCount) cores")
for bits in bitDepths {
    for workers in workerCounts {
        if rotationCounts.contains(1) { bench(oneRotation, label: "1 rotation", bitDepth: bits, workers: workers) }
        if rotationCounts.contains(4) { bench(fourRotations, label: "4 rotations", bitDepth: bits, workers: workers) }
    }
}

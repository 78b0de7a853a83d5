// lutscale-bench-engine: LUT engine speed on a luma plane, by default 1280x720 -> x3 (3840x2160).
//
// Usage: lutscale-bench-engine [--model PATH] [--runs N] [--frame VIDEO|FILE.gray|none] [--bits 8,10,16]
//                              [--workers N,M] [--rotations 1,4] [--size WxH] [--compare yes|no]
// The input is the first frame's luma of VIDEO (decoded with the ffmpeg CLI), a raw WxH 8-bit FILE.gray,
// or a synthetic plane. Workers default to all cores and one. `--compare no` skips swscale and our resamplers
// (the LUT model alone, e.g. under callgrind).
import Foundation
import LUTEngine
import Media

var modelPath = "../shared/reference/srlut/Model_S_x3_4bit_int8.npy"
var runs = 15
var video: String? = "Samples/cockatoo.mp4"
var bitDepths = [8]
var workerCounts = Set([activeProcessorCount, 1]).sorted(by: >)
var rotationCounts = [1, 4]
var size = PlaneSize(width: 1280, height: 720)
var compare = true
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
    case "--compare": compare = value != "no"
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

/// Median wall and CPU milliseconds of `runs` calls of `body`, after one warm-up call.
@MainActor func measure(_ body: () -> Void) -> (ms: Double, min: Double, cpu: Double) {
    body()
    var times: [Double] = [], cpuTimes: [Double] = []
    for _ in 0..<runs {
        let cpuStart = processCPUMilliseconds()
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        cpuTimes.append(processCPUMilliseconds() - cpuStart)
    }
    return (median(times), times.min()!, median(cpuTimes))
}

/// fps of the swscale bicubic line of the 8-bit one-worker run: the ratio column's denominator.
var swscaleBicubicFPS: Double?

@MainActor func report(_ label: String, bitDepth: Int, workers: Int, output: PlaneSize, _ m: (ms: Double, min: Double, cpu: Double)) {
    let megapixels = Double(output.width * output.height) / 1e6
    let ratio = swscaleBicubicFPS.map { String(format: "  %5.2fx swscale bicubic", 1000 / m.ms / $0) } ?? ""
    let line = "\(label.padding(toLength: 16, withPad: " ", startingAt: 0)) \(bitDepth)-bit \(workers) worker\(workers == 1 ? " " : "s")"
    print(line + String(format: "  %7.2f ms  %6.1f fps  %7.1f Mpx/s out   (min %.2f ms; CPU %.2f ms per frame)",
                        m.ms, 1000 / m.ms, megapixels / m.ms * 1000, m.min, m.cpu) + ratio)
}

@MainActor func source(bitDepth: Int) -> PlaneBuffer {
    bitDepth == 8 ? source8
        : PlaneBuffer(width: size.width, height: size.height, bitDepth: bitDepth, samples: luma.map { UInt16($0) << (bitDepth - 8) })
}

@MainActor func bench(_ upscaler: any PlaneUpscaler, scale: Int, label: String, bitDepth: Int, workers: Int) {
    let source = source(bitDepth: bitDepth)
    let output = PlaneSize(width: size.width * scale, height: size.height * scale)
    let plan: any UpscalePlan
    do { plan = try upscaler.makePlan(input: size, output: output, bitDepth: bitDepth) } catch { fail("\(error)") }
    let destination = PlaneBuffer(size: output, bitDepth: bitDepth)
    report(label, bitDepth: bitDepth, workers: workers, output: output,
           measure { plan.renderParallel(source.view, into: destination.mutableView, workers: workers) })
}

/// The same plane through FFmpeg's swscale (one thread, as FFmpeg 5.1 runs it per plane).
@MainActor func benchSwscale(_ filter: PlaneScaler.Filter, scale: Int, bitDepth: Int) -> Double {
    let source = source(bitDepth: bitDepth)
    let output = PlaneSize(width: size.width * scale, height: size.height * scale)
    let destination = PlaneBuffer(size: output, bitDepth: bitDepth)
    let scaler: PlaneScaler
    do {
        scaler = try PlaneScaler(from: (size.width, size.height), to: (output.width, output.height), bitDepth: bitDepth, filter: filter)
    } catch { fail("\(error)") }
    let from = FramePlane(base: UnsafeMutableRawPointer(mutating: source.view.base), bytesPerRow: source.bytesPerRow,
                          width: size.width, height: size.height, bitDepth: bitDepth)
    let to = FramePlane(base: destination.mutableView.base, bytesPerRow: destination.bytesPerRow,
                        width: output.width, height: output.height, bitDepth: bitDepth)
    let m = measure { withExtendedLifetime((source, destination)) { scaler.scale(from, into: to) } }
    report("swscale \(filter)", bitDepth: bitDepth, workers: 1, output: output, m)
    return 1000 / m.ms
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
let scale = fourRotations.scale
for bits in bitDepths {
    if compare {
        let bicubicFPS = benchSwscale(.bicubic, scale: scale, bitDepth: bits)
        if bits == bitDepths.first { swscaleBicubicFPS = bicubicFPS }
        _ = benchSwscale(.lanczos, scale: scale, bitDepth: bits)
    }
    for workers in workerCounts {
        if rotationCounts.contains(1) { bench(oneRotation, scale: scale, label: "1 rotation", bitDepth: bits, workers: workers) }
        if rotationCounts.contains(4) { bench(fourRotations, scale: scale, label: "4 rotations", bitDepth: bits, workers: workers) }
        for kernel in [ResamplingKernel.bicubic, .lanczos3] where compare {
            bench(Resampler(kernel: kernel), scale: scale, label: "ours \(kernel)", bitDepth: bits, workers: workers)
        }
    }
}

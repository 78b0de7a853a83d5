// lutscale-bench-engine: LUT engine speed on a luma plane, by default 1280x720 -> x3 (3840x2160), beside FFmpeg's
// swscale and our resamplers on the same plane in the same run. The input is the first frame's luma of a video
// (decoded with the ffmpeg CLI), a raw WxH 8-bit .gray file, or a synthetic plane.
import ArgumentParser
import BenchSupport
import Foundation
import LUTEngine
import Media
import VideoCore

struct EngineBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lutscale-bench-engine",
                                                    abstract: "Time the fixed-scale LUT engine against swscale on a luma plane.")

    @Option(help: ArgumentHelp("A fixed-scale .lut or SR-LUT .npy model.", valueName: "PATH"))
    var model = "../shared/reference/srlut/Model_S_x3_4bit_int8.npy"
    @Option(help: "Timed runs per case (the median is reported).")
    var runs = 15
    @Option(help: ArgumentHelp("Input: a video (its first frame), a WxH 8-bit .gray file, or none (synthetic).", valueName: "PATH|none"))
    var frame = "Samples/cockatoo.mp4"
    @Option(help: ArgumentHelp("Bit depths, comma-separated.", valueName: "8,10,16"))
    var bits = "8"
    @Option(help: ArgumentHelp("Worker counts, comma-separated (default: all cores and one).", valueName: "N,M"))
    var workers: String?
    @Option(help: ArgumentHelp("Rotation counts to time, comma-separated.", valueName: "1,4"))
    var rotations = "1,4"
    @Option(help: ArgumentHelp("Input size.", valueName: "WxH"))
    var size = "1280x720"
    @Option(help: ArgumentHelp("'no' times the LUT model alone (e.g. under callgrind), without swscale and our resamplers.", valueName: "yes|no"))
    var compare = "yes"
    @Option(help: ArgumentHelp("Kernel tiers to time side by side, comma-separated, or 'all' this CPU has (default: the active one).",
                               valueName: "all|baseline,avx2,avx512,avx512icl"))
    var kernels: String?

    func validate() throws {
        guard runs > 0 else { throw ValidationError("--runs must be positive.") }
        guard planeSize != nil else { throw ValidationError("--size wants WxH, e.g. 1920x1080.") }
        guard let depths = positiveIntegers(bits), depths.allSatisfy([8, 10, 12, 16].contains) else {
            throw ValidationError("--bits takes depths of 8, 10, 12 or 16, comma-separated.")
        }
        guard workers.map({ positiveIntegers($0) != nil }) ?? true else { throw ValidationError("--workers takes positive counts, comma-separated.") }
        guard let counts = positiveIntegers(rotations), counts.allSatisfy([1, 4].contains) else { throw ValidationError("--rotations takes 1 and/or 4.") }
        guard compare == "yes" || compare == "no" else { throw ValidationError("--compare is yes or no.") }
        guard let tiers = kernelTiers, !tiers.isEmpty, tiers.allSatisfy(\.isAvailable) else {
            throw ValidationError("--kernels takes 'all' or tiers this CPU runs: \(KernelTier.available.map(\.description).joined(separator: ", ")).")
        }
    }

    var kernelTiers: [KernelTier]? {
        guard let kernels else { return [.active] }
        if kernels == "all" { return KernelTier.available }
        let names = kernels.split(separator: ",").map(String.init)
        let tiers = names.compactMap { name in KernelTier.allCases.first { $0.description == name } }
        return tiers.count == names.count ? tiers : nil
    }

    var planeSize: PlaneSize? {
        let parts = size.split(separator: "x").compactMap { Int($0) }
        return parts.count == 2 && parts.allSatisfy({ $0 > 0 }) ? PlaneSize(width: parts[0], height: parts[1]) : nil
    }

    /// The first frame's luma at `size`, or nil when the input cannot give it.
    func firstFrameLuma(_ path: String, size: PlaneSize) -> [UInt8]? {
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

    func run() throws {
        let size = planeSize!
        let fromFile = frame == "none" ? nil : firstFrameLuma(frame, size: size)
        let luma = fromFile ?? syntheticLuma(width: size.width, height: size.height)
        func source(bitDepth: Int) -> PlaneBuffer {
            bitDepth == 8 ? PlaneBuffer(width: size.width, height: size.height, samples: luma)
                : PlaneBuffer(width: size.width, height: size.height, bitDepth: bitDepth, samples: luma.map { UInt16($0) << (bitDepth - 8) })
        }
        let fourRotations = try LUTModel.load(path: model)
        var spec = fourRotations.spec
        for s in spec.stages.indices { for l in spec.stages[s].luts.indices { spec.stages[s].luts[l].rotations = 1 } }
        let oneRotation = try LUTModel(spec)
        let scale = fourRotations.scale
        let output = PlaneSize(width: size.width * scale, height: size.height * scale)
        let megapixels = Double(output.width * output.height) / 1e6
        // fps of swscale bicubic on the first bit depth: the ratio column's denominator.
        var bicubicFPS: Double?
        func report(_ label: String, bitDepth: Int, workers: Int, _ t: Timing) {
            let ratio = bicubicFPS.map { String(format: "  %5.2fx swscale bicubic", 1000 / t.ms / $0) } ?? ""
            let line = "\(label.padding(toLength: 26, withPad: " ", startingAt: 0)) \(bitDepth)-bit \(workers) worker\(workers == 1 ? " " : "s")"
            print(line + String(format: "  %7.2f ms  %6.1f fps  %7.1f Mpx/s out   (min %.2f ms; CPU %.2f ms per frame)",
                                t.ms, 1000 / t.ms, megapixels / t.ms * 1000, t.min, t.cpu) + ratio)
        }
        let tiers = kernelTiers!
        func plan(_ upscaler: any PlaneUpscaler, bitDepth: Int, tier: KernelTier) throws -> any UpscalePlan {
            switch upscaler {
            case let model as LUTModel: try model.makePlan(input: size, output: output, bitDepth: bitDepth, kernels: tier)
            case let resampler as Resampler: try resampler.makePlan(input: size, output: output, bitDepth: bitDepth, kernels: tier)
            default: try upscaler.makePlan(input: size, output: output, bitDepth: bitDepth)
            }
        }
        func bench(_ upscaler: any PlaneUpscaler, label: String, bitDepth: Int, workers: Int) throws {
            let source = source(bitDepth: bitDepth), destination = PlaneBuffer(size: output, bitDepth: bitDepth)
            for tier in tiers {
                let plan = try plan(upscaler, bitDepth: bitDepth, tier: tier)
                report(tiers.count > 1 ? "\(label) \(tier)" : label, bitDepth: bitDepth, workers: workers,
                       measure(runs: runs) { plan.renderParallel(source.view, into: destination.mutableView, workers: workers) })
            }
        }
        /// The same plane through FFmpeg's swscale (one thread, as FFmpeg 5.1 runs it per plane); its fps.
        func benchSwscale(_ filter: PlaneScaler.Filter, bitDepth: Int) throws -> Double {
            let source = source(bitDepth: bitDepth), destination = PlaneBuffer(size: output, bitDepth: bitDepth)
            let scaler = try PlaneScaler(from: size, to: output, bitDepth: bitDepth, filter: filter)
            let t = measure(runs: runs) { withExtendedLifetime((source, destination)) { scaler.scale(source.view, into: destination.mutableView) } }
            report("swscale \(filter)", bitDepth: bitDepth, workers: 1, t)
            return 1000 / t.ms
        }

        let depths = positiveIntegers(bits)!, rotationCounts = positiveIntegers(rotations)!
        let workerCounts = workers.flatMap(positiveIntegers) ?? Set([activeProcessorCount, 1]).sorted(by: >)
        print("\(fourRotations.name): \(size.width)x\(size.height) -> x\(scale), median of \(runs) runs, input "
              + "\(fromFile != nil ? "first frame of \(frame)" : "synthetic"), \(activeProcessorCount) cores, kernels "
              + tiers.map(\.description).joined(separator: ", "))
        for bitDepth in depths {
            if compare == "yes" {
                let fps = try benchSwscale(.bicubic, bitDepth: bitDepth)
                if bitDepth == depths.first { bicubicFPS = fps }
                _ = try benchSwscale(.lanczos, bitDepth: bitDepth)
            }
            for count in workerCounts {
                if rotationCounts.contains(1) { try bench(oneRotation, label: "1 rotation", bitDepth: bitDepth, workers: count) }
                if rotationCounts.contains(4) { try bench(fourRotations, label: "4 rotations", bitDepth: bitDepth, workers: count) }
                for kernel in [ResamplingKernel.bicubic, .lanczos3] where compare == "yes" {
                    try bench(Resampler(kernel: kernel), label: "ours \(kernel)", bitDepth: bitDepth, workers: count)
                }
            }
        }
    }
}

EngineBenchmark.main()

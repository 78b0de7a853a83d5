// lutscale-bench-imlut: imlut engine speed on a luma plane for 1280x720 -> 3840x2160 (x3) and 960x540 -> 2400x1350
// (x2.5), per worker count and bit depth. Without --model, a seeded random model of the shipped shape
// (bins 1.5/2/3/4, 2x2 nodes, constant, bilinear, bicubic, lanczos3) with the given luts; the input is a synthetic plane.
import ArgumentParser
import BenchSupport
import Foundation
import LUTEngine
import VideoCore

struct IMLUTBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lutscale-bench-imlut",
                                                    abstract: "Time the imlut engine on a luma plane.")

    @Option(help: ArgumentHelp("An imlut .lut file; without it a seeded synthetic model.", valueName: "PATH"))
    var model: String?
    @Option(help: "Timed runs per case (the median is reported).")
    var runs = 7
    @Option(help: ArgumentHelp("Worker counts, comma-separated.", valueName: "N,M"))
    var workers = "1,2"
    @Option(help: ArgumentHelp("Bit depths of the input, comma-separated.", valueName: "8,10"))
    var bits = "8"
    @Option(help: "Synthetic model: levels of each mix lut.")
    var levels = 7
    @Option(help: ArgumentHelp("Synthetic model: mix lut patterns.", valueName: "S,D,Y"))
    var mix = "S"
    @Option(help: "Synthetic model: rotations of every lut (1 or 4).")
    var rotations = 4
    @Option(help: ArgumentHelp("Cases to run.", valueName: "x3,x2.5"))
    var cases = "x3,x2.5"

    static let sizes = ["x2": (PlaneSize(width: 1920, height: 1080), PlaneSize(width: 3840, height: 2160)),
                        "x3": (PlaneSize(width: 1280, height: 720), PlaneSize(width: 3840, height: 2160)),
                        "x3.5": (PlaneSize(width: 1097, height: 617), PlaneSize(width: 3840, height: 2160)),
                        "x4": (PlaneSize(width: 960, height: 540), PlaneSize(width: 3840, height: 2160)),
                        "x2.5": (PlaneSize(width: 960, height: 540), PlaneSize(width: 2400, height: 1350))]

    func validate() throws {
        guard runs > 0, (2...65).contains(levels) else {
            throw ValidationError("--runs must be positive and --levels in 2...65.")
        }
        guard rotations == 1 || rotations == 4 else { throw ValidationError("--rotations is 1 or 4.") }
        guard positiveIntegers(workers) != nil, let depths = positiveIntegers(bits), depths.allSatisfy([8, 10, 12, 16].contains) else {
            throw ValidationError("--workers takes positive counts and --bits depths of 8, 10, 12 or 16, comma-separated.")
        }
        guard Self.patterns(mix) != nil else { throw ValidationError("--mix takes patterns such as S,D,Y.") }
        for name in cases.split(separator: ",") where Self.sizes[String(name)] == nil {
            throw ValidationError("unknown case \(name): the cases are \(Self.sizes.keys.sorted().joined(separator: ", ")).")
        }
    }

    static func patterns(_ text: String) -> [LUTModelSpec.Pattern]? {
        let values = text.split(separator: ",").compactMap { LUTModelSpec.Pattern(rawValue: String($0)) }
        return values.isEmpty || values.count != text.split(separator: ",").count ? nil : values
    }

    func syntheticModel() -> IMLUTSpec {
        var g = SplitMix64(seed: 1)
        let bins = [1.5, 2, 3, 4], nodes = 2, interpolators: [IMLUTSpec.Interpolator] = [.constant, .bilinear, .bicubic, .lanczos3]
        func lut(_ pattern: LUTModelSpec.Pattern, outputs: Int, scale: Double) -> LUTModelSpec.LUT {
            let count = levels
            let levels = (0..<count).map { 256 * $0 / (count - 1) }, entries = count * count * count * count
            return .init(pattern: pattern, rotations: rotations, levels: levels,
                         table: .init(entries: entries, outputs: outputs, scale: scale,
                                      values: .int8((0..<entries * outputs).map { _ in Int8.random(in: -20...100, using: &g) })))
        }
        let mixPatterns = Self.patterns(mix)!, lookups = Double(mixPatterns.count * rotations)
        return IMLUTSpec(name: "synthetic", maxScale: 8, scaleBins: bins, phaseNodes: bins.map { _ in nodes }, interpolators: interpolators,
                         mix: mixPatterns.map { lut($0, outputs: bins.count * nodes * nodes * interpolators.count, scale: 1 / (40 * lookups)) })
    }

    func run() throws {
        let spec = try model.map { try IMLUTModel.load(path: $0).spec } ?? syntheticModel()
        let engine = try IMLUTModel(spec)
        func describe(_ luts: [LUTModelSpec.LUT]) -> String {
            // As `lutscale models` writes them, with the rotations after the slash.
            luts.map { "\($0.pattern.rawValue):\($0.levels.count)/\($0.rotations)" }.joined(separator: "+")
        }
        print("model \(spec.name): \(spec.preStages.map { "pre " + describe($0.luts) + ", " }.joined())mix \(describe(spec.mix)), N \(spec.phaseNodes.map(String.init).joined(separator: "/")), K \(spec.interpolators.count)")
        for (input, output) in cases.split(separator: ",").compactMap({ Self.sizes[String($0)] }) {
            let luma = syntheticLuma(width: input.width, height: input.height)
            for bitDepth in positiveIntegers(bits)! {
                let source = bitDepth > 8
                    ? PlaneBuffer(width: input.width, height: input.height, bitDepth: bitDepth, samples: luma.map { UInt16($0) << (bitDepth - 8) })
                    : PlaneBuffer(width: input.width, height: input.height, samples: luma)
                let destination = PlaneBuffer(size: output, bitDepth: bitDepth)
                let planStart = DispatchTime.now().uptimeNanoseconds
                let plan = try engine.makePlan(input: input, output: output, bitDepth: bitDepth)
                let planMs = Double(DispatchTime.now().uptimeNanoseconds - planStart) / 1e6
                for count in positiveIntegers(workers)! {
                    let t = measure(runs: runs) { plan.renderParallel(source.view, into: destination.mutableView, workers: count) }
                    print("\(input) -> \(output) \(bitDepth)-bit \(count) worker\(count == 1 ? " " : "s")"
                          + String(format: "  %7.1f ms/frame wall (median of %d, min %.1f), CPU %.1f ms/frame; plan %.0f ms",
                                   t.ms, runs, t.min, t.cpu, planMs))
                }
            }
        }
    }
}

IMLUTBenchmark.main()

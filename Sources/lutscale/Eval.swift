import ArgumentParser
import Foundation
import LUTEngine
import Media
import Pipeline
import VideoCore

/// `lutscale eval`: Y PSNR and SSIM of a model on an HR/LR image set, bicubic beside it from the same run.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a model's Y PSNR and SSIM on a benchmark set (e.g. Set5), with bicubic beside it.",
        discussion: """
            Protocol: Y of BT.601 limited range from RGB, PSNR with peak 255 and SSIM (Gaussian 11x11, sigma 1.5), \
            ceil(scale) pixels shaved from every border, SR and HR compared over their common top-left area. \
            Every image in --hr needs an image of the same name in --lr.
            """
    )

    @Option(help: ArgumentHelp("Folder of high-resolution ground-truth images.", valueName: "DIR"))
    var hr: String

    @Option(help: ArgumentHelp("Folder of low-resolution images with the same file names.", valueName: "DIR"))
    var lr: String

    @Option(help: ArgumentHelp("Scale from LR to HR, any real number above 1.", valueName: "S"), transform: decimal)
    var scale: Double

    @Option(help: ArgumentHelp("Model to measure: a name (\(ModelResolver.names.joined(separator: ", ")), a shipped model) or a .lut/.npy path.",
                               valueName: "NAME|PATH"))
    var model = ModelResolver.defaultName

    @Option(help: ArgumentHelp("'luma': the model on the LR's Y plane; 'all': on R, G and B, Y taken after.", valueName: "luma|all"))
    var planes: PlaneMode = .luma

    @Option(help: ArgumentHelp("Also write each upscaled image into this folder as NAME.png, made as `lutscale LR -o SR.png` "
                               + "makes it (created if missing).", valueName: "DIR"))
    var save: String?

    @Flag(name: .customShort("y"), help: "Overwrite files of the same name in --save's folder.")
    var overwrite = false

    func validate() throws {
        guard scale.isFinite, scale > 1 else { throw ValidationError("--scale must be a number above 1, not \(scale).") }
        // No image grows past the largest side, and the shave is an Int.
        guard scale <= Double(OutputGeometry.maximumSide) else {
            throw ValidationError("--scale \(scale) is too large (at most \(OutputGeometry.maximumSide)).")
        }
        for dir in [hr, lr] {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw ValidationError("\(dir) is not a folder.")
            }
        }
    }

    func run() throws {
        let log = StandardError()
        do {
            let upscaler = try ModelResolver.resolve(model)
            let bicubic = Resampler(kernel: .bicubic)
            let names = try FileManager.default.contentsOfDirectory(atPath: hr)
                .filter { [".png", ".bmp", ".jpg", ".jpeg", ".tif", ".tiff"].contains(where: $0.lowercased().hasSuffix) }.sorted()
            guard !names.isEmpty else { throw CLIError.usage("no images in \(hr)") }
            let shave = Int(scale.rounded(.up))
            print("image".padding(toLength: 14, withPad: " ", startingAt: 0)
                  + "  \(upscaler.name) PSNR / SSIM".padding(toLength: 34, withPad: " ", startingAt: 0) + "  bicubic PSNR / SSIM")
            if let save { try FileManager.default.createDirectory(atPath: save, withIntermediateDirectories: true) }
            var sums = [0.0, 0.0, 0.0, 0.0]
            for name in names {
                let lrPath = (lr as NSString).appendingPathComponent(name)
                guard FileManager.default.fileExists(atPath: lrPath) else { throw CLIError.usage("\(lrPath) is missing (every HR image needs its LR)") }
                let high = try RGBImage.read(path: (hr as NSString).appendingPathComponent(name))
                let low = try RGBImage.read(path: lrPath)
                let truth = Metrics.luma(rgb: high.pixels)
                var row: [Double] = []
                for method in [upscaler, bicubic as any PlaneUpscaler] {
                    let (sr, width, height) = try upscaleLuma(low, with: method)
                    let w = min(width, high.width), h = min(height, high.height)
                    row.append(Metrics.psnr(sr, truth, width: w, height: h, strideA: width, strideB: high.width, shave: shave))
                    row.append(Metrics.ssim(sr, truth, width: w, height: h, strideA: width, strideB: high.width, shave: shave))
                }
                for i in 0..<4 { sums[i] += row[i] }
                if let save {
                    // Through the job the CLI runs, so that what is saved is what users get.
                    let output = (save as NSString).appendingPathComponent(((name as NSString).deletingPathExtension as NSString).appendingPathExtension("png")!)
                    _ = try UpscaleJob(UpscaleRequest(inputPath: lrPath, outputPath: output, size: .scale(scale), upscaler: upscaler,
                                                      planes: planes, overwrite: overwrite)).run()
                }
                print(name.padding(toLength: 14, withPad: " ", startingAt: 0)
                      + String(format: "  %7.3f / %.4f", row[0], row[1]).padding(toLength: 34, withPad: " ", startingAt: 0)
                      + String(format: "  %7.3f / %.4f", row[2], row[3]))
            }
            let n = Double(names.count)
            print("mean".padding(toLength: 14, withPad: " ", startingAt: 0)
                  + String(format: "  %7.3f / %.4f", sums[0] / n, sums[1] / n).padding(toLength: 34, withPad: " ", startingAt: 0)
                  + String(format: "  %7.3f / %.4f", sums[2] / n, sums[3] / n))
        } catch let error as CLIError {
            log.line("lutscale: error: \(error)")
            throw ExitCode.validationFailure
        } catch let error as MediaError {
            log.line("lutscale: error: \(error)")
            throw ExitCode.failure
        } catch let error as UpscaleError {
            log.line("lutscale: error: \(error)")
            throw ExitCode.failure
        } catch let error as PipelineError {
            log.line("lutscale: error: \(error)")
            throw ExitCode.validationFailure
        }
    }

    /// The SR image's Y (unrounded, as the protocol computes it), and its size.
    private func upscaleLuma(_ image: RGBImage, with method: any PlaneUpscaler) throws -> ([Double], Int, Int) {
        let input = PlaneSize(width: image.width, height: image.height)
        // The same checked arithmetic as an upscale: a huge --scale is refused, never an Int overflow.
        let size = try OutputGeometry.resolve(.scale(scale), width: image.width, height: image.height, alignment: (1, 1), formatName: "RGB")
        let output = PlaneSize(width: size.width, height: size.height)
        let plan = try method.makePlan(input: input, output: output, bitDepth: 8)
        let count = image.width * image.height
        func upscale(_ samples: [UInt8]) -> PlaneBuffer {
            let source = PlaneBuffer(width: image.width, height: image.height, samples: samples)
            let out = PlaneBuffer(size: output, bitDepth: 8)
            // Views do not own their buffers: keep both alive until the render returns.
            withExtendedLifetime((source, out)) { plan.renderParallel(source.view, into: out.mutableView) }
            return out
        }
        switch planes {
        case .luma:
            let y = Metrics.luma(rgb: image.pixels).map { UInt8(min(max($0.rounded(), 0), 255)) }
            return (upscale(y).samples.map(Double.init), output.width, output.height)
        case .all:
            let channels = (0..<3).map { c in upscale((0..<count).map { image.pixels[3 * $0 + c] }).samples }
            let y = (0..<output.width * output.height).map {
                Metrics.luma(r: Double(channels[0][$0]), g: Double(channels[1][$0]), b: Double(channels[2][$0]))
            }
            return (y, output.width, output.height)
        }
    }
}

/// `lutscale models`: the models that ship inside the package.
struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the shipped models with their storage, scale and Set5 figures.")

    func run() throws {
        let catalog: ModelCatalog
        do { catalog = try ShippedModels.catalog() } catch {
            StandardError().line("lutscale: error: \(error)")
            throw ExitCode.failure
        }
        func column(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        func luts(_ list: [LUTModelSpec.LUT]) -> String {
            list.map { "\($0.pattern.rawValue):\($0.levels.count)" }.joined(separator: "+")
        }
        /// "2x2", or per bin where they differ: "2x2 (x1.5-3), 3x3 (x3.5-4)".
        func nodeGrids(_ spec: IMLUTSpec) -> String {
            var runs: [(nodes: Int, bins: [Double])] = []
            for (n, bin) in zip(spec.phaseNodes, spec.scaleBins) {
                if runs.last?.nodes == n { runs[runs.count - 1].bins.append(bin) } else { runs.append((n, [bin])) }
            }
            guard runs.count > 1 else { return "\(runs[0].nodes)x\(runs[0].nodes)" }
            return runs.map { run in
                let span = run.bins.count == 1 ? String(format: "x%g", run.bins[0]) : String(format: "x%g-%g", run.bins[0], run.bins[run.bins.count - 1])
                return "\(run.nodes)x\(run.nodes) (\(span))"
            }.joined(separator: ", ")
        }
        func figures(_ list: [(scale: Double, psnr: Double)]) -> String {
            list.map { String(format: "x%g %.2f", $0.scale, $0.psnr) }.joined(separator: ", ")
        }
        // Headers tell all of this: no table is read.
        print(column("name", 24) + column("scale", 11) + "storage    Set5 Y PSNR  tables")
        for entry in catalog.entries {
            switch entry.header {
            case let .srlut(spec):
                let psnr = spec.set5PSNR.first { $0.scale == Double(spec.scale) }?.psnr
                print(column(spec.name, 24) + column("x\(spec.scale)", 11)
                      + column(String(format: "%6.0f KB", Double(entry.bytes) / 1000), 11)
                      + column(psnr.map { String(format: "%.2f dB", $0) } ?? "-", 13)
                      + spec.stages.map { luts($0.luts) }.joined(separator: " > "))
            case let .imlut(spec):
                let shape = " (\(spec.interpolators.map(\.rawValue).joined(separator: ", ")); " + nodeGrids(spec) + " phase nodes)"
                print(column(spec.name, 24) + column(String(format: "any 1-%g", spec.maxScale), 11)
                      + column(String(format: "%6.0f KB", Double(entry.bytes) / 1000), 11)
                      + column(spec.set5PSNR.isEmpty ? "-" : "below", 13)
                      + spec.preStages.map { luts($0.luts) + " > " }.joined() + "mix " + luts(spec.mix) + shape)
                if !spec.set5PSNR.isEmpty { print("  Set5 Y PSNR: " + figures(spec.set5PSNR) + " dB") }
            }
        }
        print("models in \(ShippedModels.directory.path)")
        print("auto picks, for each stream, the model with the best Set5 figure among those that serve its scale as it is "
              + "(a fixed model at its own scale, an any-scale model within its range; a tie within \(AnyScaleUpscaler.tie) dB goes to the fixed model); otherwise the smallest fixed scale "
              + "at or above the one asked for, then Lanczos to the exact size.")
    }
}

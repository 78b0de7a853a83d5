import LUTEngine

/// The model `--preview` uses when no `--model` is given: for each scale, the cheapest shipped LUT model that is
/// still real super-resolution, i.e. at least `minimumGain` dB over bicubic on Set5 at its own scale.
enum PreviewModel {
    static let minimumGain = 0.8

    /// Bicubic's Set5 Y PSNR by scale under the evaluation protocol the models' `set5_y_psnr` figures use
    /// (MATLAB-bicubic LR, BT.601 Y, shave = scale; shared/README.md). A model of another scale has nothing to be
    /// compared with, so it is never chosen.
    static let bicubicSet5: [Int: Double] = [2: 33.66, 3: 30.39, 4: 28.42]

    /// Table reads per LR pixel: every LUT of every stage, once per rotation. Runtime is close to proportional.
    static func cost(_ spec: LUTModelSpec) -> Int {
        spec.stages.reduce(0) { total, stage in total + stage.luts.reduce(0) { $0 + $1.rotations } }
    }

    /// Table bytes, the tie-break between equally many reads (smaller tables stay in cache).
    static func tableBytes(_ spec: LUTModelSpec) -> Int {
        spec.stages.reduce(0) { total, stage in total + stage.luts.reduce(0) { $0 + $1.table.byteCount } }
    }

    /// dB over bicubic on Set5 at the model's scale, from its own metadata; nil when either figure is missing.
    static func gain(_ spec: LUTModelSpec) -> Double? {
        guard let bicubic = bicubicSet5[spec.scale],
              let psnr = spec.metadata.first(where: { $0.key == "set5_y_psnr" })?.value["\(spec.scale)"]?.numberValue
        else { return nil }
        return psnr - bicubic
    }

    /// Per scale, the qualifying model with the fewest reads (then the smallest tables, then the larger gain),
    /// in order of scale.
    static func choose(_ models: [LUTModel]) -> [LUTModel] {
        let qualifying = models.compactMap { model in gain(model.spec).flatMap { $0 >= minimumGain ? (model, $0) : nil } }
        let byScale = Dictionary(grouping: qualifying) { $0.0.scale }
        return byScale.keys.sorted().map { scale in
            byScale[scale]!.min { a, b in
                let ka = (cost(a.0.spec), tableBytes(a.0.spec), -a.1), kb = (cost(b.0.spec), tableBytes(b.0.spec), -b.1)
                return ka < kb
            }!.0
        }
    }

    /// The preview upscaler over the shipped models: `AnyScaleUpscaler` over the chosen one of each scale.
    static func resolve() throws(CLIError) -> AnyScaleUpscaler {
        let shipped = try ShippedModels.load()
        let chosen = choose(shipped.map(\.model))
        guard !chosen.isEmpty else {
            throw .usage("--preview: no shipped model in \(ShippedModels.directory.path) is \(minimumGain) dB over bicubic on Set5; pass --model")
        }
        return AnyScaleUpscaler(name: "preview", models: chosen)
    }
}

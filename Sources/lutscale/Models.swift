import Foundation
import LUTEngine

/// Turns `--model` into an upscaler: the one place that knows model names.
enum ModelResolver {
    static let defaultName = "auto"
    static let classic = ["bicubic", "lanczos3", "bilinear"]
    static var names: [String] { ["auto"] + classic }

    /// `auto`: the shipped LUT models, the best one for each requested scale; a shipped model's name or a `.lut`/`.npy`
    /// path: that model at its own scale, bridged by Lanczos to any other; or a classic kernel.
    static func resolve(_ model: String) throws(CLIError) -> any PlaneUpscaler {
        let lowered = model.lowercased()
        if let kernel = ResamplingKernel(rawValue: lowered) { return Resampler(kernel: kernel) }
        if lowered == "auto" {
            let shipped = try ShippedModels.load()
            guard !shipped.isEmpty else { throw .usage("no shipped models found in \(ShippedModels.directory.path); reinstall lutscale or pass --model lanczos3") }
            return AnyScaleUpscaler(name: "auto", models: shipped.map(\.model))
        }
        if let entry = try ShippedModels.load().first(where: { $0.model.name.lowercased() == lowered }) {
            return AnyScaleUpscaler(name: entry.model.name, models: [entry.model])
        }
        guard FileManager.default.fileExists(atPath: model) else {
            let shippedNames = (try? ShippedModels.load().map(\.model.name)) ?? []
            throw .usage("unknown model '\(model)'; use one of \((names + shippedNames).joined(separator: ", ")) or a .lut/.npy file path")
        }
        do {
            let loaded = try LUTModel.load(path: model)
            return AnyScaleUpscaler(name: loaded.name, models: [loaded])
        } catch {
            throw .usage("model \(model): \(error)")
        }
    }
}

/// The LUT models that ship inside the package (`Sources/lutscale/Models`, copied beside the executable by SwiftPM).
enum ShippedModels {
    struct Entry {
        let model: LUTModel
        let path: String
        let bytes: Int
    }

    /// `LUTSCALE_MODELS` overrides where they are looked for (an installed binary without its resource folder).
    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["LUTSCALE_MODELS"] { return URL(fileURLWithPath: override) }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent("LUTScale_lutscale.resources/Models")
    }

    static func load() throws(CLIError) -> [Entry] {
        let dir = directory
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".lut") }.sorted()
        var entries: [Entry] = []
        for name in names {
            let path = dir.appendingPathComponent(name).path
            do {
                let model = try LUTModel.load(path: path)
                let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
                entries.append(Entry(model: model, path: path, bytes: bytes ?? 0))
            } catch {
                throw .usage("shipped model \(path) is damaged: \(error)")
            }
        }
        return entries
    }
}

/// Errors of the command line itself.
enum CLIError: Error, CustomStringConvertible {
    case usage(String)

    var description: String {
        switch self {
        case let .usage(text): text
        }
    }
}

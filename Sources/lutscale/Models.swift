import Foundation
import LUTEngine

/// Turns `--model` into an upscaler: the one place that knows model names.
enum ModelResolver {
    static let defaultName = "auto"
    static let classic = ["bicubic", "lanczos3", "bilinear"]
    static var names: [String] { ["auto"] + classic }

    /// `auto`: the shipped LUT models, the best one for each request (see `AnyScaleUpscaler`); a shipped model's
    /// name or a `.lut`/`.npy` path: that model (a fixed-scale one bridged by Lanczos to other scales); or a
    /// classic kernel.
    static func resolve(_ model: String) throws(CLIError) -> any PlaneUpscaler {
        let lowered = model.lowercased()
        if let kernel = ResamplingKernel(rawValue: lowered) { return Resampler(kernel: kernel) }
        if lowered == "auto" {
            let shipped = try ShippedModels.catalog()
            guard !shipped.fixed.isEmpty || !shipped.anyScale.isEmpty else {
                let places = ShippedModels.searchPath.map(\.path).joined(separator: ", ")
                throw .usage("no shipped models found (looked in \(places)); install them beside lutscale (README: Installing) or pass --model lanczos3")
            }
            return AnyScaleUpscaler(name: "auto", models: shipped.fixed.map(\.model), anyScale: shipped.anyScale.map(\.model))
        }
        let shipped = try ShippedModels.catalog()
        if let entry = shipped.fixed.first(where: { $0.model.name.lowercased() == lowered }) {
            return AnyScaleUpscaler(name: entry.model.name, models: [entry.model])
        }
        if let entry = shipped.anyScale.first(where: { $0.model.name.lowercased() == lowered }) {
            return AnyScaleUpscaler(name: entry.model.name, models: [], anyScale: [entry.model])
        }
        guard FileManager.default.fileExists(atPath: model) else {
            let shippedNames = shipped.fixed.map(\.model.name) + shipped.anyScale.map(\.model.name)
            throw .usage("unknown model '\(model)'; use one of \((names + shippedNames).joined(separator: ", ")) or a .lut/.npy file path")
        }
        do {
            switch try ShippedModels.loadAny(path: model) {
            case let .fixed(loaded): return AnyScaleUpscaler(name: loaded.name, models: [loaded])
            case let .anyScale(loaded): return AnyScaleUpscaler(name: loaded.name, models: [], anyScale: [loaded])
            }
        } catch {
            throw .usage("model \(model): \(error)")
        }
    }
}

/// The LUT models that ship inside the package (`Sources/lutscale/Models`, copied beside the executable by SwiftPM).
enum ShippedModels {
    /// A fixed-scale model.
    struct Entry {
        let model: LUTModel
        let path: String
        let bytes: Int
    }

    /// An arbitrary-scale ("imlut") model.
    struct AnyScaleEntry {
        let model: IMLUTModel
        let path: String
        let bytes: Int
    }

    struct Catalog {
        var fixed: [Entry] = []
        var anyScale: [AnyScaleEntry] = []
    }

    /// A model file of either family.
    enum Loaded {
        case fixed(LUTModel)
        case anyScale(IMLUTModel)
    }

    /// Where the models are looked for, in order: `LUTSCALE_MODELS` alone when set; else the resource folder beside
    /// the binary (the build tree, or a copy made with the binary); `../share/lutscale/models` from the binary's
    /// folder (an install under a prefix, /usr/local/bin beside /usr/local/share); the source tree the binary was
    /// built from (a binary copied alone on the machine that built it). Symbolic links to the binary are followed.
    static var searchPath: [URL] {
        if let override = ProcessInfo.processInfo.environment["LUTSCALE_MODELS"] { return [URL(fileURLWithPath: override)] }
        let folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        return [folder.appendingPathComponent("LUTScale_lutscale.resources/Models"),
                folder.appendingPathComponent("../share/lutscale/models").standardizedFileURL,
                URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Models")]
    }

    /// The first folder of `searchPath` that exists (the first one when none does, for messages).
    static var directory: URL {
        let candidates = searchPath
        return candidates.first { url in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue
        } ?? candidates[0]
    }

    /// Loads a `.lut` of any kind, or an SR-LUT `.npy`.
    static func loadAny(path: String) throws(LUTFileError) -> Loaded {
        guard path.lowercased().hasSuffix(".lut") else { return .fixed(try LUTModel.load(path: path)) }
        switch try LUTFile.readContents(path: path) {
        case let .srlut(spec): return .fixed(try LUTModel(spec))
        case let .imlut(spec): return .anyScale(try IMLUTModel(spec))
        }
    }

    /// The fixed-scale shipped models.
    static func load() throws(CLIError) -> [Entry] { try catalog().fixed }

    static func catalog() throws(CLIError) -> Catalog {
        let dir = directory
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".lut") }.sorted()
        var catalog = Catalog()
        for name in names {
            let path = dir.appendingPathComponent(name).path
            let bytes = ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil) ?? 0
            do {
                switch try loadAny(path: path) {
                case let .fixed(model): catalog.fixed.append(Entry(model: model, path: path, bytes: bytes))
                case let .anyScale(model): catalog.anyScale.append(AnyScaleEntry(model: model, path: path, bytes: bytes))
                }
            } catch {
                throw .usage("shipped model \(path) is damaged: \(error)")
            }
        }
        return catalog
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

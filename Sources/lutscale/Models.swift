import Foundation
import LUTEngine
import Pipeline

/// Turns `--model` into an upscaler: the one place that knows model names.
enum ModelResolver {
    static let defaultName = "auto"
    static let classic = ["bicubic", "lanczos3", "bilinear"]
    static var names: [String] { ["auto"] + classic }

    /// `auto`: the shipped model that serves each request best (see `AnyScaleUpscaler.pick`); a shipped model's
    /// name or a `.lut`/`.npy` path: that model (bridged by Lanczos to sizes it does not serve); or a classic
    /// kernel. Shipped models are read when first used.
    static func resolve(_ model: String) throws(CLIError) -> any PlaneUpscaler {
        if let kernel = ResamplingKernel(rawValue: model.lowercased()) { return Resampler(kernel: kernel) }
        do {
            let shipped = try ShippedModels.catalog()
            if model.lowercased() == "auto" { return try shipped.auto() }
            if let entry = shipped.entry(named: model) { return try shipped.model(entry).upscaler() }
            guard FileManager.default.fileExists(atPath: model) else {
                throw CatalogError.unknownModel(model, known: names + shipped.entries.map(\.name))
            }
            return try ModelCatalog.load(path: model).upscaler()
        } catch let error as CatalogError {
            if case .noModels = error {
                let places = ShippedModels.searchPath.map(\.path).joined(separator: ", ")
                throw .usage("no shipped models found (looked in \(places)); install them beside lutscale (README: Installing) or pass --model lanczos3")
            }
            throw .usage(error.description)
        } catch {
            throw .usage("\(error)")
        }
    }
}

/// The LUT models that ship inside the package (`Sources/lutscale/Models`, copied beside the executable by SwiftPM).
enum ShippedModels {
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

    static func catalog() throws(CLIError) -> ModelCatalog {
        do {
            return try ModelCatalog(directory: directory.path)
        } catch {
            throw .usage("shipped \(error)")
        }
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

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
            if case .noModels = error { throw .usage("\(error); reinstall lutscale or pass --model lanczos3") }
            throw .usage(error.description)
        } catch {
            throw .usage("\(error)")
        }
    }
}

/// The LUT models that ship inside the package (`Sources/lutscale/Models`, copied beside the executable by SwiftPM).
enum ShippedModels {
    /// `LUTSCALE_MODELS` overrides where they are looked for (an installed binary without its resource folder).
    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["LUTSCALE_MODELS"] { return URL(fileURLWithPath: override) }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent("LUTScale_lutscale.resources/Models")
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

import Foundation
import LUTEngine

/// Turns `--model` into an upscaler: the one place that knows model names (the LUT model registry goes here).
enum ModelResolver {
    static let defaultName = "auto"
    static let names = ["auto", "bicubic", "lanczos3", "bilinear"]

    static func resolve(_ model: String) throws(CLIError) -> any PlaneUpscaler {
        switch model.lowercased() {
        case "auto", "lanczos3": return Resampler(kernel: .lanczos3)
        case "bicubic": return Resampler(kernel: .bicubic)
        case "bilinear": return Resampler(kernel: .bilinear)
        default:
            if FileManager.default.fileExists(atPath: model) {
                throw .usage("\(model): LUT model files are not supported yet; use one of \(names.joined(separator: ", "))")
            }
            throw .usage("unknown model '\(model)'; use one of \(names.joined(separator: ", ")) or a model file path")
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

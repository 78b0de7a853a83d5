import Foundation
import LUTEngine
import VideoCore

/// Why a model could not be found or loaded.
public enum CatalogError: Error, CustomStringConvertible, Sendable {
    case noModels(directory: String)
    case unknownModel(String, known: [String])
    case damaged(path: String, LUTFileError)

    public var description: String {
        switch self {
        case let .noModels(directory): "no models found in \(directory)"
        case let .unknownModel(name, known): "unknown model '\(name)'; use one of \(known.joined(separator: ", ")) or a .lut/.npy file path"
        case let .damaged(path, error): "model \(path): \(error)"
        }
    }
}

/// The models of one folder (the shipped ones), known by their headers alone: a model's tables are read, checked
/// and kept the first time a job needs it. `auto`, the names, and preview's candidates are resolved here only.
public final class ModelCatalog: @unchecked Sendable {
    /// One model file, as its header describes it.
    public struct Entry: Sendable {
        public let name: String
        public let path: String
        public let bytes: Int
        /// The header's contents: every table's shape, no values.
        public let header: LUTFileContents
        public let facts: ModelFacts
    }

    /// A loaded model of either family.
    public enum Model: Sendable {
        case fixed(LUTModel)
        case anyScale(IMLUTModel)

        /// The model alone, bridged by Lanczos to sizes it does not serve as it is.
        public func upscaler(name: String? = nil) -> AnyScaleUpscaler {
            switch self {
            case let .fixed(model): AnyScaleUpscaler(name: name ?? model.name, models: [model])
            case let .anyScale(model): AnyScaleUpscaler(name: name ?? model.name, models: [], anyScale: [model])
            }
        }
    }

    public let directory: String
    /// Fixed-scale models in order of scale (then name), then any-scale ones: the order `AnyScaleUpscaler.pick`
    /// breaks ties in.
    public let entries: [Entry]
    // Guarded by `lock`: models loaded so far, by path.
    private let lock = NSLock()
    private var loaded: [String: Model] = [:]

    /// Reads the header of every `.lut` in `directory`; a damaged header is an error now, a damaged table when its
    /// model is first used.
    public init(directory: String) throws(CatalogError) {
        self.directory = directory
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".lut") }.sorted()
        var entries: [Entry] = []
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            let bytes = ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil) ?? 0
            do {
                let header = try LUTFile.readHeader(path: path)
                entries.append(Entry(name: header.name, path: path, bytes: bytes, header: header, facts: ModelFacts(header)))
            } catch {
                throw .damaged(path: path, error)
            }
        }
        func order(_ entry: Entry) -> (Int, Int) {
            if case let .fixed(scale) = entry.facts.reach { return (0, scale) }
            return (1, 0)
        }
        self.entries = entries.enumerated().map { (order($1), $0, $1) }.sorted { ($0.0.0, $0.0.1, $0.1) < ($1.0.0, $1.0.1, $1.1) }.map(\.2)
    }

    public func entry(named name: String) -> Entry? {
        entries.first { $0.name.lowercased() == name.lowercased() }
    }

    /// The entry's model, read and checked on first use.
    public func model(_ entry: Entry) throws(CatalogError) -> Model {
        if let model = lock.withLock({ loaded[entry.path] }) { return model }
        let model = try Self.load(path: entry.path)
        lock.withLock { loaded[entry.path] = model }
        return model
    }

    /// A model file of either family, or an SR-LUT `.npy`.
    public static func load(path: String) throws(CatalogError) -> Model {
        do {
            guard path.lowercased().hasSuffix(".lut") else { return .fixed(try LUTModel.load(path: path)) }
            switch try LUTFile.readContents(path: path) {
            case let .srlut(spec): return .fixed(try LUTModel(spec))
            case let .imlut(spec): return .anyScale(try IMLUTModel(spec))
            }
        } catch {
            throw .damaged(path: path, error)
        }
    }

    /// `auto`: for each request, the model `AnyScaleUpscaler` would pick among all of these, chosen from their
    /// headers and loaded alone.
    public func auto() throws(CatalogError) -> any PlaneUpscaler {
        guard !entries.isEmpty else { throw .noModels(directory: directory) }
        return AutoUpscaler(catalog: self)
    }

    /// Preview's candidates for `input` -> `output` (luma), best first: models that serve the request as they are, by
    /// their Set5 figure there, then the others (bridged by Lanczos; those that reach the scale first) by theirs,
    /// then Lanczos alone, which keeps up anywhere. Nothing is loaded until a candidate is tried.
    public func previewCandidates(input: PlaneSize, output: PlaneSize) -> [ModelCandidate] {
        let needed = max(Double(output.width) / Double(input.width), Double(output.height) / Double(input.height))
        let ranked = entries.enumerated().map { offset, entry in
            // Bridged, a model that reaches the scale (Lanczos then only shrinks) beats one that falls short.
            let reaches = switch entry.facts.reach {
            case let .fixed(scale): Double(scale) >= needed - 1e-9
            case let .anyScale(maxScale): maxScale >= needed
            }
            let rank = entry.facts.serves(input: input, output: output) ? 0 : reaches ? 1 : 2
            return (entry: entry, key: (rank, -(entry.facts.figure(input: input, output: output) ?? -.infinity), offset))
        }
        let best = ranked.sorted { $0.key < $1.key }.map(\.entry)
        return best.map { entry in
            ModelCandidate(name: entry.name) { () throws(CatalogError) in try self.model(entry).upscaler() }
        } + [ModelCandidate(name: "lanczos3") { Resampler(kernel: .lanczos3) }]
    }
}

/// An upscaler preview may try, made (and its model loaded) only when tried.
public struct ModelCandidate: Sendable {
    public let name: String
    let make: @Sendable () throws(CatalogError) -> any PlaneUpscaler

    public init(name: String, make: @escaping @Sendable () throws(CatalogError) -> any PlaneUpscaler) {
        self.name = name
        self.make = make
    }
}

/// `auto` over a catalog: picks from the headers, then plans with the one model picked.
struct AutoUpscaler: PlaneUpscaler {
    let catalog: ModelCatalog
    var name: String { "auto" }

    private func picked(input: PlaneSize, output: PlaneSize) throws(CatalogError) -> any PlaneUpscaler {
        guard input.width > 0, input.height > 0 else { return Resampler(kernel: .lanczos3) }
        switch AnyScaleUpscaler.pick(among: catalog.entries.map(\.facts), input: input, output: output) {
        case .resampler: return Resampler(kernel: .lanczos3)
        case let .model(index): return try catalog.model(catalog.entries[index]).upscaler(name: name)
        }
    }

    func makePlan(input: PlaneSize, output: PlaneSize, bitDepth: Int) throws(UpscaleError) -> any UpscalePlan {
        do {
            return try picked(input: input, output: output).makePlan(input: input, output: output, bitDepth: bitDepth)
        } catch let error as CatalogError {
            throw .modelUnavailable(error.description)
        } catch {
            throw error as! UpscaleError
        }
    }

    func describe(input: PlaneSize, output: PlaneSize) -> String {
        guard let upscaler = try? picked(input: input, output: output) else { return name }
        let picked = upscaler.describe(input: input, output: output)
        return picked.hasPrefix(name) ? picked : "\(name): \(picked)"
    }
}

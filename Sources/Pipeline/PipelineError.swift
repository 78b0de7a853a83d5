import LUTEngine
import Media
import RawVideo

/// Why an upscaling job could not start or did not finish.
public enum PipelineError: Error, CustomStringConvertible, Sendable {
    case media(MediaError)
    case upscale(UpscaleError)
    /// The request itself is unusable (sizes, paths, options); the text says what to change.
    case invalidRequest(String)
    case output(String)
    /// A y4m or rawvideo pipe was malformed or could not be read or written.
    case stream(RawVideoError)
    /// A second SIGINT/SIGTERM: the job was abandoned without finishing its file.
    case aborted

    public var description: String {
        switch self {
        case let .media(error): error.description
        case let .upscale(error): error.description
        case let .invalidRequest(text): text
        case let .output(text): text
        case let .stream(error): error.description
        case .aborted: "aborted; no output written"
        }
    }
}

extension PipelineError {
    /// Any error of the layers below as a `PipelineError`.
    init(_ error: any Error) {
        switch error {
        case let error as PipelineError: self = error
        case let error as MediaError: self = .media(error)
        case let error as UpscaleError: self = .upscale(error)
        case let error as RawVideoError: self = .stream(error)
        default: self = .invalidRequest("\(error)")
        }
    }

    /// Runs `body`, wrapping the typed errors of the layers below.
    static func wrap<T>(_ body: () throws -> T) throws(PipelineError) -> T {
        do {
            return try body()
        } catch {
            throw PipelineError(error)
        }
    }
}

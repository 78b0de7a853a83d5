/// Why a LUT model file (`.lut` or SR-LUT `.npy`) or a model description was refused.
///
/// Every check happens at load time; each case names the field or byte range at fault.
public enum LUTFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read or written.
    case io(path: String, reason: String)
    /// The file name does not end in `.lut` or `.npy`.
    case unknownExtension(String)
    /// The file ends before a structure it declares (what was needed, what was there).
    case truncated(String)
    /// The first 8 bytes are not `LUTSCALE`.
    case badMagic
    case unsupportedVersion(UInt32)
    /// The declared JSON header length is out of bounds.
    case badHeaderLength(String)
    /// The header is not valid UTF-8 JSON (with the byte offset of the fault).
    case badJSON(String)
    /// The JSON is well formed but a field is missing, of the wrong type or out of range (field path first).
    case badField(String)
    case unknownKind(String)
    /// The file holds a known kind other than the one the caller can use (found, wanted).
    case wrongKind(found: String, expected: String)
    case badLevels(String)
    /// A table's shape, type or placement in the payload is wrong.
    case badTable(String)
    case checksumMismatch(stored: UInt32, computed: UInt32)
    /// The `.npy` header or data do not match the SR-LUT table layout.
    case badNpy(String)
    /// The file is well formed but the engine cannot run it (e.g. more than 16 outputs per lookup).
    case unsupported(String)

    public var description: String {
        switch self {
        case let .io(path, reason): "cannot access \(path): \(reason)"
        case let .unknownExtension(path): "\(path): unknown model file type (expected .lut or .npy)"
        case let .truncated(what): "truncated file: \(what)"
        case .badMagic: "not a LUTScale model file (magic is not LUTSCALE)"
        case let .unsupportedVersion(version): "unsupported LUT format version \(version) (this build reads version 1)"
        case let .badHeaderLength(what): "bad header length: \(what)"
        case let .badJSON(what): "header is not valid JSON: \(what)"
        case let .badField(what): "bad header field: \(what)"
        case let .unknownKind(kind): "unknown model kind \"\(kind)\" (this build knows \"srlut\" and \"imlut\")"
        case let .wrongKind(found, expected): "the file holds an \"\(found)\" model where an \"\(expected)\" model is needed"
        case let .badLevels(what): "bad levels: \(what)"
        case let .badTable(what): "bad table: \(what)"
        case let .checksumMismatch(stored, computed):
            "checksum mismatch: file says \(hex(stored)), contents give \(hex(computed)) (file corrupted)"
        case let .badNpy(what): "bad .npy table: \(what)"
        case let .unsupported(what): "unsupported model: \(what)"
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}

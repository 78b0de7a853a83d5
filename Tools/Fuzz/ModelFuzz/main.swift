import LUTEngine
import VideoCore

// libFuzzer entry point (see Tools/Fuzz/README.md): every input is decoded as a .lut file (first byte even) or an
// SR-LUT .npy table (odd); with bit 1 of the first byte set, a .lut's checksum is recomputed first, so that
// mutated tables get past it to validation and the engine. A model that decodes and loads is encoded and decoded
// again (it must come back the same) and run on a small plane with the active kernels. An input may end in a thrown LUTFileError or UpscaleError, never in a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    var body = Array(bytes.dropFirst())
    if first & 3 == 2, body.count >= 4 {
        let crc = body.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<body.count - 4])) }
        for i in 0..<4 { body[body.count - 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * i)) }
    }
    do {
        let contents: LUTFileContents = first & 1 == 0 ? try LUTFile.decodeContents(body) : .srlut(try SRLUTNpy.decode(body))
        let upscaler: any PlaneUpscaler = switch contents {
        case let .srlut(spec): try LUTModel(spec)
        case let .imlut(spec): try IMLUTModel(spec)
        }
        let again = try LUTFile.decodeContents(LUTFile.encode(contents))
        precondition(again == contents, "a valid model does not survive encoding")
        let input = PlaneBuffer(width: 5, height: 3, samples: Array(body.prefix(15)) + Array(repeating: 128, count: max(0, 15 - body.count)))
        let output = PlaneSize(width: 9, height: 5)
        let plan = try upscaler.makePlan(input: input.size, output: output, bitDepth: 8)
        let destination = PlaneBuffer(size: output, bitDepth: 8)
        plan.renderParallel(input.view, into: destination.mutableView, workers: 1)
    } catch let error as LUTFileError {
        _ = error.description  // messages quote hostile bytes: they must format too
    } catch let error as UpscaleError {
        _ = error.description
    } catch {
        preconditionFailure("untyped error \(error)")
    }
    return 0
}

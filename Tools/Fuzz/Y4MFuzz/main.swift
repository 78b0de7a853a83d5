import RawVideo

// libFuzzer entry point (see Tools/Fuzz/README.md): every input goes through the y4m reader, writer and reader
// again; an input may end in frames, a clean end or an error, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzY4M(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The first byte also picks the pipe chunk size, so short reads and writes get fuzzed too.
    let chunk = 1 + Int(bytes.first ?? 0) % 97
    if let error = Y4MSelfCheck.run(bytes, readSize: chunk, writeSize: chunk).error {
        _ = error.description  // messages quote hostile bytes: they must format too
    }
    return 0
}

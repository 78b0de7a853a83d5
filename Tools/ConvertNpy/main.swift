// lutscale-convert-npy IN.npy OUT.lut [--name N]
// Converts a published SR-LUT table (NumPy .npy, int8, shape (83521, 1, r, r)) into a LUTScale .lut model,
// with provenance and licence notes in its metadata.
import Foundation
import LUTEngine

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("lutscale-convert-npy: \(message)\n".utf8))
    exit(1)
}

var positional: [String] = []
var name: String? = nil
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    if argument == "--name" {
        guard let value = arguments.popFirst(), !value.isEmpty else { fail("--name needs a value") }
        name = value
    } else if argument == "-h" || argument == "--help" {
        print("usage: lutscale-convert-npy IN.npy OUT.lut [--name N]")
        exit(0)
    } else {
        positional.append(argument)
    }
}
guard positional.count == 2 else { fail("usage: lutscale-convert-npy IN.npy OUT.lut [--name N]") }

do {
    let spec = try SRLUTNpy.read(path: positional[0], name: name)
    try LUTFile.write(spec, to: positional[1])
    // Read it back through the full validation, so a file this tool writes is known to load.
    let model = try LUTModel.load(path: positional[1])
    print("wrote \(positional[1]): \(model.name), x\(model.scale), \(spec.stages[0].luts[0].table.entries) entries")
} catch {
    fail("\(error)")
}

import Foundation
import TestSupport
import Testing
import VideoCore
@testable import LUTEngine

/// The engine against the training tools' NumPy reference forward (Tools/Training/imlut.py): a random model
/// written by their lutfile.py, an input plane and the expected outputs (Fixtures/imlut-oracle/make_fixture.py).
@Suite struct IMLUTOracleTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/imlut-oracle")

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: directory.appendingPathComponent(name))) }

    @Test func engineReproducesTheNumPyReference() throws {
        let model = try IMLUTModel.load(path: Self.directory.appendingPathComponent("model.lut").path)
        #expect(model.spec.refine != nil && model.spec.mix.count == 2 && model.spec.interpolators.count == 5)
        let input = try Self.bytes("input-13x11.gray").map(Int.init)
        let reference = ReferenceIMLUT(spec: model.spec)
        var differing = 0, referenceDiffering = 0, total = 0
        // x1, x1.5-x2.5 anisotropic, x2.5, x3, x4 and x8 (beyond the last bin).
        for (width, height) in [(13, 11), (14, 12), (20, 30), (26, 22), (33, 28), (39, 33), (52, 44), (104, 88)] {
            let expected = try Self.bytes("expected-\(width)x\(height).gray").map(Int.init)
            let size = PlaneSize(width: width, height: height)
            let ours = try IMLUTTests.render(model, input, width: 13, height: 11, output: size, bitDepth: 8, workers: 2)
            let (count, largest) = IMLUTTests.compare(ours, expected)
            // NumPy runs in float64, the engine in Float: a sample within a rounding error of a half may differ by one.
            #expect(largest <= 1, "\(width)x\(height): \(count) of \(expected.count) samples differ, by up to \(largest)")
            // The literal Double reference must agree exactly.
            let (referenceCount, _) = IMLUTTests.compare(reference.run(input, width: 13, height: 11, output: size, bitDepth: 8), expected)
            #expect(referenceCount == 0, "reference at \(width)x\(height): \(referenceCount) samples differ")
            differing += count
            referenceDiffering += referenceCount
            total += expected.count
        }
        print("imlut oracle: the engine differs from NumPy by 1 in \(differing) of \(total) samples, the reference in \(referenceDiffering)")
        #expect(differing * 1000 <= total, "\(differing) of \(total) samples differ by 1")
    }

    /// The same tables with `"ensemble": "transpose"`: the mean of the run and the transposed run.
    @Test func ensembleReproducesTheNumPyReference() throws {
        let model = try IMLUTModel.load(path: Self.directory.appendingPathComponent("model-ensemble.lut").path)
        #expect(model.spec.ensemble == .transpose)
        let input = try Self.bytes("input-13x11.gray").map(Int.init)
        var differing = 0, total = 0
        // x2.3 x 2.7 anisotropic, x3, x4.
        for (width, height) in [(20, 30), (39, 33), (52, 44)] {
            let expected = try Self.bytes("expected-ensemble-\(width)x\(height).gray").map(Int.init)
            let ours = try IMLUTTests.render(model, input, width: 13, height: 11, output: PlaneSize(width: width, height: height),
                                             bitDepth: 8, workers: 2)
            let (count, largest) = IMLUTTests.compare(ours, expected)
            #expect(largest <= 1, "\(width)x\(height): \(count) of \(expected.count) samples differ, by up to \(largest)")
            differing += count
            total += expected.count
        }
        #expect(differing * 1000 <= total, "\(differing) of \(total) samples differ by 1")
    }
}

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
        #expect(model.spec.preStages.count == 1 && model.spec.mix.count == 3 && model.spec.phaseNodes == [2, 2, 2, 3, 3] && model.spec.interpolators.count == 4)
        let input = try Self.bytes("input-13x11.gray").map(Int.init)
        let reference = ReferenceIMLUT(spec: model.spec)
        var differing = 0, referenceDiffering = 0, total = 0
        // x1, x1.5-x2.5 anisotropic, x2.5, x3, x4, x8 (beyond the last bin), x4 by x1, x1.3 by x3.4, x3.5 and x3.25
        // (a 2 x 2 bin blended with a 3 x 3 one).
        for (width, height) in [(13, 11), (14, 12), (20, 30), (26, 22), (33, 28), (39, 33), (52, 44), (104, 88), (52, 11), (17, 37),
                                (46, 38), (42, 36)] {
            let expected = try Self.bytes("expected-\(width)x\(height).gray").map(Int.init)
            let size = PlaneSize(width: width, height: height)
            let ours = try IMLUTTests.render(model, input, width: 13, height: 11, output: size, bitDepth: 8, workers: 2)
            let (count, largest) = IMLUTTests.compare(ours, expected)
            // NumPy runs in float64, the engine in fixed point and Float: a sample within a rounding error of a half may
            // differ by one.
            #expect(largest <= 1, "\(width)x\(height): \(count) of \(expected.count) samples differ, by up to \(largest)")
            // The literal Double reference must agree exactly.
            let (referenceCount, _) = IMLUTTests.compare(reference.run(input, width: 13, height: 11, output: size, bitDepth: 8), expected)
            #expect(referenceCount == 0, "reference at \(width)x\(height): \(referenceCount) samples differ")
            differing += count
            referenceDiffering += referenceCount
            total += expected.count
        }
        print("imlut oracle: the engine differs from NumPy by 1 in \(differing) of \(total) samples, the reference in \(referenceDiffering)")
        // The engine's sums are fixed point (fractions of 1/4096 of a cell where cells are not powers of two).
        #expect(differing * 200 <= total, "\(differing) of \(total) samples differ by 1")
    }

    /// The same model on a 10-bit plane (little-endian 16-bit samples).
    @Test func engineReproducesTheNumPyReferenceAt10Bits() throws {
        let model = try IMLUTModel.load(path: Self.directory.appendingPathComponent("model.lut").path)
        func samples(_ name: String) throws -> [Int] {
            let raw = try Self.bytes(name)
            return stride(from: 0, to: raw.count, by: 2).map { Int(raw[$0]) | Int(raw[$0 + 1]) << 8 }
        }
        let input = try samples("input-13x11.gray10")
        var differing = 0, total = 0
        for (width, height) in [(13, 11), (20, 30), (39, 33), (52, 44), (52, 11), (17, 37), (104, 88), (46, 38), (42, 36)] {
            let expected = try samples("expected-10bit-\(width)x\(height).gray10")
            let ours = try IMLUTTests.render(model, input, width: 13, height: 11, output: PlaneSize(width: width, height: height),
                                             bitDepth: 10, workers: 2)
            let (count, largest) = IMLUTTests.compare(ours, expected)
            #expect(largest <= 1, "\(width)x\(height): \(count) of \(expected.count) samples differ, by up to \(largest)")
            differing += count
            total += expected.count
        }
        // Two more bits per sample against the same fixed-point weights: four times the 8-bit share may differ.
        #expect(differing * 50 <= total, "\(differing) of \(total) samples differ by 1")
    }
}

import TestSupport
import Testing
@testable import RawVideo

/// Seeded mutation fuzzing through `Y4MSelfCheck`, the harness the libFuzzer target runs: every mutated stream
/// must end in frames, a clean end or a thrown error (a crash or hang fails the run; so does a round-trip
/// difference, which traps).
@Suite struct Y4MFuzzTests {
    private static func seeds() throws -> [[UInt8]] {
        var seeds: [[UInt8]] = []
        for (name, width, height) in [("yuv420p", 9, 5), ("yuv422p", 4, 2), ("yuv444p10le", 3, 3), ("gray", 6, 1),
                                      ("gray16le", 2, 2), ("yuv411p", 5, 2)] {
            let format = try RawVideoFormat(width: width, height: height, pixelFormat: RawPixelFormat(ffmpegName: name))
            seeds.append(try syntheticY4M(format: format, frames: 3, extensions: ["LUT=1"]))
        }
        seeds.append(Array("YUV4MPEG2 W2 H2 F30000:1001 It A10:11 C420mpeg2 XYSCSS=420MPEG2 XCOLORRANGE=FULL\nFRAME Ib\n".utf8)
                     + [UInt8](repeating: 7, count: 6) + Array("FRAME\n".utf8) + [UInt8](repeating: 9, count: 6))
        seeds.append(Array("YUV4MPEG2 W3 H1 XYSCSS=444\nFRAME\n".utf8) + [1, 2, 3, 4, 5, 6, 7, 8, 9])
        return seeds
    }

    private static func mutate(_ input: [UInt8], using rng: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        let interesting: [UInt8] = Array("FRAME\n YUV4MPEG2WHFIACX0123456789:=?pmtb".utf8) + [0, 0xFF, 0x80]
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1 where !bytes.isEmpty:
                bytes[position] = interesting.randomElement(using: &rng)!
            case 2:
                let count = Int.random(in: 1...8, using: &rng)
                bytes.insert(contentsOf: (0..<count).map { _ in interesting.randomElement(using: &rng)! }, at: position)
            case 3 where !bytes.isEmpty:
                bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...16, using: &rng)))
            case 4:
                bytes = Array(bytes.prefix(position))
            case 5 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...32, using: &rng))
                bytes.insert(contentsOf: bytes[position..<end], at: Int.random(in: 0...bytes.count, using: &rng))
            case 6:
                // A long run of digits: sizes and rates at and past every limit.
                let digits = (0..<Int.random(in: 1...12, using: &rng)).map { _ in UInt8.random(in: 0x30...0x39, using: &rng) }
                bytes.insert(contentsOf: digits, at: position)
            default:
                bytes.insert(contentsOf: Array("FRAME\n".utf8), at: position)
            }
        }
        return bytes
    }

    @Test func mutatedStreamsEndInFramesOrErrors() throws {
        let seeds = try Self.seeds()
        var rng = SeededGenerator(seed: 0x4C55_5453_6361_6C65)
        var framesSeen = 0
        var cleanEnds = 0
        var errors = 0
        for iteration in 0..<4000 {
            let input = Self.mutate(seeds[iteration % seeds.count], using: &rng)
            let chunk = Int.random(in: 1...64, using: &rng)
            let outcome = Y4MSelfCheck.run(input, maxDimension: 64, readSize: chunk, writeSize: 65 - chunk)
            framesSeen += outcome.frames
            if let error = outcome.error {
                errors += 1
                #expect(!error.description.isEmpty)
            } else {
                cleanEnds += 1
            }
        }
        // The mutations must reach both sides: streams that still read, and streams that are refused.
        #expect(framesSeen > 1000)
        #expect(cleanEnds > 100)
        #expect(errors > 1000)
    }

    @Test func seedsRoundTripCleanly() throws {
        for seed in try Self.seeds() {
            let outcome = Y4MSelfCheck.run(seed)
            #expect(outcome.error == nil)
            #expect(outcome.frames >= 1)
        }
    }
}

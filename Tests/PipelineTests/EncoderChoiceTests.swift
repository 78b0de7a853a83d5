import LUTEngine
import Media
import Testing
@testable import Pipeline

@Suite struct EncoderChoiceTests {
    /// libx264 gets one thread per core beside the upscaler (not its own 1.5 per core), unless the user set it.
    @Test func x264ThreadsAreCappedUnlessGiven() throws {
        let x264 = try EncoderInfo(name: "libx264")
        #expect(try EncoderChoice.options(for: x264, crf: nil, preset: nil)["threads"] == String(activeProcessorCount))
        #expect(try EncoderChoice.options(for: x264, crf: nil, preset: nil, extra: ["threads": "7"])["threads"] == "7")
        let own = try EncoderChoice.options(for: x264, crf: nil, preset: nil, extra: ["x264-params": "keyint=48:threads=5"])
        #expect(own["threads"] == nil && own["x264-params"] == "keyint=48:threads=5")
        #expect(try EncoderChoice.options(for: EncoderInfo(name: "libx265"), crf: nil, preset: nil)["threads"] == nil)
    }
}

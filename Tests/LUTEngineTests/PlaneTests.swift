import Testing
import VideoCore
@testable import LUTEngine

@Suite struct PlaneTests {
    @Test func bufferRoundTripsSamples() {
        let plane = PlaneBuffer(width: 3, height: 2, samples: [1, 2, 3, 4, 5, 255])
        #expect(plane.samples == [1, 2, 3, 4, 5, 255])
        #expect(plane.bytesPerRow % 64 == 0)
        let deep = PlaneBuffer(width: 2, height: 1, bitDepth: 10, samples: [0, 1023])
        #expect(deep[1, 0] == 1023)
    }
}

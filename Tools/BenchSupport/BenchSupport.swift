// What the engine benchmarks share: timing (wall and process CPU), a synthetic test plane, a seeded generator.
import Foundation

/// Median and fastest wall time and median process CPU time of one call, in milliseconds.
public struct Timing: Sendable {
    public let ms: Double
    public let min: Double
    public let cpu: Double
}

/// CPU time of the whole process: on a busy machine, CPU ms / workers is what the wall time would be alone.
public func processCPUMilliseconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
}

/// `runs` timed calls of `body` after one untimed warm-up call.
public func measure(runs: Int, _ body: () -> Void) -> Timing {
    body()
    var times: [Double] = [], cpuTimes: [Double] = []
    for _ in 0..<max(1, runs) {
        let cpuStart = processCPUMilliseconds()
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        cpuTimes.append(processCPUMilliseconds() - cpuStart)
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    return Timing(ms: median(times), min: times.min()!, cpu: median(cpuTimes))
}

/// Smooth gradients with texture and edges, so table accesses look like a natural image's; 8-bit values.
public func syntheticLuma(width: Int, height: Int) -> [UInt8] {
    (0..<height).flatMap { y in
        (0..<width).map { x in
            let v = 128 + 60 * sin(Double(x) / 37) * cos(Double(y) / 23) + 40 * sin(Double(x * y) / 5000)
            return UInt8(max(0, min(255, v + Double((x ^ y) & 7))))
        }
    }
}

/// "1,2,4" as [1, 2, 4]; nil unless every comma-separated item is a positive integer.
public func positiveIntegers(_ text: String) -> [Int]? {
    let items = text.split(separator: ",")
    let values = items.compactMap { Int($0) }.filter { $0 > 0 }
    return values.isEmpty || values.count != items.count ? nil : values
}

/// SplitMix64, so a synthetic model (and a test's random input, as `SeededGenerator`) is the same in every run.
public struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

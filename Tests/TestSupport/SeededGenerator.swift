import BenchSupport

/// Deterministic pseudo-random numbers (the benchmarks' SplitMix64), so failures reproduce.
public typealias SeededGenerator = SplitMix64

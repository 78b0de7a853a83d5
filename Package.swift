// swift-tools-version: 6.0
import PackageDescription

// Modules in the order data flows: CFFmpeg (C shim) -> Media (owns every FFmpeg object) ->
// LUTEngine (planes in, planes out; its hot loops in CLUTKernels, one C source compiled per instruction set and
// chosen at run time) -> Pipeline (stages, bounded queues) -> lutscale (CLI).
let package = Package(
    name: "LUTScale",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lutscale", targets: ["lutscale"]),
        .library(name: "LUTEngine", targets: ["LUTEngine"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat libavcodec libswscale libavutil",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]
        ),
        .target(name: "Media", dependencies: ["CFFmpeg"]),
        .target(name: "CLUTKernels"),
        .target(name: "LUTEngine", dependencies: ["CLUTKernels"]),
        .target(name: "Pipeline", dependencies: ["Media", "LUTEngine", "RawVideo"]),
        .target(name: "RawVideo", dependencies: ["LUTEngine"]),
        // libFuzzer harnesses: build with `--sanitize fuzzer --sanitize address` (Tools/Fuzz/README.md).
        .executableTarget(name: "Y4MFuzz", dependencies: ["RawVideo"], path: "Tools/Fuzz/Y4MFuzz"),
        .executableTarget(name: "ModelFuzz", dependencies: ["LUTEngine"], path: "Tools/Fuzz/ModelFuzz"),
        .executableTarget(
            name: "lutscale",
            dependencies: ["Pipeline", "Media", "LUTEngine", "RawVideo", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            // The shipped LUT models; `lutscale models` lists them, `--model auto` picks among them.
            resources: [.copy("Models")]
        ),
        .executableTarget(name: "lutscale-convert-npy", dependencies: ["LUTEngine"], path: "Tools/ConvertNpy"),
        .target(name: "BenchSupport", path: "Tools/BenchSupport"),
        .executableTarget(name: "lutscale-bench-engine", dependencies: ["LUTEngine", "Media", "BenchSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Tools/EngineBenchmark"),
        .executableTarget(name: "lutscale-bench-imlut", dependencies: ["LUTEngine", "BenchSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Tools/IMLUTBenchmark"),
        // Fixtures are read from the source tree (by #filePath), not bundled.
        .testTarget(name: "LUTEngineTests", dependencies: ["LUTEngine"], exclude: ["Fixtures"]),
        .testTarget(name: "MediaTests", dependencies: ["Media"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline"]),
        .testTarget(name: "RawVideoTests", dependencies: ["RawVideo"]),
        .testTarget(name: "LUTScaleTests", dependencies: ["lutscale"]),
    ],
    swiftLanguageModes: [.v6]
)

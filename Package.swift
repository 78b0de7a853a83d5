// swift-tools-version: 6.0
import PackageDescription

// VideoCore (plane views, sizes, rationals: the types every layer below the CLI shares) is under all of them.
// Modules in the order data flows: CFFmpeg (C shim) -> Media (owns every FFmpeg object) ->
// LUTEngine (planes in, planes out; its hot loops in CLUTKernels, one C source compiled per instruction set and
// chosen at run time) -> Pipeline (stages, bounded queues) -> lutscale (CLI).
let package = Package(
    name: "LUTScale",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lutscale", targets: ["lutscale"]),
        // VideoCore is in the product: LUTEngine's API takes its planes.
        .library(name: "LUTEngine", targets: ["LUTEngine", "VideoCore"]),
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
        .target(name: "VideoCore"),
        .target(name: "Media", dependencies: ["CFFmpeg", "VideoCore"]),
        .target(name: "CLUTKernels"),
        .target(name: "LUTEngine", dependencies: ["CLUTKernels", "VideoCore"]),
        .target(name: "Pipeline", dependencies: ["VideoCore", "Media", "LUTEngine", "RawVideo"]),
        .target(name: "RawVideo", dependencies: ["VideoCore"]),
        // libFuzzer harnesses: build with `--sanitize fuzzer --sanitize address` (Tools/Fuzz/README.md).
        .executableTarget(name: "Y4MFuzz", dependencies: ["RawVideo"], path: "Tools/Fuzz/Y4MFuzz"),
        .executableTarget(name: "ModelFuzz", dependencies: ["VideoCore", "LUTEngine"], path: "Tools/Fuzz/ModelFuzz"),
        .executableTarget(
            name: "lutscale",
            dependencies: ["VideoCore", "Pipeline", "Media", "LUTEngine", "RawVideo", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            // The shipped LUT models; `lutscale models` lists them, `--model auto` picks among them.
            resources: [.copy("Models")]
        ),
        .executableTarget(name: "lutscale-convert-npy", dependencies: ["LUTEngine"], path: "Tools/ConvertNpy"),
        .target(name: "BenchSupport", path: "Tools/BenchSupport"),
        .executableTarget(name: "lutscale-bench-engine", dependencies: ["VideoCore", "LUTEngine", "Media", "BenchSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Tools/EngineBenchmark"),
        .executableTarget(name: "lutscale-bench-imlut", dependencies: ["VideoCore", "LUTEngine", "BenchSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Tools/IMLUTBenchmark"),
        // Fixtures are read from the source tree (by #filePath), not bundled.
        // What several test targets use (scratch folders, media fixtures made with the ffmpeg CLI, seeded numbers).
        .target(name: "TestSupport", dependencies: ["BenchSupport"], path: "Tests/TestSupport"),
        .testTarget(name: "LUTEngineTests", dependencies: ["VideoCore", "LUTEngine", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MediaTests", dependencies: ["VideoCore", "Media", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["VideoCore", "Pipeline", "TestSupport"]),
        .testTarget(name: "RawVideoTests", dependencies: ["VideoCore", "RawVideo", "TestSupport"]),
        .testTarget(name: "LUTScaleTests", dependencies: ["lutscale", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version: 6.0
// A user's package depending on LUTEngine by version (Tools/DependencyCheck/check.sh fills in the URL).
import PackageDescription

let package = Package(
    name: "Consumer",
    dependencies: [.package(url: "LUTSCALE_URL", from: "1.0.0")],
    targets: [.executableTarget(name: "Consumer", dependencies: [.product(name: "LUTEngine", package: "LUTScale")])]
)

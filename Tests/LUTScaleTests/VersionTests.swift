import Foundation
import TestSupport
import Testing

/// `--version`, and the warning about a kernel tier this CPU cannot run.
@Suite struct VersionTests {
    static func lutscale(_ arguments: [String], kernels: String?) throws -> Fixtures.ToolResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LUTSCALE_KERNELS"] = kernels
        process.environment = environment
        return try Fixtures.collect(process)
    }

    @Test func versionNamesTheKernelTier() throws {
        let result = try Self.lutscale(["--version"], kernels: nil)
        #expect(result.status == 0)
        let lines = result.output.split(separator: "\n")
        #expect(lines.first?.hasPrefix("lutscale ") == true)
        #expect(lines.contains { ["kernels: baseline", "kernels: avx2", "kernels: avx512", "kernels: avx512icl"].contains($0) })
        #expect(result.errors.isEmpty)

        // Asking for the portable tier, which every CPU runs, is honoured.
        let baseline = try Self.lutscale(["--version"], kernels: "baseline")
        #expect(baseline.output.contains("kernels: baseline"))
        #expect(baseline.errors.isEmpty)
    }

    @Test func aTierThatCannotBeHadIsWarnedAboutAtTheStartOfAnyCommand() throws {
        for arguments in [["--version"], ["models"]] {
            let result = try Self.lutscale(arguments, kernels: "sse9")
            #expect(result.status == 0, "\(result.errors)")
            #expect(result.errors.hasPrefix("lutscale: warning: LUTSCALE_KERNELS=sse9 is not a kernel tier"), "\(result.errors)")
        }
    }
}

import LUTEngine

/// What `lutscale --version` prints: the release and the kernel tier this CPU runs the LUT engine with.
enum Version {
    static let number = "0.1.0"

    static var text: String { "lutscale \(number)\nkernels: \(KernelTier.active)" }

    /// A `LUTSCALE_KERNELS` the CPU cannot honour is said once, before any command, so that timings and bug
    /// reports are not taken with a tier other than the one asked for.
    static func warnAboutKernelRequest(_ log: StandardError) {
        if let problem = KernelTier.requested.problem { log.line("lutscale: warning: \(problem)") }
    }
}

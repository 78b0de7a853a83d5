import ArgumentParser

@main
struct LUTScale: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lutscale",
        abstract: "Upscale video and images with look-up-table super-resolution."
    )
}

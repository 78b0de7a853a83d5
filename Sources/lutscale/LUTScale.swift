import ArgumentParser

@main
struct LUTScale: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lutscale",
        abstract: "Upscale video and images with look-up-table super-resolution.",
        discussion: """
            Without a subcommand, lutscale upscales:
              lutscale in.mp4 -o out.mp4 --scale 2
              lutscale photo.png -o big.png --scale 3 --planes all
            """,
        version: Version.text,
        subcommands: [Upscale.self, Eval.self, Models.self, Segments.self],
        defaultSubcommand: Upscale.self
    )

    static func main() {
        ProcessSetup.run()
        Version.warnAboutKernelRequest(StandardError())
        main(nil)
    }
}

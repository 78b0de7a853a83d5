import Foundation
import LUTEngine
import TestSupport
import Testing
import VideoCore
@testable import Pipeline

@Suite struct OutputGeometryTests {
    @Test func scaleRoundsToTheChromaGrid() throws {
        let even = try OutputGeometry.resolve(.scale(2.25), width: 321, height: 241, alignment: (2, 2), formatName: "yuv420p")
        #expect(even == PlaneSize(width: 722, height: 542))  // 722.25 -> 722, 542.25 -> 542
        let odd = try OutputGeometry.resolve(.scale(2.25), width: 321, height: 241, alignment: (1, 1), formatName: "yuv444p")
        #expect(odd == PlaneSize(width: 722, height: 542))
        let third = try OutputGeometry.resolve(.scale(3), width: 107, height: 61, alignment: (1, 1), formatName: "yuv444p")
        #expect(third == PlaneSize(width: 321, height: 183))
        let fitted = try OutputGeometry.resolve(.scale(3), width: 107, height: 61, alignment: (2, 1), formatName: "yuv422p")
        #expect(fitted == PlaneSize(width: 322, height: 183))
    }

    @Test func exactSizeMustFitTheSubsampling() throws {
        #expect(try OutputGeometry.resolve(.exact(width: 3840, height: 2160), width: 1280, height: 720,
                                           alignment: (2, 2), formatName: "yuv420p") == PlaneSize(width: 3840, height: 2160))
        #expect {
            _ = try OutputGeometry.resolve(.exact(width: 1001, height: 720), width: 640, height: 360, alignment: (2, 2), formatName: "yuv420p")
        } throws: { "\($0)".contains("yuv420p") && "\($0)".contains("1002x720") }
        #expect(try OutputGeometry.resolve(.exact(width: 1001, height: 721), width: 640, height: 360,
                                           alignment: (1, 1), formatName: "yuv444p") == PlaneSize(width: 1001, height: 721))
    }

    @Test(arguments: [SizeRequest.exact(width: 100_000, height: 100_000), .scale(1e300), .scale(200),
                      .exact(width: 16384, height: 16384), .scale(.infinity), .scale(-2)])
    func absurdSizesAreRefused(_ request: SizeRequest) {
        #expect(throws: PipelineError.self) {
            _ = try OutputGeometry.resolve(request, width: 1280, height: 720, alignment: (2, 2), formatName: "yuv420p")
        }
    }
}

@Suite struct OutputFileTests {
    @Test func neverOverwritesWithoutPermissionNorTheInput() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mp4"), existing = scratch.path("out.mp4")
        try Data("in".utf8).write(to: URL(fileURLWithPath: input))
        try Data("old".utf8).write(to: URL(fileURLWithPath: existing))
        #expect { _ = try OutputFile(path: existing, inputPath: input, overwrite: false) } throws: { "\($0)".contains("-y") }
        _ = try OutputFile(path: existing, inputPath: input, overwrite: true)
        // The same file by another name (a symlink, a different spelling) is still the input.
        try FileManager.default.createSymbolicLink(atPath: scratch.path("link.mp4"), withDestinationPath: input)
        for alias in [input, scratch.path("link.mp4"), scratch.url.path + "/./in.mp4"] {
            #expect { _ = try OutputFile(path: alias, inputPath: input, overwrite: true) } throws: { "\($0)".contains("is the input") }
        }
        #expect(throws: PipelineError.self) { _ = try OutputFile(path: scratch.path("missing/out.mp4"), inputPath: input, overwrite: true) }
    }

    @Test func temporaryFileIsHiddenBesideTheOutputAndCommitRespectsOverwrite() throws {
        let scratch = try Scratch()
        let input = scratch.path("in.mp4"), path = scratch.path("out.mp4")
        try Data("in".utf8).write(to: URL(fileURLWithPath: input))
        let file = try OutputFile(path: path, inputPath: input, overwrite: false)
        let temporary = URL(fileURLWithPath: file.temporaryPath)
        #expect(temporary.deletingLastPathComponent().path == scratch.url.path)
        #expect(temporary.lastPathComponent.hasPrefix("."))
        try Data("new".utf8).write(to: temporary)
        // Someone else created the output meanwhile: without -y it stays theirs.
        try Data("theirs".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: PipelineError.self) { try file.commit() }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "theirs")
        let replacing = try OutputFile(path: path, inputPath: input, overwrite: true)
        try Data("new".utf8).write(to: URL(fileURLWithPath: replacing.temporaryPath))
        _ = try replacing.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
        #expect(!FileManager.default.fileExists(atPath: replacing.temporaryPath))
    }
}

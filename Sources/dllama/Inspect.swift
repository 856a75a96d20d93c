import ArgumentParser
import Engine
import Foundation
import ModelFormat

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a model file: architecture, dimensions, sizes and fingerprint.")

    @Argument(help: "The model file (.m or GGUF).")
    var model: String

    @Flag(help: "Print JSON for scripts instead of text.")
    var json = false

    @Flag(name: .customLong("sha256"), help: "Also hash the whole file (cached beside it as MODEL.sha256).")
    var fullHash = false

    func run() throws {
        let file = try ModelFile(path: model)
        var full: String?
        if fullHash {
            let showProgress = isatty(STDERR_FILENO) != 0
            full = try file.fullHash { done, total in
                if showProgress { FileHandle.standardError.write("\rhashing \(done * 100 / max(total, 1))%".data(using: .utf8)!) }
            }
            if showProgress { FileHandle.standardError.write("\r              \r".data(using: .utf8)!) }
        }
        let report = InspectReport(file: file, fullSHA256: full)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.renderText())
        }
    }
}

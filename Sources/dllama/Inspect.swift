import ArgumentParser
import Engine
import Foundation
import ModelFormat

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a model file: architecture, dimensions, sizes and fingerprint.")

    @Argument(help: "The model file (.m or GGUF).")
    var path: String?

    @Option(name: [.customShort("m"), .customLong("model")], help: "The model file, as the other subcommands take it (instead of MODEL).")
    var modelOption: String?

    func validate() throws {
        switch (path, modelOption) {
        case (nil, nil): throw ValidationError("give the model file: dllama inspect MODEL (or --model MODEL).")
        case (.some, .some): throw ValidationError("give the model file once: as MODEL or with --model, not both.")
        default: break
        }
    }

    private var model: String { modelOption ?? path ?? "" }

    @Flag(help: "Print JSON for scripts instead of text (tensor types by name, such as Q4_1).")
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
            encoder.userInfo[.tensorTypeNames] = true
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.renderText())
        }
    }
}

import ArgumentParser
import Foundation
import ModelFormat

@main
struct DllamaWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dllama-worker",
        abstract: "A worker node: serves its share of a model, read from its own local copy of the file.")

    @Option(help: "Address to listen on.")
    var host = "0.0.0.0"

    @Option(help: "Port to listen on.")
    var port = 9999

    @Option(help: "This node's local copy of the model file (.m or GGUF).")
    var model: String

    @Option(help: "Compute threads.")
    var nthreads = 1

    @Option(help: "RAM budget for this node, such as 512M or 4G: its layers are streamed from disk when its share does not fit.")
    var maxRam: String?

    @Flag(name: .shortAndLong, help: "Verbose output.")
    var verbose = false

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port \(port) is not a TCP port (1-65535).") }
        guard nthreads >= 1 else { throw ValidationError("--nthreads must be at least 1.") }
        if let maxRam, parseByteSize(maxRam) == nil { throw ValidationError("--max-ram \(maxRam) is not a size (such as 512M or 4G).") }
    }

    func run() throws {
        let file = try ModelFile(path: model)
        print("model \(model): \(file.model.architecture.rawValue), \(file.model.layerCount) layers, fingerprint \(file.fingerprint())")
        // The wire protocol and step loop arrive with the Transport and distributed Engine work;
        // until then the worker checks its model and says plainly that it cannot serve yet.
        throw WorkerError.notServing(host: host, port: port)
    }
}

enum WorkerError: Error, CustomStringConvertible {
    case notServing(host: String, port: Int)
    var description: String {
        switch self {
        case .notServing(let host, let port):
            return "this build cannot serve on \(host):\(port) yet: the worker protocol is not implemented. The model file was checked and is usable."
        }
    }
}

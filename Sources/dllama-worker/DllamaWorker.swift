import ArgumentParser
import Engine
import Foundation
import Logging
import ModelCatalogue
import ModelFormat
import QuantKernels
import Transport

@main
struct DllamaWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dllama-worker",
        abstract: "A worker node: serves its share of a model, read from its own local copy of the file.",
        discussion: """
            The root (dllama inference|chat --workers HOST:PORT ...) assigns the share. Only activations travel \
            between nodes; every node reads its weights from its own file, which must be the root's (same fingerprint). \
            When a root leaves, the worker waits for the next one and keeps its weights if the share is the same.
            """,
        version: DllamaVersion.description)

    @Option(help: "Address to listen on (0.0.0.0 or :: for every interface).")
    var host = "0.0.0.0"

    @Option(help: "Port to listen on (0 picks a free one and prints it).")
    var port = 9999

    @Option(name: [.customShort("m"), .long],
            help: "This node's local copy of the model file (.m or GGUF), or the name of a catalogue model pulled with `dllama pull NAME`.")
    var model: String

    @Option(help: "The model cache a catalogue name is looked up in (default: DLLAMA_CACHE, else ~/.cache/dllama).")
    var cache: String?

    @Option(name: [.customShort("t"), .long], help: "Compute threads (default: the cores available, \(ThreadCount.available) here; more take turns on them).")
    var nthreads: Int?

    @Option(help: "RAM budget for this node, such as 512M or 4G: its layers are streamed from disk when its share does not fit.")
    var maxRam: String?

    @Option(help: "A secret shared with the root (or set DLLAMA_SECRET): a root that cannot prove it is refused.")
    var secret: String?

    @Flag(name: .shortAndLong, help: "Verbose output: every connection and abandoned step.")
    var verbose = false

    mutating func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port) is not a TCP port (1-65535, or 0 for any free port).") }
        if let nthreads { guard nthreads >= 1 else { throw ValidationError("--nthreads must be at least 1.") } }
        if let maxRam, parseByteSize(maxRam) == nil { throw ValidationError("--max-ram \(maxRam) is not a size (such as 512M or 4G).") }
        do { _ = try LinkShape.fromEnvironment() } catch { throw ValidationError("\(error)") }
        // Last: the options' own mistakes are named before the model is looked up in the catalogue.
        model = try ModelCache.chosen(cache).resolve(model, catalogue: try Catalogue.standard(), cacheOption: cache).modelPath
    }

    func run() throws {
        let level: Logger.Level = verbose || ProcessInfo.processInfo.environment["DLLAMA_DEBUG"] == "1" ? .debug : .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "dllama-worker")
        let secretText = secret ?? ProcessInfo.processInfo.environment["DLLAMA_SECRET"]
        var configuration = WorkerService.Configuration(modelPath: model, host: host, port: port)
        let (threads, threadWarning) = ThreadCount.resolveWithWarning(nthreads)
        if let threadWarning { logger.warning("\(threadWarning)") }
        configuration.threads = threads
        configuration.maxRAM = maxRam.flatMap(parseByteSize)
        configuration.linkShape = try LinkShape.fromEnvironment()
        if let shape = configuration.linkShape { logger.warning("\(LinkShape.environmentKey)=\(shape): the link to the root is slowed down for a benchmark") }
        configuration.secret = secretText.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        let service = try WorkerService(configuration: configuration, logger: logger)
        let file = service.file
        logger.info("model \(model): \(file.model.architecture.rawValue), \(file.model.layerCount) layers, fingerprint \(service.fingerprint)")
        if configuration.secret == nil && !Self.isLoopback(host) {
            logger.warning("listening on \(host) without a secret: anyone who reaches this port can use this node. Set --secret or DLLAMA_SECRET on the root and every worker.")
        }
        let budget = configuration.maxRAM.map { ", --max-ram \(formatBytes($0))" } ?? ""
        logger.info("listening on \(NodeAddress(host: host, port: service.port)), \(threads) thread\(threads == 1 ? "" : "s")\(budget)")
        try service.serve()
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

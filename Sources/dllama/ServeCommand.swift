import ArgumentParser
import Engine
import Foundation
import Logging
import Server
import Tokenizer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the model over an OpenAI-compatible HTTP API, with a chat page at / and Prometheus metrics at /metrics.",
        discussion: "Stop with Ctrl-C (SIGINT) or SIGTERM: generations in progress end at once, workers keep their weights.")

    @OptionGroup var options: RunOptions

    @Option(help: "The address to listen on (0.0.0.0 for every interface).")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one and logs it).")
    var port = 9990

    @Option(help: "Require this key as `Authorization: Bearer KEY` on every route but /health and the chat page (or set DLLAMA_API_KEY).")
    var apiKey: String?

    @Option(help: "The model name clients pass and /v1/models lists (default: the catalogue name, else the model file's name without its extension).")
    var modelName: String?

    @Option(help: "The chat template family (llama2, llama3, chatml, qwen, deepseek3) instead of the detected one.")
    var chatTemplate: String?

    @Option(help: "Requests that may wait while one generates; beyond that they are refused with 429 and Retry-After.")
    var maxQueue = 16

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
        guard maxQueue >= 0 else { throw ValidationError("--max-queue must be 0 or more.") }
        if let apiKey, apiKey.isEmpty { throw ValidationError("--api-key is empty: give a key, or leave the option out.") }
        if let modelName, modelName.isEmpty { throw ValidationError("--model-name is empty.") }
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "dllama.serve")
        let (engine, tokenizer) = try options.load()
        let template: ChatTemplate?
        do {
            template = try tokenizer.chatTemplate(named: chatTemplate, path: options.tokenizer ?? options.model)
        } catch TokenizerError.noChatTemplate {
            logger.warning("the model carries no chat template: /v1/chat/completions is refused until the server is started with --chat-template NAME")
            template = nil
        }
        var configuration = ServerConfiguration(modelID: modelName ?? options.catalogueName ?? Self.defaultName(of: options.model), host: host, port: port)
        configuration.apiKey = apiKey ?? ProcessInfo.processInfo.environment["DLLAMA_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.queueLimit = maxQueue
        configuration.sampling = SamplingDefaults(temperature: options.temperature, topP: options.topp, topK: options.topk, seed: options.seed)
        configuration.workerAddresses = options.workers
        let server = InferenceServer(generator: Generator(transformer: engine, tokenizer: tokenizer), chatTemplate: template,
                                     configuration: configuration, logger: logger)
        let name = configuration.modelID, secured = configuration.apiKey != nil
        do {
            try await server.run { host, port in
                logger.info("listening on http://\(host):\(port) (model '\(name)'\(secured ? ", API key required" : ""); chat page at /)")
            }
        } catch {
            printWorkerReports(engine.shutdown())
            throw ServeFailure(host: host, port: port, underlying: error)
        }
        printWorkerReports(engine.shutdown())
    }

    /// `SmolLM2-135M-Instruct.Q4_1` for `/models/SmolLM2-135M-Instruct.Q4_1.gguf`.
    static func defaultName(of path: String) -> String {
        URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }
}

/// The server could not start or stopped on an error.
struct ServeFailure: Error, CustomStringConvertible {
    var host: String
    var port: Int
    var underlying: Error

    var description: String {
        let text = "\(underlying)"
        if text.contains("Address already in use") {
            return "cannot listen on \(host):\(port): the port is in use by another program. Stop it, or choose another --port (0 picks a free one)."
        }
        if text.contains("bind") || text.contains("resolve") || text.contains("Cannot assign") {
            return "cannot listen on \(host):\(port): \(text). Check --host (an address of this machine, or 0.0.0.0)."
        }
        return "the server stopped: \(text)"
    }
}

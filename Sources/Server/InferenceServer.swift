import Engine
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Tokenizer

/// Where and how the server listens, and what it serves.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (reported to `onListening`).
    public var port = 9990
    /// When set, every route but `/health` and the chat page's files needs `Authorization: Bearer KEY`.
    public var apiKey: String?
    /// The name `GET /v1/models` lists, which requests must give as `model`.
    public var modelID: String
    /// Requests that may wait while one generates; more are refused with 429.
    public var queueLimit = 16
    /// Sampling for the fields a request leaves out.
    public var sampling = SamplingDefaults()
    /// The workers' addresses, in node order (node 1 first), for the cluster panel.
    public var workerAddresses: [String] = []
    /// Seconds a client connection may stay silent, between requests or while still sending one,
    /// before it is closed (a connection waiting for its answer is never cut).
    public var idleTimeoutSeconds = 60

    public init(modelID: String, host: String = "127.0.0.1", port: Int = 9990) {
        self.modelID = modelID
        self.host = host
        self.port = port
    }
}

/// An OpenAI-compatible HTTP server over a `Generator`: `/v1/chat/completions`,
/// `/v1/completions` (streamed or not), `/v1/models`, a chat page at `/`, `/health` and
/// Prometheus `/metrics`. Requests take turns on the engine; the KV cache is reused when a
/// request continues the previous one.
///
///     let generator = Generator(transformer: engine, tokenizer: tokenizer)
///     let server = InferenceServer(generator: generator, chatTemplate: try tokenizer.chatTemplate(),
///                                  configuration: ServerConfiguration(modelID: "smollm2"), logger: logger)
///     try await server.run { host, port in print("listening on \(host):\(port)") }   // until SIGINT or SIGTERM
public final class InferenceServer: Sendable {
    public let configuration: ServerConfiguration
    let engine: EngineLoop
    let completions: CompletionRoutes
    let info: InfoRoutes
    let metrics: ServerMetrics
    let logger: Logger

    public init(generator: Generator, chatTemplate: ChatTemplate?, configuration: ServerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        let transformer = generator.transformer
        let metrics = ServerMetrics()
        let addresses = ["\(configuration.host) (this server)"] + configuration.workerAddresses
        let nodeCount = transformer.plan.nodes.count
        let cluster = ClusterMonitor(
            addresses: (0..<nodeCount).map { $0 < addresses.count ? addresses[$0] : "node \($0) (in this process)" },
            shares: transformer.plan.nodes.map { Cluster.describe($0, model: transformer.model) }, metrics: metrics)
        engine = EngineLoop(generator: generator, queueLimit: configuration.queueLimit, metrics: metrics, cluster: cluster, logger: logger)
        completions = CompletionRoutes(engine: engine, tokenizer: generator.tokenizer, template: chatTemplate, modelID: configuration.modelID,
                                       context: transformer.maxSeqLen, defaults: configuration.sampling)
        info = InfoRoutes(engine: engine, cluster: cluster, metrics: metrics, page: ChatPage(), modelID: configuration.modelID,
                          context: transformer.maxSeqLen)
        self.metrics = metrics
    }

    /// Serves until SIGINT or SIGTERM (or the task is cancelled); `onListening` hears the address
    /// once the socket is bound. On the way out, generations in progress are stopped first.
    public func run(onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void = { _, _ in }) async throws {
        if !info.page.isAvailable { logger.warning("\(info.page.missingMessage)") }
        engine.start()
        let host = configuration.host
        let app = Application(router: makeRouter(),
                              server: .http1(configuration: .init(idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)))),
                              configuration: .init(address: .hostname(host, port: configuration.port), serverName: "dllama"),
                              onServerRunning: { channel in onListening(host, channel.localAddress?.port ?? 0) },
                              logger: logger)
        // Shut down in reverse order: the engine first, so that open streams end at once.
        let group = ServiceGroup(configuration: .init(services: [app, EngineService(engine: engine)],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            engine.close()
            throw error
        }
        engine.close()
    }

    func makeRouter() -> Router<ServerContext> {
        let router = Router(context: ServerContext.self)
        // Outermost, so that refusals carry its headers too: chat UIs served from another origin
        // call the API from the browser (the key, not the origin, guards it).
        router.add(middleware: CORSMiddleware(allowOrigin: .all))
        router.add(middleware: RequestLogMiddleware(logger: logger, metrics: metrics))
        if let key = configuration.apiKey { router.add(middleware: APIKeyMiddleware(key: Array(key.utf8))) }
        let (completions, info) = (completions, info)
        router.post("/v1/chat/completions") { try await completions.chat($0, context: $1) }
        router.post("/v1/completions") { try await completions.completion($0, context: $1) }
        router.get("/v1/models") { info.models($0, context: $1) }
        router.get("/v1/cluster") { info.clusterPanel($0, context: $1) }
        router.get("/health") { info.health($0, context: $1) }
        router.get("/metrics") { info.prometheus($0, context: $1) }
        router.get("/") { _, _ in try info.pageFile("index.html") }
        for name in ChatPage.files.keys where name != "index.html" {
            router.get(RouterPath(stringLiteral: "/" + name)) { _, _ in try info.pageFile(name) }
        }
        return router
    }
}

/// Stops the engine when the service group shuts down (before the HTTP server drains).
private struct EngineService: Service {
    let engine: EngineLoop

    func run() async throws {
        try? await gracefulShutdown()
        engine.close()
    }
}

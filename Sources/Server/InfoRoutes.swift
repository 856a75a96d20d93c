import Foundation
import HTTPTypes
import Hummingbird

/// The routes around the completions: the model list, health, metrics, the cluster panel's data
/// and the chat page.
struct InfoRoutes: Sendable {
    let engine: EngineLoop
    let cluster: ClusterMonitor
    let metrics: ServerMetrics
    let page: ChatPage
    let modelID: String
    let context: Int
    let started = Int(Date().timeIntervalSince1970)

    /// `GET /v1/models`: the one model served, in OpenAI's list shape.
    func models(_ request: Request, context: ServerContext) -> Response {
        struct Model: Encodable {
            var id: String
            var object = "model"
            var created: Int
            var owned_by = "dllama"
        }
        struct List: Encodable {
            var object = "list"
            var data: [Model]
        }
        return encode(List(data: [Model(id: modelID, created: started)]))
    }

    /// `GET /health`: 200 with the queue's state while the engine works; 503 with the error after
    /// it failed (a worker gone), until a request succeeds again.
    func health(_ request: Request, context: ServerContext) -> Response {
        struct Health: Encodable {
            var status: String
            var running: Int
            var waiting: Int
            var error: String?
        }
        let load = engine.load, failure = engine.lastFailure
        var response = encode(Health(status: failure == nil ? "ok" : "error", running: load.running, waiting: load.waiting, error: failure))
        if failure != nil { response.status = .serviceUnavailable }
        return response
    }

    /// `GET /metrics`: Prometheus text exposition.
    func prometheus(_ request: Request, context: ServerContext) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
    }

    /// `GET /v1/cluster`: every node's figures for the chat page's panel.
    func clusterPanel(_ request: Request, context: ServerContext) -> Response {
        encode(cluster.panel(model: modelID, context: self.context, load: engine.load, queueLimit: engine.queueLimit))
    }

    /// `GET /` and the page's script and style.
    func pageFile(_ name: String) throws -> Response {
        guard let bytes = page.contents[name], let type = ChatPage.files[name] else {
            throw APIError(status: .notFound, message: page.missingMessage, type: "server_error", code: "page_missing")
        }
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private func encode(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return CompletionRoutes.json(Array((try? encoder.encode(value)) ?? Data("{}".utf8)))
    }
}

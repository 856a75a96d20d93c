import Engine
import Foundation
import HTTPTypes
import Hummingbird
import Tokenizer

/// `POST /v1/chat/completions` and `POST /v1/completions`: check the request, queue it on the
/// engine, and answer with the whole text or a stream of server-sent events.
struct CompletionRoutes: Sendable {
    let engine: EngineLoop
    let tokenizer: Tokenizer
    let template: ChatTemplate?
    let modelID: String
    let context: Int
    let defaults: SamplingDefaults
    /// Request bodies beyond this are refused (413).
    static let maxBodyBytes = 8 << 20

    /// The request's body, refused with an OpenAI error body past `maxBodyBytes`.
    private static func body(of request: inout Request) async throws -> [UInt8] {
        do {
            return Array(try await request.collectBody(upTo: maxBodyBytes).readableBytesView)
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(status: .contentTooLarge, message: "The request body is larger than \(maxBodyBytes >> 20) MiB.")
        }
    }

    func chat(_ request: Request, context: ServerContext) async throws -> Response {
        var request = request
        let chat = try RequestDecoding.decode(ChatCompletionRequest.self, from: try await Self.body(of: &request))
        guard chat.fields.model == modelID else { throw APIError.unknownModel(chat.fields.model, served: modelID) }
        guard let template else {
            throw APIError.invalid("This model has no chat template: start the server with --chat-template NAME "
                                   + "(llama2, llama3, chatml, qwen, deepseek3), or use POST /v1/completions.")
        }
        guard !chat.messages.isEmpty else { throw APIError.invalid("'messages' must hold at least one message.", param: "messages") }
        let messages = try chat.messages.enumerated().map { index, message in
            guard let role = Self.roles[message.role] else {
                throw APIError.invalid("'messages[\(index)].role' is '\(message.role)': this server takes system, developer, user and assistant messages.",
                                       param: "messages[\(index)].role")
            }
            return ChatMessage(role, message.content?.text ?? "")
        }
        let prompt = tokenizer.encodeChat(messages, template: template)
        let generation = try checked(prompt, fields: chat.fields, maxTokens: chat.maxCompletionTokens ?? chat.fields.maxTokens,
                                     param: "messages")
        return try await respond(generation, kind: .chat, request: request, context: context)
    }

    func completion(_ request: Request, context: ServerContext) async throws -> Response {
        var request = request
        let completion = try RequestDecoding.decode(CompletionRequest.self, from: try await Self.body(of: &request))
        guard completion.fields.model == modelID else { throw APIError.unknownModel(completion.fields.model, served: modelID) }
        let prompt = tokenizer.encode(completion.prompt)
        // OpenAI's legacy endpoint generates 16 tokens unless told otherwise.
        let generation = try checked(prompt, fields: completion.fields, maxTokens: completion.fields.maxTokens ?? 16, param: "prompt")
        return try await respond(generation, kind: .text, request: request, context: context)
    }

    /// OpenAI's roles; `developer` is the newer name of `system`.
    static let roles: [String: ChatMessage.Role] = ["system": .system, "developer": .system, "user": .user, "assistant": .assistant]

    private func checked(_ prompt: [Int], fields: GenerationFields, maxTokens: Int?, param: String) throws -> GenerationRequest {
        guard !prompt.isEmpty else { throw APIError.invalid("'\(param)' is empty: there is nothing to continue.", param: param) }
        let generation = try fields.request(prompt: prompt, maxTokens: maxTokens, servedModel: modelID, defaults: defaults)
        guard prompt.count < self.context else {
            var error = APIError.contextExceeded(promptTokens: prompt.count, context: self.context)
            error.param = param
            throw error
        }
        return generation
    }

    // MARK: answering

    private func respond(_ generation: GenerationRequest, kind: CompletionKind, request: Request,
                         context: ServerContext) async throws -> Response {
        let job = GenerationJob(request: generation)
        try engine.submit(job)
        let writer = CompletionWriter(kind: kind, model: modelID)
        let (engine, record) = (engine, context.record)
        record.watchesInbound = true
        guard generation.stream else {
            // Waits for the whole text; a client that leaves meanwhile cancels it all the same.
            let result = try await request.body.consumeWithInboundCloseHandler { _ in
                await Self.collect(job)
            } onInboundClosed: {
                Self.clientLeft(job, engine: engine, record: record)
            }
            switch result {
            case .success(let text, let outcome):
                record.outcome = outcome
                // No finish reason: cancelled, by the client leaving (no one reads this) or a shutdown.
                guard let reason = outcome.finishReason else { throw Self.unfinished("cancelled", engine: engine, record: record) }
                return Self.json(writer.response(text: text, finishReason: reason, usage: outcome.usage))
            case .failure(let message):
                throw Self.unfinished(message, engine: engine, record: record)
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let body = ResponseBody { responseWriter in
            do {
                try await request.body.consumeWithInboundCloseHandler { _ in
                    try await Self.stream(job, writer: writer, includeUsage: generation.includeUsage, into: &responseWriter,
                                          engine: engine, record: record)
                } onInboundClosed: {
                    Self.clientLeft(job, engine: engine, record: record)
                }
            } catch {
                // A write failed: the client is gone. Stop generating for it.
                engine.cancel(job)
                throw error
            }
            try await responseWriter.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// The connection's inbound side closed. Hummingbird reports that also when the answer is
    /// complete (it stops watching then), so only a job still going means the client left.
    private static func clientLeft(_ job: GenerationJob, engine: EngineLoop, record: RequestRecord) {
        guard !job.hasEnded else { return }
        record.note = "the client went away"
        engine.cancel(job)
    }

    enum Collected: Sendable {
        case success(String, GenerationOutcome)
        case failure(String)
    }

    private static func collect(_ job: GenerationJob) async -> Collected {
        var text = ""
        for await event in job.events {
            switch event {
            case .text(let piece): text += piece
            case .finished(let outcome): return .success(text, outcome)
            case .failed(let message): return .failure(message)
            }
        }
        return .failure("the request was cancelled")
    }

    private static func stream(_ job: GenerationJob, writer: CompletionWriter, includeUsage: Bool,
                               into output: inout any ResponseBodyWriter, engine: EngineLoop, record: RequestRecord) async throws {
        if let role = writer.roleEvent() { try await output.write(ByteBuffer(bytes: role)) }
        for await event in job.events {
            switch event {
            case .text(let piece):
                try await output.write(ByteBuffer(bytes: writer.textEvent(piece)))
            case .finished(let outcome):
                record.outcome = outcome
                guard let reason = outcome.finishReason else {
                    // Cancelled: the client has left (nothing to write), or the server is stopping.
                    if record.note == nil {
                        let error = Self.unfinished("cancelled", engine: engine, record: record)
                        try await output.write(ByteBuffer(bytes: writer.errorEvent(error)))
                    }
                    return
                }
                try await output.write(ByteBuffer(bytes: writer.finishEvent(reason)))
                if includeUsage { try await output.write(ByteBuffer(bytes: writer.usageEvent(outcome.usage))) }
                try await output.write(ByteBuffer(bytes: CompletionWriter.done))
                return
            case .failed(let message):
                try await output.write(ByteBuffer(bytes: writer.errorEvent(Self.unfinished(message, engine: engine, record: record))))
                return
            }
        }
    }

    /// A generation that did not finish: the server stopping (503), or the engine failing (500).
    private static func unfinished(_ message: String, engine: EngineLoop, record: RequestRecord) -> APIError {
        if engine.isClosed {
            record.note = record.note ?? "stopped by the server's shutdown"
            return APIError(status: .serviceUnavailable, message: "The server is shutting down: generation stopped.", type: "server_error")
        }
        record.note = record.note ?? message
        return APIError(status: .internalServerError, message: "Generation failed: \(message)", type: "server_error")
    }

    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

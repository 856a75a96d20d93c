import Foundation

/// The response bodies and stream chunks of the completion endpoints, in OpenAI's shapes.

/// Why a choice ended, as OpenAI spells it.
enum FinishReason: String, Encodable, Sendable {
    /// The model ended its answer, or a stop string was met.
    case stop
    /// `max_tokens` or the end of the context.
    case length
}

struct Usage: Encodable, Sendable, Equatable {
    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int { promptTokens + completionTokens }
    /// Prompt tokens whose keys and values were already in the cache (a continued conversation).
    var cachedTokens: Int

    struct PromptDetails: Encodable { var cachedTokens: Int }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
        case promptDetails = "prompt_tokens_details"
    }

    enum DetailKeys: String, CodingKey { case cachedTokens = "cached_tokens" }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(promptTokens, forKey: .promptTokens)
        try c.encode(completionTokens, forKey: .completionTokens)
        try c.encode(totalTokens, forKey: .totalTokens)
        var details = c.nestedContainer(keyedBy: DetailKeys.self, forKey: .promptDetails)
        try details.encode(cachedTokens, forKey: .cachedTokens)
    }
}

/// Which endpoint a generation answers: the object names and choice shapes differ.
enum CompletionKind: Sendable {
    case chat, text

    var idPrefix: String { self == .chat ? "chatcmpl-" : "cmpl-" }
    var object: String { self == .chat ? "chat.completion" : "text_completion" }
    var chunkObject: String { self == .chat ? "chat.completion.chunk" : "text_completion" }
}

/// One choice of a response or a chunk. `finish_reason` and `logprobs` are written as null when
/// absent, as OpenAI does (its clients expect the keys).
struct Choice: Encodable {
    var kind: CompletionKind
    /// The whole answer (a response) or the new text (a chunk).
    var text: String?
    /// A chat chunk's first delta carries the role.
    var announcesRole = false
    var isChunk: Bool
    var finishReason: FinishReason?

    enum CodingKeys: String, CodingKey { case index, message, delta, text, logprobs, finishReason = "finish_reason" }
    enum MessageKeys: String, CodingKey { case role, content }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(0, forKey: .index)
        switch kind {
        case .chat:
            var message = c.nestedContainer(keyedBy: MessageKeys.self, forKey: isChunk ? .delta : .message)
            if announcesRole || !isChunk { try message.encode("assistant", forKey: .role) }
            if let text { try message.encode(text, forKey: .content) }
        case .text:
            try c.encode(text ?? "", forKey: .text)
        }
        try c.encodeNil(forKey: .logprobs)
        try c.encode(finishReason, forKey: .finishReason)
    }
}

/// A whole response, or one chunk of a stream.
struct CompletionBody: Encodable {
    var id: String
    var object: String
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: Usage?

    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(object, forKey: .object)
        try c.encode(created, forKey: .created)
        try c.encode(model, forKey: .model)
        try c.encode(choices, forKey: .choices)
        try c.encodeIfPresent(usage, forKey: .usage)
    }
}

/// Builds the bodies of one response: the same id, time and model in every chunk.
struct CompletionWriter {
    let kind: CompletionKind
    let model: String
    let id: String
    let created = Int(Date().timeIntervalSince1970)

    init(kind: CompletionKind, model: String) {
        self.kind = kind
        self.model = model
        id = kind.idPrefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
    }

    func response(text: String, finishReason: FinishReason, usage: Usage) -> [UInt8] {
        encode(CompletionBody(id: id, object: kind.object, created: created, model: model,
                              choices: [Choice(kind: kind, text: text, isChunk: false, finishReason: finishReason)], usage: usage))
    }

    /// The first chat chunk names the role; text completions have none to name.
    func roleEvent() -> [UInt8]? {
        kind == .chat ? event(Choice(kind: kind, text: "", announcesRole: true, isChunk: true)) : nil
    }

    func textEvent(_ text: String) -> [UInt8] { event(Choice(kind: kind, text: text, isChunk: true)) }

    func finishEvent(_ reason: FinishReason) -> [UInt8] {
        event(Choice(kind: kind, text: kind == .chat ? nil : "", isChunk: true, finishReason: reason))
    }

    /// `stream_options.include_usage`: a chunk with no choices and the usage.
    func usageEvent(_ usage: Usage) -> [UInt8] {
        sse(encode(CompletionBody(id: id, object: kind.chunkObject, created: created, model: model, choices: [], usage: usage)))
    }

    func errorEvent(_ error: APIError) -> [UInt8] { sse(error.body) }

    static let done = Array("data: [DONE]\n\n".utf8)

    private func event(_ choice: Choice) -> [UInt8] {
        sse(encode(CompletionBody(id: id, object: kind.chunkObject, created: created, model: model, choices: [choice], usage: nil)))
    }

    private func sse(_ json: [UInt8]) -> [UInt8] { Array("data: ".utf8) + json + Array("\n\n".utf8) }

    private func encode(_ body: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        // Encoding these plain structs cannot fail.
        return Array((try? encoder.encode(body)) ?? Data("{}".utf8))
    }
}

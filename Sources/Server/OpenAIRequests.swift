/// The request bodies of `POST /v1/chat/completions` and `POST /v1/completions`, as the OpenAI
/// API defines them (the fields this server acts on; others are ignored, as clients send many).
/// Keys are spelled as in JSON so that a decoding error names the field the client wrote.

/// The fields both endpoints share: the model, streaming and sampling.
struct GenerationFields: Decodable {
    var model: String
    var stream: Bool?
    var streamOptions: StreamOptions?
    var maxTokens: Int?
    var temperature: Double?
    var topP: Double?
    /// Not OpenAI's, but llama.cpp's server and most local servers take them.
    var topK: Int?
    var minP: Double?
    var repetitionPenalty: Double?
    var presencePenalty: Double?
    var frequencyPenalty: Double?
    var seed: Int?
    var stop: StopStrings?
    var n: Int?
    var logprobs: LogprobsField?

    struct StreamOptions: Decodable {
        var includeUsage: Bool?

        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    enum CodingKeys: String, CodingKey {
        case model, stream, temperature, seed, stop, n, logprobs
        case streamOptions = "stream_options", maxTokens = "max_tokens", topP = "top_p", topK = "top_k", minP = "min_p"
        case repetitionPenalty = "repetition_penalty", presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream)
        streamOptions = try c.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)
        maxTokens = try c.decodeInteger(.maxTokens)
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature)
        topP = try c.decodeIfPresent(Double.self, forKey: .topP)
        topK = try c.decodeInteger(.topK)
        minP = try c.decodeIfPresent(Double.self, forKey: .minP)
        repetitionPenalty = try c.decodeIfPresent(Double.self, forKey: .repetitionPenalty)
        presencePenalty = try c.decodeIfPresent(Double.self, forKey: .presencePenalty)
        frequencyPenalty = try c.decodeIfPresent(Double.self, forKey: .frequencyPenalty)
        seed = try c.decodeInteger(.seed)
        stop = try c.decodeIfPresent(StopStrings.self, forKey: .stop)
        n = try c.decodeInteger(.n)
        logprobs = try c.decodeIfPresent(LogprobsField.self, forKey: .logprobs)
    }
}

extension KeyedDecodingContainer {
    /// An optional integer field. Foundation reports a number that is not a whole `Int` (2.5,
    /// 1e30) only as "not valid JSON", without the field: here it is a type mismatch at the field.
    func decodeInteger(_ key: Key) throws -> Int? {
        guard contains(key), !(try decodeNil(forKey: key)) else { return nil }
        if let value = try? decode(Int.self, forKey: key) { return value }
        if (try? decode(Double.self, forKey: key)) != nil {
            throw DecodingError.typeMismatch(Int.self, .init(codingPath: codingPath + [key], debugDescription: "not a whole number"))
        }
        return try decode(Int.self, forKey: key)
    }
}

/// `stop`: one string or a list of them.
struct StopStrings: Decodable {
    var strings: [String]

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) {
            strings = [one]
        } else if let many = try? container.decode([String].self) {
            strings = many
        } else {
            throw DecodingError.typeMismatch(StopStrings.self, .init(codingPath: decoder.codingPath,
                                                                     debugDescription: "a string or a list of strings"))
        }
    }
}

/// `logprobs`: a boolean for chat, a number for completions; either way this server has none to give.
struct LogprobsField: Decodable {
    var requested: Bool

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            requested = false
        } else if let flag = try? container.decode(Bool.self) {
            requested = flag
        } else {
            requested = (try container.decode(Int.self)) > 0
        }
    }
}

struct ChatCompletionRequest: Decodable {
    var fields: GenerationFields
    var messages: [Message]
    /// The newer name of `max_tokens` for chat.
    var maxCompletionTokens: Int?

    struct Message: Decodable {
        var role: String
        var content: MessageContent?
    }

    enum CodingKeys: String, CodingKey { case messages, maxCompletionTokens = "max_completion_tokens" }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        fields = try GenerationFields(from: decoder)
        messages = try container.decode([Message].self, forKey: .messages)
        maxCompletionTokens = try container.decodeInteger(.maxCompletionTokens)
    }
}

/// A message's `content`: a string, or a list of parts of which only text parts are understood.
struct MessageContent: Decodable {
    var text: String

    struct Part: Decodable {
        var type: String
        var text: String?
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            text = string
            return
        }
        guard let parts = try? container.decode([Part].self) else {
            throw DecodingError.typeMismatch(MessageContent.self, .init(codingPath: decoder.codingPath,
                                                                        debugDescription: "a string or a list of text parts"))
        }
        if let other = parts.first(where: { $0.type != "text" }) {
            throw APIError.invalid("Content parts of type '\(other.type)' are not supported: this model reads text only.",
                                   param: decoder.codingPath.jsonPath)
        }
        text = parts.compactMap(\.text).joined()
    }
}

struct CompletionRequest: Decodable {
    var fields: GenerationFields
    var prompt: String

    enum CodingKeys: String, CodingKey { case prompt }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        fields = try GenerationFields(from: decoder)
        if let text = try? container.decode(String.self, forKey: .prompt) {
            prompt = text
        } else if let list = try? container.decode([String].self, forKey: .prompt), list.count == 1 {
            prompt = list[0]
        } else if container.contains(.prompt) {
            throw APIError.invalid("'prompt' must be a string (or a list of exactly one string).", param: "prompt")
        } else {
            throw DecodingError.keyNotFound(CodingKeys.prompt, .init(codingPath: decoder.codingPath, debugDescription: "missing"))
        }
    }
}

extension Array where Element == CodingKey {
    /// `messages[0].content`: a coding path as the field's place in the JSON.
    var jsonPath: String {
        var path = ""
        for key in self {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return path
    }
}

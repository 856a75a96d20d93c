import Foundation
import Testing
import Tokenizer
@testable import Server

@Suite("requests checked field by field")
struct RequestValidationTests {
    static let model = "smol"

    func chat(_ json: String) throws -> ChatCompletionRequest {
        try RequestDecoding.decode(ChatCompletionRequest.self, from: Array(json.utf8))
    }

    func message(of json: String) -> String? {
        do {
            let request = try chat(json)
            _ = try request.fields.request(prompt: [1], maxTokens: request.fields.maxTokens, servedModel: Self.model, defaults: .init())
            return nil
        } catch let error as APIError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test("decoding failures name the field and the type it needs", arguments: [
        (#"{"model": "smol""#, "not valid JSON"),
        (#"{"model": "smol"}"#, "'messages' is required"),
        (#"{"model": "smol", "messages": {}}"#, "'messages' must be a list"),
        (#"{"model": "smol", "messages": [{"role": "user", "content": null}], "top_k": "many"}"#, "'top_k' must be an integer"),
        (#"{"model": "smol", "messages": [{"role": "user"}], "stream_options": {"include_usage": 1}}"#,
         "'stream_options.include_usage' must be true or false"),
        (#"{"model": "smol", "messages": [{"role": 1}]}"#, "'messages[0].role' must be a string"),
        (#"{"model": "smol", "messages": [], "max_tokens": 2.5}"#, "'max_tokens' must be an integer"),
        (#"{"model": "smol", "messages": [], "seed": 1e30}"#, "'seed' must be an integer"),
    ])
    func decoding(json: String, expected: String) {
        #expect(message(of: json)?.contains(expected) == true, "\(message(of: json) ?? "accepted")")
    }

    @Test("ranges are checked and the defaults fill what a request leaves out")
    func ranges() throws {
        #expect(message(of: #"{"model": "smol", "messages": [], "min_p": 1.5}"#) == "'min_p' must be in [0, 1]; got 1.5.")
        #expect(message(of: #"{"model": "smol", "messages": [], "presence_penalty": -3}"#)?.contains("[-2, 2]") == true)
        #expect(message(of: #"{"model": "smol", "messages": [], "repetition_penalty": 0}"#)?.contains("(0, 10]") == true)
        #expect(message(of: #"{"model": "other", "messages": []}"#)?.contains("'other' does not exist") == true)
        let request = try chat(#"{"model": "smol", "messages": [], "top_p": 0.5, "seed": -1, "stop": "\n", "stream": true, "frequency_penalty": 1}"#)
        let defaults = SamplingDefaults(temperature: 0.3, topP: 0.9, topK: 40, seed: 9)
        let generation = try request.fields.request(prompt: [1, 2], maxTokens: nil, servedModel: Self.model, defaults: defaults)
        #expect(generation.sampling.temperature == 0.3 && generation.sampling.topP == 0.5 && generation.sampling.topK == 40)
        #expect(generation.sampling.seed == UInt64.max && generation.sampling.frequencyPenalty == 1)
        #expect(generation.stops == ["\n"] && generation.stream && !generation.includeUsage && generation.maxTokens == nil)
    }

    @Test("message content may be text parts; roles are OpenAI's")
    func content() throws {
        let request = try chat(#"{"model": "smol", "messages": [{"role": "developer", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]}"#)
        #expect(request.messages[0].content?.text == "ab")
        #expect(CompletionRoutes.roles["developer"] == .system && CompletionRoutes.roles["tool"] == nil)
    }
}

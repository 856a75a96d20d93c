import Foundation
import Testing
@testable import Server

/// The JSON the clients parse: OpenAI's shapes, keys present even when null.
@Suite("response and stream chunk shapes")
struct ResponseShapeTests {
    func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    /// An SSE event's JSON payload.
    func event(_ bytes: [UInt8]) throws -> [String: Any] {
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("data: ") && text.hasSuffix("\n\n"))
        return try object(Array(text.dropFirst(6).dropLast(2).utf8))
    }

    @Test("a chat response: message, finish_reason, usage with cached tokens")
    func chatResponse() throws {
        let writer = CompletionWriter(kind: .chat, model: "smol")
        let body = try object(writer.response(text: "Paris.", finishReason: .stop,
                                              usage: Usage(promptTokens: 20, completionTokens: 3, cachedTokens: 12)))
        #expect(body["object"] as? String == "chat.completion" && (body["id"] as? String)?.hasPrefix("chatcmpl-") == true)
        let choice = try #require((body["choices"] as? [[String: Any]])?.first)
        #expect((choice["message"] as? [String: String]) == ["role": "assistant", "content": "Paris."])
        #expect(choice["finish_reason"] as? String == "stop" && choice["logprobs"] is NSNull)
        let usage = try #require(body["usage"] as? [String: Any])
        #expect(usage["total_tokens"] as? Int == 23 && (usage["prompt_tokens_details"] as? [String: Int])?["cached_tokens"] == 12)
    }

    @Test("chat chunks: the role first, then text deltas, then an empty delta with the finish reason")
    func chatChunks() throws {
        let writer = CompletionWriter(kind: .chat, model: "smol")
        let role = try event(try #require(writer.roleEvent()))
        #expect(role["object"] as? String == "chat.completion.chunk")
        #expect(((role["choices"] as? [[String: Any]])?.first?["delta"] as? [String: String]) == ["role": "assistant", "content": ""])
        let text = try event(writer.textEvent("Pa"))
        let delta = (text["choices"] as? [[String: Any]])?.first
        #expect((delta?["delta"] as? [String: String]) == ["content": "Pa"] && delta?["finish_reason"] is NSNull)
        let end = try event(writer.finishEvent(.length))
        let last = (end["choices"] as? [[String: Any]])?.first
        #expect((last?["delta"] as? [String: String]) == [:] && last?["finish_reason"] as? String == "length")
        #expect(text["id"] as? String == end["id"] as? String)
        #expect(String(decoding: CompletionWriter.done, as: UTF8.self) == "data: [DONE]\n\n")
    }

    @Test("text completion chunks carry text; the usage chunk has no choices")
    func textChunks() throws {
        let writer = CompletionWriter(kind: .text, model: "smol")
        #expect(writer.roleEvent() == nil)
        let chunk = try event(writer.textEvent(" Paris"))
        #expect(chunk["object"] as? String == "text_completion")
        #expect((chunk["choices"] as? [[String: Any]])?.first?["text"] as? String == " Paris")
        let usage = try event(writer.usageEvent(Usage(promptTokens: 5, completionTokens: 2, cachedTokens: 0)))
        #expect((usage["choices"] as? [Any])?.isEmpty == true && (usage["usage"] as? [String: Any])?["completion_tokens"] as? Int == 2)
    }

    @Test("errors: OpenAI's body, null param and code written out, Retry-After on a 429")
    func errors() throws {
        let body = try object(APIError.invalid("'n' must be 1.").body)
        let detail = try #require(body["error"] as? [String: Any])
        #expect(detail["message"] as? String == "'n' must be 1." && detail["type"] as? String == "invalid_request_error")
        #expect(detail["param"] is NSNull && detail["code"] is NSNull)
        let busy = APIError.busy(waiting: 3, retryAfterSeconds: 7)
        #expect(busy.status == .tooManyRequests && busy.headers["Retry-After"] == "7")
    }
}

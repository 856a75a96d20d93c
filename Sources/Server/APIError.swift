import Foundation
import HTTPTypes
import Hummingbird

/// A refused request, answered with OpenAI's error body so that clients show the message:
///
///     {"error": {"message": "...", "type": "invalid_request_error", "param": "temperature", "code": null}}
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?
    /// Extra response headers (`Retry-After` on a 429).
    public var headers: [String: String] = [:]

    public init(status: HTTPResponse.Status, message: String, type: String = "invalid_request_error",
                param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    public var description: String { "\(status.code) \(message)" }

    static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, param: param, code: code)
    }

    static func unknownModel(_ name: String, served: String) -> APIError {
        APIError(status: .notFound, message: "The model '\(name)' does not exist: this server serves '\(served)' (see GET /v1/models).",
                 param: "model", code: "model_not_found")
    }

    static func contextExceeded(promptTokens: Int, context: Int) -> APIError {
        .invalid("The prompt is \(promptTokens) tokens but the context holds \(context), and at least one token must be left to generate: "
                 + "shorten the prompt or restart the server with a larger --max-seq-len.", param: "messages", code: "context_length_exceeded")
    }

    static func busy(waiting: Int, retryAfterSeconds: Int) -> APIError {
        var error = APIError(status: .tooManyRequests,
                             message: "The server is busy: one request is generating and \(waiting) are waiting, the most it queues. "
                                 + "Retry in about \(retryAfterSeconds) s.",
                             type: "rate_limit_error", code: "queue_full")
        error.headers["Retry-After"] = "\(retryAfterSeconds)"
        return error
    }

    static let unauthorized = APIError(status: .unauthorized,
                                       message: "Missing or wrong API key: send the key given to `dllama serve --api-key` as `Authorization: Bearer KEY`.",
                                       type: "invalid_request_error", code: "invalid_api_key")

    /// The JSON body.
    var body: [UInt8] {
        struct Body: Encodable {
            struct Detail: Encodable {
                var message: String
                var type: String
                var param: String?
                var code: String?

                func encode(to encoder: Encoder) throws {
                    var c = encoder.container(keyedBy: CodingKeys.self)
                    try c.encode(message, forKey: .message)
                    try c.encode(type, forKey: .type)
                    try c.encode(param, forKey: .param)  // null rather than absent, as OpenAI writes it
                    try c.encode(code, forKey: .code)
                }

                enum CodingKeys: String, CodingKey { case message, type, param, code }
            }
            var error: Detail
        }
        let detail = Body.Detail(message: message, type: type, param: param, code: code)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(Body(error: detail))) ?? Data(#"{"error":{"message":"error"}}"#.utf8))
    }
}

extension APIError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

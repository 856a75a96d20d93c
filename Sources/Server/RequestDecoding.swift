import Foundation

/// Decodes a JSON request body, wording every failure as a 400 that names the field and what it
/// should be: "'temperature' must be a number", "'messages' is required".
enum RequestDecoding {
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws -> T {
        guard !body.isEmpty else { throw APIError.invalid("The request has no body: send a JSON object.") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as APIError {
            throw error
        } catch let error as DecodingError {
            throw describe(error)
        }
    }

    static func describe(_ error: DecodingError) -> APIError {
        switch error {
        case .keyNotFound(let key, let context):
            let path = (context.codingPath + [key]).jsonPath
            return .invalid("'\(path)' is required.", param: path)
        case .valueNotFound(_, let context):
            let path = context.codingPath.jsonPath
            return .invalid("'\(path)' must not be null.", param: path)
        case .typeMismatch(let type, let context):
            let path = context.codingPath.jsonPath
            guard !path.isEmpty else { return .invalid("The request body must be a JSON object.") }
            return .invalid("'\(path)' must be \(describe(type)).", param: path)
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let reason = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                return .invalid("The request body is not valid JSON" + (reason.map { ": \($0)" } ?? "."))
            }
            let path = context.codingPath.jsonPath
            return .invalid("'\(path)' has an invalid value: \(context.debugDescription)", param: path)
        @unknown default:
            return .invalid("The request body could not be read: \(error)")
        }
    }

    /// "a number", "an integer", ... for the Swift type a field decodes to.
    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type, is UInt64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is StopStrings.Type: return "a string or a list of strings"
        case is MessageContent.Type: return "a string or a list of text parts"
        case is [Any].Type: return "a list"
        case is [String: Any].Type: return "an object"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array<") { return "a list" }
            if name.hasPrefix("Dictionary<") { return "an object" }
            return "an object"
        }
    }
}

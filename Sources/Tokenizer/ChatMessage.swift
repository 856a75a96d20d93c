/// One message of a conversation.
///
/// ```swift
/// let messages: [ChatMessage] = [.init(.system, "You are terse."), .init(.user, "Capital of France?")]
/// ```
public struct ChatMessage: Sendable, Equatable {
    public enum Role: String, Sendable {
        case system, user, assistant
    }

    public var role: Role
    public var content: String

    public init(_ role: Role, _ content: String) {
        self.role = role
        self.content = content
    }
}

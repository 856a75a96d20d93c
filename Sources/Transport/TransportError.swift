import Foundation

/// Everything that can go wrong between nodes, with the data a caller needs to word it. `peer`
/// names the other side as the user knows it (`192.168.1.5:9999`, `worker 2`).
public enum TransportError: Error, Equatable, CustomStringConvertible {
    /// A frame or message that does not follow the protocol.
    case malformed(message: String, reason: String)
    /// A frame header announcing more bytes than this connection accepts.
    case frameTooLarge(peer: String, bytes: Int, limit: Int)
    /// A frame of a kind that is not valid at this point of the conversation.
    case unexpectedMessage(peer: String, expected: String, got: String)
    case versionMismatch(peer: String, ours: Int, theirs: Int)
    /// The other side sent an error message (its words, printable and bounded).
    case remoteError(peer: String, message: String)
    /// Authentication failed; `reason` says which side lacks or disagrees on the secret.
    case authentication(peer: String, reason: String)
    case connectionClosed(peer: String)
    case timedOut(peer: String, seconds: Double, waitingFor: String)
    case cannotResolve(host: String, reason: String)
    case cannotConnect(peer: String, reason: String)
    case cannotListen(address: String, reason: String)
    case socket(peer: String, operation: String, reason: String)
    /// The root abandoned the current step (another node failed).
    case aborted(reason: String)
    /// A wire payload of the wrong size for what it should hold.
    case payloadSize(peer: String, what: String, expected: Int, got: Int)
    /// An MPI call returned an error (`call` names it and its peer, `reason` is the library's text).
    case mpi(call: String, reason: String)

    public var description: String {
        switch self {
        case .malformed(let message, let reason):
            return "malformed \(message) message: \(reason)"
        case .frameTooLarge(let peer, let bytes, let limit):
            return "\(peer) announced a \(bytes)-byte message, more than the \(limit) bytes this connection accepts: it does not speak the dllama protocol, or is damaged"
        case .unexpectedMessage(let peer, let expected, let got):
            return "\(peer) sent \(got) where \(expected) was expected: it does not speak this version of the dllama protocol"
        case .versionMismatch(let peer, let ours, let theirs):
            return "\(peer) speaks dllama protocol version \(theirs), this node speaks \(ours): run the same dllama release on every node"
        case .remoteError(let peer, let message):
            return "\(peer): \(message)"
        case .authentication(let peer, let reason):
            return "\(peer): \(reason)"
        case .connectionClosed(let peer):
            return "\(peer) closed the connection"
        case .timedOut(let peer, let seconds, let what):
            return "\(peer) sent nothing for \(Self.seconds(seconds)) while this node waited for \(what)"
        case .cannotResolve(let host, let reason):
            return "cannot resolve host name \(host): \(reason)"
        case .cannotConnect(let peer, let reason):
            return "cannot connect to \(peer): \(reason)"
        case .cannotListen(let address, let reason):
            return "cannot listen on \(address): \(reason)"
        case .socket(let peer, let operation, let reason):
            return "\(operation) with \(peer) failed: \(reason)"
        case .aborted(let reason):
            return "the step was abandoned: \(reason)"
        case .payloadSize(let peer, let what, let expected, let got):
            return "\(peer) sent \(got) bytes of \(what), expected \(expected): the nodes disagree on the model or the plan"
        case .mpi(let call, let reason):
            return "\(call) failed: \(reason)"
        }
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s)
    }
}

/// Text from the other side, made safe to print: printable characters only, bounded length.
func printable(_ text: String, limit: Int = 300) -> String {
    let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
        scalar.properties.generalCategory == .control ? "?" : scalar
    }))
    return cleaned.count > limit ? String(cleaned.prefix(limit)) + "..." : cleaned
}

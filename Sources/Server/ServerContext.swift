import Foundation
import Hummingbird

/// The request context: Hummingbird's own, plus a record the handlers fill in for the request's
/// log line (a class, shared by every copy of the context).
struct ServerContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let record = RequestRecord()

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}

/// What a completion request did, for its log line: filled in by the handler as it goes.
final class RequestRecord: @unchecked Sendable {  // unchecked: mutable state behind `lock`
    private let lock = NSLock()
    private var _outcome: GenerationOutcome?
    private var _note: String?
    private var _watchesInbound = false

    var outcome: GenerationOutcome? {
        get { lock.withLock { _outcome } }
        set { lock.withLock { _outcome = newValue } }
    }

    /// Whether the handler watched for the client closing its side (Hummingbird then closes the
    /// connection after the response, so the response must say `Connection: close`).
    var watchesInbound: Bool {
        get { lock.withLock { _watchesInbound } }
        set { lock.withLock { _watchesInbound = newValue } }
    }

    /// Something that happened to the request: "client disconnected", an engine error.
    var note: String? {
        get { lock.withLock { _note } }
        set { lock.withLock { _note = newValue } }
    }

    /// ` prompt 25 (cached 20), completion 12, finish stop, first token 45 ms, 96.3 tokens/s`
    var summary: String {
        var parts: [String] = []
        if let outcome {
            parts.append("prompt \(outcome.usage.promptTokens) (cached \(outcome.usage.cachedTokens)), completion \(outcome.usage.completionTokens)")
            parts.append("finish \(outcome.finishReason?.rawValue ?? "cancelled")")
            if let ttft = outcome.timeToFirstToken { parts.append(String(format: "first token %.0f ms", ttft * 1000)) }
            if outcome.tokensPerSecond > 0 { parts.append(String(format: "%.1f tokens/s", outcome.tokensPerSecond)) }
        }
        if let note { parts.append(note) }
        return parts.isEmpty ? "" : ", " + parts.joined(separator: ", ")
    }
}

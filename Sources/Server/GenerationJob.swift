import Foundation

/// How a generation ended, for the response's `usage` and `finish_reason`, the log and metrics.
struct GenerationOutcome: Sendable {
    /// nil when the request was cancelled (its client left) before the end.
    var finishReason: FinishReason?
    var usage: Usage
    /// From the request's arrival to its first generated token, in seconds.
    var timeToFirstToken: Double?
    var tokensPerSecond: Double
}

/// What the engine thread tells the request handler, in order: text pieces, then one end.
enum GenerationEvent: Sendable {
    case text(String)
    case finished(GenerationOutcome)
    /// The engine failed (a worker went away, say): the message for the client.
    case failed(String)
}

/// One request waiting for or running on the engine. The handler reads `events`; the engine thread
/// checks `isCancelled` after every token, so a client that leaves stops its generation at once.
final class GenerationJob: @unchecked Sendable {  // unchecked: mutable state behind `lock`
    let request: GenerationRequest
    /// When the request arrived (`DispatchTime` nanoseconds): time to first token counts from here.
    let arrival: UInt64
    let events: AsyncStream<GenerationEvent>
    private let continuation: AsyncStream<GenerationEvent>.Continuation
    private let lock = NSLock()
    private var cancelled = false
    private var ended = false

    init(request: GenerationRequest, arrival: UInt64 = DispatchTime.now().uptimeNanoseconds) {
        self.request = request
        self.arrival = arrival
        (events, continuation) = AsyncStream.makeStream(of: GenerationEvent.self)
    }

    var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }

    /// Whether the engine has sent the end (finished or failed).
    var hasEnded: Bool {
        lock.lock()
        defer { lock.unlock() }
        return ended
    }

    func emit(_ event: GenerationEvent) {
        switch event {
        case .text:
            continuation.yield(event)
        case .finished, .failed:
            lock.lock()
            ended = true
            lock.unlock()
            continuation.yield(event)
            continuation.finish()
        }
    }
}

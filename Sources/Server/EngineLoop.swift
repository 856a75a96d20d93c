import Engine
import Foundation
import Logging

/// The one thread that drives the engine. A `Transformer` runs one step at a time, so requests
/// take turns: one generates while up to `queueLimit` wait; beyond that a request is refused with
/// a 429 and a `Retry-After` estimated from how long requests have been taking.
final class EngineLoop: @unchecked Sendable {  // unchecked: the queue behind `condition`; the engine is used by its own thread only
    let generator: Generator
    let queueLimit: Int
    let metrics: ServerMetrics
    let cluster: ClusterMonitor
    let logger: Logger

    private let condition = NSCondition()
    private var waiting: [GenerationJob] = []
    private var running: GenerationJob?
    private var closed = false
    private var started = false
    private var finished = false
    /// A running average of how long a request holds the engine, for `Retry-After`.
    private var averageSeconds = 1.0
    private var failure: String?

    init(generator: Generator, queueLimit: Int, metrics: ServerMetrics, cluster: ClusterMonitor, logger: Logger) {
        self.generator = generator
        self.queueLimit = queueLimit
        self.metrics = metrics
        self.cluster = cluster
        self.logger = logger
    }

    /// Starts the engine thread (after a first status round, so the panel has figures at once).
    func start() {
        condition.lock()
        started = true
        condition.unlock()
        refreshStatus()
        let thread = Thread { [self] in
            while let job = next() {
                let start = Date()
                run(job)
                refreshStatus()
                finish(job, seconds: Date().timeIntervalSince(start))
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "dllama engine"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Queues `job`, or refuses it when the queue is full (or the server is stopping).
    func submit(_ job: GenerationJob) throws {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else {
            throw APIError(status: .serviceUnavailable, message: "The server is shutting down.", type: "server_error")
        }
        // One may generate and `queueLimit` wait (a job just queued counts as generating until
        // the engine thread takes it, so a burst cannot slip past the bound).
        let taken = waiting.count + (running == nil ? 0 : 1)
        if taken > queueLimit {
            let seconds = Int((averageSeconds * Double(taken)).rounded(.up))
            throw APIError.busy(waiting: taken - 1, retryAfterSeconds: max(1, seconds))
        }
        waiting.append(job)
        metrics.queueWaiting.set(to: Double(waiting.count))
        condition.signal()
    }

    /// The client has gone: a waiting job leaves the queue, a running one stops at its next token.
    func cancel(_ job: GenerationJob) {
        job.cancel()
        condition.lock()
        if let index = waiting.firstIndex(where: { $0 === job }) {
            waiting.remove(at: index)
            metrics.queueWaiting.set(to: Double(waiting.count))
            job.emit(.failed("the request was cancelled"))
        }
        condition.unlock()
    }

    /// Whether the server is stopping (no more requests are taken).
    var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// Requests generating and waiting now.
    var load: (running: Int, waiting: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (running == nil ? 0 : 1, waiting.count)
    }

    /// The engine's last failure (a worker gone, say), until a request succeeds again: `/health`
    /// reports it.
    var lastFailure: String? {
        get {
            condition.lock()
            defer { condition.unlock() }
            return failure
        }
        set {
            condition.lock()
            failure = newValue
            condition.unlock()
        }
    }

    /// Refuses new requests, cancels the running and waiting ones and waits for the thread to end.
    func close() {
        condition.lock()
        closed = true
        running?.cancel()
        for job in waiting {
            job.cancel()
            job.emit(.failed("the server is shutting down"))
        }
        waiting.removeAll()
        condition.broadcast()
        while started && !finished { condition.wait() }
        condition.unlock()
    }

    private func next() -> GenerationJob? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty && !closed { condition.wait() }
        guard !closed else { return nil }
        let job = waiting.removeFirst()
        running = job
        metrics.queueWaiting.set(to: Double(waiting.count))
        metrics.queueRunning.set(to: 1)
        return job
    }

    private func finish(_ job: GenerationJob, seconds: Double) {
        condition.lock()
        running = nil
        averageSeconds = 0.7 * averageSeconds + 0.3 * seconds
        metrics.queueRunning.set(to: 0)
        condition.unlock()
    }

    /// Asks every node for its figures (one round trip) for the cluster panel and metrics.
    private func refreshStatus() {
        do {
            cluster.update(try generator.transformer.nodeStatus(), cachedTokens: generator.cachedTokens.count)
        } catch {
            logger.error("the nodes did not report their status: \(error)")
            lastFailure = "the nodes did not report their status: \(error)"
        }
    }
}

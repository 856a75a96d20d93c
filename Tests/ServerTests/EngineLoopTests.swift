import Engine
import Foundation
import Logging
import ModelFormat
import Testing
import Tokenizer
@testable import Server

/// The engine thread and its queue, on the team's tiny Llama fixture (fast, no assets needed).
@Suite("the engine queue")
struct EngineLoopTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/oracle")

    func loop(queueLimit: Int) throws -> EngineLoop {
        let file = try ModelFile(path: Self.fixtures.appendingPathComponent("dllama_model_llama_q40.m").path)
        let tokenizer = try Tokenizer(path: Self.fixtures.appendingPathComponent("dllama_tokenizer_tiny.t").path)
        let generator = Generator(transformer: try Transformer(file: file, options: .init(maxSeqLen: 64)), tokenizer: tokenizer)
        let metrics = ServerMetrics()
        let cluster = ClusterMonitor(addresses: ["here"], shares: ["all"], metrics: metrics)
        return EngineLoop(generator: generator, queueLimit: queueLimit, metrics: metrics, cluster: cluster,
                          logger: Logger(label: "test"))
    }

    func job(maxTokens: Int = 4, stops: [String] = []) -> GenerationJob {
        GenerationJob(request: GenerationRequest(prompt: [1, 5, 9], maxTokens: maxTokens, sampling: SamplingParameters(temperature: 0, seed: 1),
                                                 stops: stops, stream: false, includeUsage: false))
    }

    @Test("a burst cannot pass the bound: one to run and `queueLimit` waiting, then 429; a cancelled waiter leaves the queue")
    func bound() throws {
        let engine = try loop(queueLimit: 1)   // not started: nothing takes jobs off the queue
        let (first, second, third) = (job(), job(), job())
        try engine.submit(first)
        try engine.submit(second)
        #expect(throws: APIError.self) { try engine.submit(third) }
        engine.cancel(second)
        #expect(engine.load.waiting == 1)
        try engine.submit(third)
        engine.close()
    }

    @Test("jobs run in turn: text events, then the usage and finish reason; the second finds the prompt in the cache")
    func runs() async throws {
        let engine = try loop(queueLimit: 4)
        engine.start()
        defer { engine.close() }
        var outcomes: [GenerationOutcome] = []
        for _ in 0..<2 {
            let job = job()
            try engine.submit(job)
            var text = ""
            for await event in job.events {
                switch event {
                case .text(let piece): text += piece
                case .finished(let outcome): outcomes.append(outcome)
                case .failed(let message): Issue.record("failed: \(message)")
                }
            }
            #expect(outcomes.last?.usage.completionTokens ?? 0 > 0)
        }
        #expect(outcomes.map(\.usage.promptTokens) == [3, 3])
        #expect(outcomes.map(\.usage.cachedTokens) == [0, 2])
        #expect(outcomes.allSatisfy { $0.finishReason != nil && $0.timeToFirstToken != nil })
    }

    @Test("a job cancelled before it starts never runs")
    func cancelledBeforeStart() async throws {
        let engine = try loop(queueLimit: 4)
        let job = job()
        try engine.submit(job)
        job.cancel()
        engine.start()
        defer { engine.close() }
        var events: [GenerationEvent] = []
        for await event in job.events { events.append(event) }
        guard case .failed = events.last else {
            Issue.record("expected a failure, got \(events)")
            return
        }
    }
}

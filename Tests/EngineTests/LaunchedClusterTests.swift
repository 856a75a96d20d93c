import Foundation
import ModelFormat
import Scheduler
import Testing
import Transport
@testable import Engine

/// The start-up of a launched cluster (what `mpirun -np N dllama` runs on every rank), with the
/// nodes as threads exchanging through `LoopbackCollective`: the same agreement code as under MPI,
/// without MPI. The oracle models are tiny (2 layers, 2 KV heads), so every case takes milliseconds.
@Suite("launched clusters: every node agrees on the model and the plan, or every node stops with the same message")
struct LaunchedClusterTests {
    static let llama = Fixtures.root.appendingPathComponent("oracle/dllama_model_llama_q40.m").path
    static let qwen3 = Fixtures.root.appendingPathComponent("oracle/dllama_model_qwen3_q40.m").path

    static func options(_ mode: PlanMode = .hybrid, maxRAM: Int? = nil) -> Cluster.Options {
        var options = Cluster.Options(workers: [])
        options.mode = mode
        options.maxSeqLen = 32
        options.maxRAM = maxRAM
        return options
    }

    /// Runs `join` on every node, each on its own thread with its own model path and options; the
    /// root runs `root` on its engine, the others serve until the root ends the session.
    static func launch(paths: [String], options: [Cluster.Options], check: @escaping @Sendable (Int, ModelFile) throws -> Void = { _, _ in },
                       root: @escaping @Sendable (Transformer) throws -> [[Float]] = { _ in [] }) -> [Result<[[Float]], Error>] {
        let collectives = LoopbackCollective.make(nodes: paths.count, encoding: .f16, timeout: 30)
        let results = Results(count: paths.count)
        let done = DispatchGroup()
        for (node, collective) in collectives.enumerated() {
            done.enter()
            Thread {
                results.set(node, Result {
                    switch try LaunchedCluster.join(modelPath: paths[node], collective: collective, options: options[node],
                                                    check: { try check(node, $0) }) {
                    case .root(let engine):
                        defer { engine.shutdown() }
                        return try root(engine)
                    case .member(let member):
                        let report = try LaunchedCluster.serve(member, collective: collective)
                        return [[Float(report.steps)]]
                    }
                })
                done.leave()
            }.start()
        }
        _ = done.wait(timeout: .now() + 60)
        return results.all
    }

    /// The message every node stopped with; records an issue unless all stopped with the same one.
    static func sharedFailure(_ results: [Result<[[Float]], Error>]) -> String {
        let messages = results.map { result -> String? in
            guard case .failure(let error) = result, let failure = error as? LaunchError else { return nil }
            return failure.message
        }
        #expect(messages.allSatisfy { $0 != nil && $0 == messages[0] }, "\(results)")
        return messages[0] ?? ""
    }

    @Test("three nodes agree, plan as an in-process cluster does, and compute its logits bit for bit; the others report their steps")
    func agreement() throws {
        let tokens = [1, 5, 9, 2, 7]
        let results = Self.launch(paths: Array(repeating: Self.llama, count: 3), options: Array(repeating: Self.options(), count: 3),
                                  root: { engine in
            #expect(engine.plan.nodes.count == 3)
            return try tokens.enumerated().map { position, token in Array(try engine.forward(token: token, position: position)) }
        })
        var options = Transformer.Options(maxSeqLen: 32, nodes: 3, mode: .hybrid)
        options.storeMode = .resident
        let local = try Transformer(file: try ModelFile(path: Self.llama), options: options)
        let expected = try tokens.enumerated().map { position, token in Array(try local.forward(token: token, position: position)) }
        #expect(try results[0].get() == expected)
        for node in 1..<3 { #expect(try results[node].get() == [[Float(tokens.count)]]) }
    }

    @Test("another model on one node: every node stops with the same mismatch message, naming that rank")
    func fingerprintMismatch() {
        let results = Self.launch(paths: [Self.llama, Self.llama, Self.qwen3], options: Array(repeating: Self.options(), count: 3))
        let message = Self.sharedFailure(results)
        #expect(message.hasPrefix("model file mismatch: rank 2 ("), "\(message)")
        #expect(!message.contains("rank 1 ("), "\(message)")
    }

    @Test("a missing file on one node, and a root check that fails: every node stops with that node's error")
    func openFailures() {
        let missing = Self.launch(paths: [Self.llama, "/nonexistent/model.m", Self.llama], options: Array(repeating: Self.options(), count: 3))
        let message = Self.sharedFailure(missing)
        #expect(message.hasPrefix("rank 1 (") && message.contains("/nonexistent/model.m"), "\(message)")

        struct TokenizerRefused: Error, CustomStringConvertible { var description: String { "the tokenizer does not belong to this model" } }
        let refused = Self.launch(paths: Array(repeating: Self.llama, count: 3), options: Array(repeating: Self.options(), count: 3),
                                  check: { node, _ in if node == 0 { throw TokenizerRefused() } })
        #expect(Self.sharedFailure(refused).hasPrefix("rank 0 (") && Self.sharedFailure(refused).hasSuffix("does not belong to this model"))
    }

    @Test("an impossible plan (tensor mode, 3 nodes, 2 KV heads): every node stops with the planner's refusal")
    func impossiblePlan() {
        let results = Self.launch(paths: Array(repeating: Self.llama, count: 3), options: Array(repeating: Self.options(.tensor), count: 3))
        #expect(Self.sharedFailure(results).contains("KV heads"))
    }

    @Test("a share that cannot load on one node (--max-ram 1K there): every node stops, naming it")
    func loadFailure() {
        let results = Self.launch(paths: Array(repeating: Self.llama, count: 3),
                                  options: [Self.options(), Self.options(maxRAM: 1024), Self.options()])
        let message = Self.sharedFailure(results)
        #expect(message.hasPrefix("rank 1 (") && message.contains("cannot load its share"), "\(message)")
    }

    @Test("the checks every node makes give one verdict, however many nodes differ")
    func verdicts() {
        func arrival(_ fingerprint: String?, failure: String? = nil) -> LaunchedCluster.Arrival {
            LaunchedCluster.Arrival(fingerprint: fingerprint, threads: 1, host: "h", failure: failure)
        }
        #expect(LaunchedCluster.verdict(on: [arrival("a"), arrival("a")]) == nil)
        let two = LaunchedCluster.verdict(on: [arrival("a"), arrival("b"), arrival("a"), arrival("c")])?.message ?? ""
        #expect(two.hasPrefix("model file mismatch: rank 1 (h) has fingerprint b, rank 3 (h) has fingerprint c, rank 0 (h) has a."), "\(two)")
        let failed = LaunchedCluster.verdict(on: [arrival("a"), arrival(nil, failure: "no such file"), arrival("b")])?.message
        #expect(failed == "rank 1 (h): no such file")
    }
}

/// Results written by several threads.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Result<[[Float]], Error>?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Result<[[Float]], Error>) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }
    var all: [Result<[[Float]], Error>] {
        lock.lock()
        defer { lock.unlock() }
        struct Unfinished: Error {}
        return values.map { $0 ?? .failure(Unfinished()) }
    }
}

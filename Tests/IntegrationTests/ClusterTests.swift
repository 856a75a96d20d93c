import Engine
import Foundation
import ModelFormat
import Scheduler
import Testing
import TestSupport
import Transport

/// A root and workers as real processes on 127.0.0.1: the same text as one node, whatever the
/// plan and the wire encoding. Serialized: several clusters at once would only fight over the cores.
@Suite("clusters of real processes on 127.0.0.1", .serialized)
struct ClusterTests {
    static let smolLM2 = InferenceCommandTests.smolLM2
    static let prompt = "The capital of France is"

    /// `dllama inference` greedy on SmolLM2 with `workers` (started and stopped here) and `extra` options.
    func generate(workers count: Int, _ extra: [String], steps: Int = 24, model: String = smolLM2,
                  workerArguments: [String] = [], timeout: TimeInterval = 300) throws -> CommandResult {
        let workers = try (0..<count).map { _ in try WorkerProcess(model: model, arguments: workerArguments) }
        defer { workers.forEach { $0.stop() } }
        let addresses = workers.isEmpty ? [] : ["--workers"] + workers.map(\.address)
        let result = try Executables.run("dllama", ["inference", "--nthreads", "1", "--model", model, "--prompt", Self.prompt, "--steps", "\(steps)",
                                                    "--temperature", "0", "--max-seq-len", "128"] + addresses + extra,
                                         timeout: timeout)
        #expect(result.status == 0, "\(result.stderr)\n\(workers.map(\.log).joined(separator: "\n"))")
        return result
    }

    /// SmolLM2 continues the prompt " Paris.\n\nThe" and then meets a near-tie (" answer" and
    /// " United" 0.07 apart), which a different summation order may flip: the text is compared up
    /// to there; `ClusterAgreementTests` compares 40 steps token by token.
    @Test("root + 1 and root + 2 workers print one node's greedy text, with f32 and f16 on the wire",
          arguments: [1, 2], ["f32", "f16"])
    func tensorParallel(workers: Int, wire: String) throws {
        let alone = try generate(workers: 0, [], steps: 5)
        let cluster = try generate(workers: workers, ["--buffer-float-type", wire], steps: 5)
        #expect(cluster.stdout == alone.stdout)
        #expect(cluster.stdout.hasPrefix(Self.prompt + " Paris.\n\nThe"))
        #expect(cluster.stderr.contains("cluster: \(workers + 1) nodes, \(wire) on the wire"), "\(cluster.stderr)")
        // Each worker reports its share and traffic when the root ends the session.
        #expect(cluster.stderr.contains("worker \(workers): 6 steps"), "\(cluster.stderr)")
    }

    /// A pipeline with F32 hand-offs computes exactly what one node does: the same text, however long.
    @Test("pipeline plans: root + 2 workers, each a third of the layers, print one node's greedy text exactly (f32)")
    func pipeline() throws {
        let alone = try generate(workers: 0, [])
        let cluster = try generate(workers: 2, ["--mode", "pipeline", "--buffer-float-type", "f32"])
        #expect(cluster.stdout == alone.stdout)
        #expect(cluster.stderr.contains("worker 2: layers 20..<30"), "\(cluster.stderr)")
    }

    /// Qwen2.5-Coder-0.5B (491 MB) on a root and two workers, each with a quarter of the model
    /// as --max-ram: a node whose share does not fit streams its layers from its own file.
    @Test("streaming inside a cluster: Qwen2.5-Coder-0.5B under --max-ram 123M per node, one resident node's greedy text", .enabled(if: Assets.present, Assets.missing))
    func streaming() throws {
        let qwen = Paths.assetPath(Assets.qwen)
        let options = ["--max-seq-len", "64"]
        let alone = try Executables.run("dllama", ["inference", "--nthreads", "1", "--model", qwen, "--prompt", "def fibonacci(n):", "--steps", "8",
                                                   "--temperature", "0"] + options, timeout: 300)
        #expect(alone.status == 0, "\(alone.stderr)")
        let workers = try (0..<2).map { _ in try WorkerProcess(model: qwen, arguments: ["--max-ram", "123M"]) }
        defer { workers.forEach { $0.stop() } }
        let cluster = try Executables.run("dllama", ["inference", "--nthreads", "1", "--model", qwen, "--prompt", "def fibonacci(n):", "--steps", "8",
                                                     "--temperature", "0", "--mode", "hybrid", "--max-ram", "123M",
                                                     "--workers"] + workers.map(\.address) + options, timeout: 600)
        #expect(cluster.status == 0, "\(cluster.stderr)")
        #expect(cluster.stdout == alone.stdout)
        #expect(cluster.stderr.contains("streamed from disk"), "\(cluster.stderr)")
    }

    @Test("q80 on the wire runs, and starts with one node's answer")
    func q80() throws {
        let cluster = try generate(workers: 2, ["--buffer-float-type", "q80"], steps: 4)
        #expect(cluster.stdout.hasPrefix(Self.prompt + " Paris"), "\(cluster.stdout)")
    }
}

/// One node's greedy path, fed to a cluster token by token (so both see the same context at
/// every step): wherever one node's choice is clear (top-2 margin above 0.5), the cluster makes
/// it too, and its top logits stay close. The root is this process, its workers are processes.
@Suite("SmolLM2 on clusters of processes against one node, step by step", .serialized)
struct ClusterAgreementTests {
    struct Agreement {
        var steps = 0, confident = 0, agreedConfident = 0, agreed = 0
        var worstTopLogit: Float = 0
    }

    /// Runs 24 greedy steps of one node after "Once upon a time," and the same tokens on the cluster.
    static func compare(workers count: Int, mode: PlanMode, wire: ActivationWireType, steps: Int = 24) throws -> Agreement {
        let file = try ModelFile(path: ClusterTests.smolLM2)
        let single = try Transformer(file: file, options: .init(threads: 1, maxSeqLen: 128))
        let workers = try (0..<count).map { _ in try WorkerProcess(model: ClusterTests.smolLM2) }
        defer { workers.forEach { $0.stop() } }
        var options = Cluster.Options(workers: workers.map { NodeAddress($0.address)! })
        options.mode = mode
        options.activationType = wire
        options.maxSeqLen = 128
        let cluster = try Cluster.connect(file: file, options: options)
        defer { cluster.shutdown() }
        var token = 7454  // "Once"
        var result = Agreement()
        for position in 0..<(steps + 8) {
            let a = Array(try single.forward(token: token, position: position))
            let b = Array(try cluster.forward(token: token, position: position))
            let order = a.indices.sorted { a[$0] > a[$1] }
            let best = b.indices.max { b[$0] < b[$1] }!
            if position >= 8 {
                result.steps += 1
                if best == order[0] { result.agreed += 1 }
                if a[order[0]] - a[order[1]] > 0.5 {
                    result.confident += 1
                    if best == order[0] { result.agreedConfident += 1 }
                }
                result.worstTopLogit = max(result.worstTopLogit, order.prefix(10).map { abs(a[$0] - b[$0]) }.max()!)
            }
            token = order[0]
        }
        return result
    }

    @Test("tensor-parallel root + 1 and root + 2, f32 and f16: every clear choice agrees over 24 steps", arguments: [1, 2], [ActivationWireType.f32, .f16])
    func tensor(workers: Int, wire: ActivationWireType) throws {
        let agreement = try Self.compare(workers: workers, mode: .tensor, wire: wire)
        #expect(agreement.confident >= 12)
        #expect(agreement.agreedConfident == agreement.confident, "\(agreement)")
        #expect(agreement.worstTopLogit < 1, "\(agreement)")
    }

    @Test("pipeline root + 2 with f16 hand-offs: every clear choice agrees")
    func pipeline() throws {
        let agreement = try Self.compare(workers: 2, mode: .pipeline, wire: .f16)
        #expect(agreement.agreedConfident == agreement.confident, "\(agreement)")
        #expect(agreement.worstTopLogit < 1, "\(agreement)")
    }
}

/// The oracle models' logits against the team's numpy oracle `ref_forward.py`, with the root in
/// this process (so every logit can be compared) and its workers as processes.
@Suite("oracle models on a cluster of processes", .serialized)
struct ClusterOracleTests {
    struct Golden: Decodable {
        struct Step: Decodable {
            var token: Int
            var position: Int
            var logits: [Float]
        }
        var model: String
        var nodes: Int
        var prompt_tokens: [Int]
        var steps: [Step]
    }

    /// Largest |ours - oracle| over every step's logits, on a root + `workers` cluster.
    func maxDifference(golden name: String, workers count: Int, mode: PlanMode, wire: ActivationWireType) throws -> Float {
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Executables.fixtures.appendingPathComponent("engine/\(name).json")))
        let path = Executables.fixtures.appendingPathComponent("oracle/\(golden.model)").path
        let workers = try (0..<count).map { _ in try WorkerProcess(model: path) }
        defer { workers.forEach { $0.stop() } }
        var options = Cluster.Options(workers: workers.map { NodeAddress($0.address)! })
        options.mode = mode
        options.activationType = wire
        options.maxSeqLen = 64
        options.kvCacheType = .f32  // the oracle keeps F32 keys and values
        let engine = try Cluster.connect(file: try ModelFile(path: path), options: options)
        defer { engine.shutdown() }
        #expect(engine.plan.nodes.count == count + 1)
        for (position, token) in golden.prompt_tokens.dropLast().enumerated() {
            try engine.forward(token: token, position: position, computeLogits: false)
        }
        var worst: Float = 0
        for step in golden.steps {
            let logits = try engine.forward(token: step.token, position: step.position)
            #expect(logits.count == step.logits.count)
            for (ours, theirs) in zip(logits, step.logits) { worst = max(worst, abs(ours - theirs)) }
        }
        return worst
    }

    /// Q40 weights with Q80 partials, as the oracle's `--nodes 2` computes them: each node's
    /// partial through Q80, summed in node order.
    @Test("root + 1 worker, tensor-parallel: within 0.02 (Q40, q80 wire) and 1e-3 (F32) of ref_forward.py --nodes 2",
          arguments: ["llama", "qwen3", "qwen3moe"])
    func tensor(arch: String) throws {
        #expect(try maxDifference(golden: "\(arch)_q40_nodes2", workers: 1, mode: .tensor, wire: .q80) < 0.02)
        #expect(try maxDifference(golden: "\(arch)_f32_nodes2", workers: 1, mode: .tensor, wire: .f32) < 1e-3)
    }

    /// The oracle models have 2 KV heads and 2 layers: 3 nodes in hybrid mode are a stage of two
    /// tensor-parallel nodes and a stage of one; pipeline gives each node a layer.
    @Test("hybrid (root + 2) and pipeline (root + 1) plans: within 1e-3 of the one-node oracle (F32)",
          arguments: ["llama", "qwen3", "qwen3moe"])
    func hybridAndPipeline(arch: String) throws {
        #expect(try maxDifference(golden: "\(arch)_f32_nodes1", workers: 2, mode: .hybrid, wire: .f32) < 1e-3)
        #expect(try maxDifference(golden: "\(arch)_f32_nodes1", workers: 1, mode: .pipeline, wire: .f32) < 1e-3)
    }
}

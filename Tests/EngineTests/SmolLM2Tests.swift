import Foundation
import Testing
import TestSupport
import ModelFormat
import Tokenizer
import Scheduler
@testable import Engine

/// SmolLM2-135M-Instruct (real weights) against the float32 numpy oracle np_reference.py
/// (Tests/Fixtures/engine/smollm2_np_reference.json).
struct SmolLM2Reference: Decodable {
    struct Run: Decodable {
        var prompt: String
        var prompt_ids: [Int]
        var first_logits_top5: [Int]
        var first_logits_top5_vals: [Float]
        var generated_ids: [Int]
    }
    var runs: [Run]
}

@Suite("SmolLM2 end to end")
struct SmolLM2Tests {
    static let path = Paths.assetPath(Assets.smolLM2)

    let reference = try! JSONDecoder().decode(SmolLM2Reference.self, from: Data(contentsOf: Fixtures.root.appendingPathComponent("engine/smollm2_np_reference.json")))

    /// The engine the oracle is compared with: an F32 KV cache, as the oracle keeps.
    func engine(threads: Int = 2, kvCacheType: KVCacheType = .f32) throws -> (Transformer, Tokenizer) {
        let file = try ModelFile(path: Self.path)
        var options = Transformer.Options(threads: threads, maxSeqLen: 256)
        options.kvCacheType = kvCacheType
        return (try Transformer(file: file, options: options), try Tokenizer(path: Self.path))
    }

    /// The engine rounds every activation to 8 bits before a product, so the summation order of
    /// any kernel moves these logits: the largest difference from float32 was 0.29 on the scalar
    /// path, 0.04 on AVX2 and 0.25 on AVX-512, and 0.32 on AVX-512 once attention summed its
    /// rows in a different order (grouped-query kernels). 0.4 bounds that spread.
    @Test("\"The capital of France is\": top-3 ids, logits within 0.4 of float32, then \" Paris.\"")
    func capitalOfFrance() throws {
        let (engine, tokenizer) = try engine()
        let run = reference.runs[0]
        let prompt = tokenizer.encode(run.prompt)
        #expect(prompt == [504, 3575, 282, 4649, 314])
        for (position, token) in prompt.dropLast().enumerated() {
            try engine.forward(token: token, position: position, computeLogits: false)
        }
        let logits = Array(try engine.forward(token: prompt.last!, position: prompt.count - 1))
        let top3 = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(3)
        #expect(Array(top3) == [7042, 260, 4528])
        // Reference values: 17.371, 14.889, 13.245, 13.009, 12.951 for 7042, 260, 4528, 2250, 1315.
        for (id, value) in zip(run.first_logits_top5, run.first_logits_top5_vals) {
            #expect(abs(logits[id] - value) < 0.4, "logit of \(id): \(logits[id]) vs \(value)")
        }
        let generator = Generator(transformer: engine, tokenizer: tokenizer)
        var sampler = Sampler(SamplingParameters(temperature: 0, seed: 1))
        var text = ""
        try generator.generate(prompt: prompt, maxTokens: 3, sampler: &sampler) { text += $0 }
        #expect(text.hasPrefix(" Paris."))
    }

    /// Greedy ids agree with the float32 reference until the first step whose top-2 margin is
    /// small enough for 8-bit activations to swap them (near-tie); after it they may diverge.
    @Test("a 20-token greedy continuation matches the float32 oracle up to the first near-tie")
    func continuation() throws {
        let (engine, tokenizer) = try engine()
        let run = reference.runs[1]
        let prompt = tokenizer.encode(run.prompt)
        #expect(prompt == run.prompt_ids)
        for (position, token) in prompt.dropLast().enumerated() {
            try engine.forward(token: token, position: position, computeLogits: false)
        }
        var token = prompt.last!, position = prompt.count - 1
        var agreed = 0
        for expected in run.generated_ids {
            let logits = Array(try engine.forward(token: token, position: position))
            let order = logits.indices.sorted { logits[$0] > logits[$1] }
            let margin = logits[order[0]] - logits[order[1]]
            if order[0] != expected {
                // Only a near-tie may differ, and then the reference's choice is our runner-up.
                #expect(margin < 0.5 && order[1] == expected, "step \(agreed): ours \(order[0]) vs \(expected), margin \(margin)")
                break
            }
            agreed += 1
            token = expected
            position += 1
        }
        #expect(agreed >= 10, "agreed for \(agreed) of 20 tokens")
    }

    /// The default F16 cache against F32, on one greedy path (F32's, fed to both so that both see
    /// the same context): the same top token wherever F32's top-2 margin is clear (above 0.5), and
    /// top-10 logits within 1 (0.71 measured: F16 rounds each cached value to 11 bits, and
    /// SmolLM2's 8-bit activations with outliers near 650 amplify that, as they amplify a different
    /// summation order between nodes). llama.cpp's own F16 cache differs from its F32 one by 0.79
    /// on this path, with no clear choice changed (Benchmarks/peers/kv-cache-llamacpp.py;
    /// docs/performance.md, "KV cache").
    @Test("an F16 KV cache picks F32's token wherever the choice is clear, top logits within 1")
    func f16Cache() throws {
        let (f32, tokenizer) = try engine(kvCacheType: .f32)
        let (f16, _) = try engine(kvCacheType: .f16)
        #expect(f16.plan.kvCacheType == .f16 && f16.root.compute.cache.byteCount * 2 == f32.root.compute.cache.byteCount)
        var token = tokenizer.encode("Once upon a time, in a small village, there was")[0]
        let prompt = tokenizer.encode("Once upon a time, in a small village, there was")
        var largest: Float = 0, clearSteps = 0
        for position in 0..<(prompt.count + 40) {
            if position < prompt.count { token = prompt[position] }
            let a = Array(try f32.forward(token: token, position: position)), b = Array(try f16.forward(token: token, position: position))
            let order = a.indices.sorted { a[$0] > a[$1] }
            for id in order.prefix(10) { largest = max(largest, abs(a[id] - b[id])) }
            let top16 = b.indices.max { b[$0] < b[$1] }!
            if a[order[0]] - a[order[1]] > 0.5 {
                clearSteps += 1
                #expect(top16 == order[0], "position \(position): F16 picks \(top16), F32 \(order[0])")
            }
            if position >= prompt.count - 1 { token = order[0] }
        }
        #expect(largest < 1, "largest top-10 logit difference \(largest)")
        #expect(clearSteps >= 20, "only \(clearSteps) clear steps: the check is too weak")
    }
}

@Suite("SmolLM2 split over nodes in one process")
struct SmolLM2SplitTests {
    /// Each node reads only its own slices and the partial sums are added in node order. With F32
    /// partials only the summation order differs from one node, but SmolLM2's residual stream has
    /// outliers near 650, so the 8-bit rounding of activations before each matmul turns those
    /// 1e-5 differences into logit differences: one node's top 10 logits stay within 0.75 (0.44
    /// and 0.61 measured). Q80 partials (the default wire encoding) lose more on such outliers:
    /// within 2.5 (1.8 and 2.2 measured). Either way the top token agrees wherever one node's
    /// top-2 margin exceeds 0.5.
    @Test("2 and 3 nodes give one node's top logits within tolerance", .enabled(if: Assets.present, Assets.missing), arguments: [2, 3], [ActivationWireType.f32, .q80])
    func split(nodes: Int, wire: ActivationWireType) throws {
        let file = try ModelFile(path: SmolLM2Tests.path)
        let tokenizer = try Tokenizer(path: SmolLM2Tests.path)
        let prompt = tokenizer.encode("Once upon a time, in a small village, there was a wise old wizard")
        let single = try Transformer(file: file, options: .init(threads: 2, maxSeqLen: 64))
        let split = try Transformer(file: file, options: .init(threads: 2, maxSeqLen: 64, nodes: nodes, activationType: wire, storeMode: .resident))
        #expect(split.plan.nodes.count == nodes)
        var worst: Float = 0
        for (position, token) in prompt.enumerated() {
            let a = Array(try single.forward(token: token, position: position))
            let b = Array(try split.forward(token: token, position: position))
            let top = a.indices.sorted { a[$0] > a[$1] }.prefix(10)
            worst = max(worst, top.map { abs(a[$0] - b[$0]) }.max()!)
            if a[top[0]] - a[top[1]] > 0.5 {
                #expect(b.indices.max { b[$0] < b[$1] } == top[0], "position \(position)")
            }
        }
        #expect(worst < (wire == .f32 ? 0.75 : 2.5), "largest top-10 logit difference \(worst)")
        // Every node read only its share: together about one model, not N.
        #expect(split.bytesRead < file.statistics.tensorBytes + nodes * (1 << 20))
    }
}

import Foundation
import Testing
import TestSupport
import LayerStore
import ModelFormat
import Tokenizer
@testable import Engine

/// llama.cpp's greedy continuation (Tests/Fixtures/engine/make_llama_cpp_greedy.py).
struct LlamaCppGreedy: Decodable {
    var prompt: String
    var prompt_ids: [Int]
    var generated_ids: [Int]
    var margins: [Float]
    var text: String
}

/// Qwen2.5-Coder-0.5B-Instruct: Q5_0, Q8_0, Q4_K and Q6_K weights, all read in place (no tensor is
/// converted at load), with activations rounded as llama.cpp rounds them (Q8_0 blocks for Q5_0 /
/// Q8_0 weights, Q8_K super-blocks for the K-quants).
@Suite("Qwen2.5-Coder-0.5B end to end")
struct QwenTests {
    static let path = Paths.assetPath(Assets.qwen)

    @Test("no tensor is converted at load, and the greedy continuation of \"def fibonacci(n):\" is llama.cpp's, token for token",
          .enabled(if: Assets.present, Assets.missing))
    func greedyMatchesLlamaCpp() throws {
        let reference = try JSONDecoder().decode(
            LlamaCppGreedy.self, from: Data(contentsOf: Fixtures.root.appendingPathComponent("engine/qwen_llama_cpp_greedy.json")))
        let file = try ModelFile(path: Self.path)
        #expect(LayerStore.typesConvertedAtLoad(file.tensors).isEmpty)
        #expect(Set(file.tensors.map(\.type)) == [.f32, .q5_0, .q8_0, .q4_K, .q6_K])
        let engine = try Transformer(file: file, options: .init(threads: 2, maxSeqLen: 64))
        let tokenizer = try Tokenizer(path: Self.path)
        let prompt = tokenizer.encode(reference.prompt)
        #expect(prompt == reference.prompt_ids)
        for (position, token) in prompt.dropLast().enumerated() {
            try engine.forward(token: token, position: position, computeLogits: false)
        }
        var token = prompt.last!, position = prompt.count - 1
        var generated: [Int] = []
        for _ in reference.generated_ids {
            let logits = Array(try engine.forward(token: token, position: position))
            token = logits.indices.max { logits[$0] < logits[$1] }!
            generated.append(token)
            position += 1
        }
        // Exact, including the two steps where llama.cpp's own top-2 margin is below 0.5.
        #expect(generated == reference.generated_ids, "ours: \(tokenizer.decode(generated))")
        #expect(tokenizer.decode(generated) == reference.text)
    }
}

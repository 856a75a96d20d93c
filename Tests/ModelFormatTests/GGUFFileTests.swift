import Foundation
import Testing
import TestSupport
@testable import ModelFormat

/// The golden `*.tensors.json` files are gguf.GGUFReader's view of each file, written by
/// Tests/Fixtures/make_gguf_fixtures.py (the `gguf` package is llama.cpp's own Python reader).
struct GoldenDirectory: Decodable {
    struct Tensor: Decodable {
        var name: String
        var type: UInt32
        var shape: [Int]
        var offset: Int
        var bytes: Int
    }
    var architecture: String
    var metadata: [String: Double]
    var tensors: [Tensor]

    init(_ name: String) throws {
        self = try JSONDecoder().decode(GoldenDirectory.self, from: Data(contentsOf: URL(fileURLWithPath: Paths.gguf(name))))
    }
}

@Suite("GGUF files")
struct GGUFFileTests {
    /// Checks our tensor table against the golden one, tensor by tensor.
    func expectDirectory(_ file: ModelFile, equals golden: GoldenDirectory) {
        #expect(file.tensors.count == golden.tensors.count)
        for (ours, theirs) in zip(file.tensors, golden.tensors) {
            let stable = theirs.name.hasSuffix(".weight") ? String(theirs.name.dropLast(7)) : theirs.name
            #expect(ours.name == stable)
            #expect(ours.type.rawValue == theirs.type, "\(ours.name)")
            #expect(ours.shape == theirs.shape, "\(ours.name)")
            #expect(ours.offset == theirs.offset, "\(ours.name)")
            #expect(ours.byteCount == theirs.bytes, "\(ours.name)")
        }
    }

    @Test("tiny files of every architecture read as gguf's reader sees them",
          arguments: ["llama", "qwen2", "qwen3", "qwen3moe"])
    func tinyArchitectures(arch: String) throws {
        let file = try ModelFile(path: Paths.gguf("tiny-\(arch).gguf"))
        let golden = try GoldenDirectory("tiny-\(arch).tensors.json")
        expectDirectory(file, equals: golden)
        let m = file.model
        #expect(m.architecture.rawValue == golden.architecture)
        func meta(_ key: String) -> Double? { golden.metadata["\(arch).\(key)"] }
        #expect(Double(m.dim) == meta("embedding_length"))
        #expect(Double(m.layerCount) == meta("block_count"))
        #expect(Double(m.hiddenDim) == meta("feed_forward_length"))
        #expect(Double(m.headCount) == meta("attention.head_count"))
        #expect(Double(m.kvHeadCount) == meta("attention.head_count_kv"))
        #expect(Double(m.maxSeqLen) == meta("context_length"))
        #expect(Double(m.vocabSize) == meta("vocab_size"))
        #expect(Double(m.ropeTheta) == meta("rope.freq_base"))
        #expect(Double(m.normEpsilon) == meta("attention.layer_norm_rms_epsilon"))
        #expect(m.headDim == 16 && m.qDim == 64 && m.kvDim == 32)
        #expect(m.ropeStyle == (arch == "llama" ? .adjacentPairs : .neox))
        #expect(m.tiedEmbedding == (arch == "qwen2"))
        switch arch {
        case "llama":
            #expect(m.ropeScaling == RopeScaling(kind: .linear, factor: 8, originalContextLength: 8192))
            #expect(m.weightType == .q4_0 && file["token_embd"]?.type == .q8_0)
        case "qwen2":
            #expect(file["blk.1.attn_k.bias"]?.shape == [32])
            #expect(try file.outputMatrix().name == "token_embd")
        case "qwen3":
            #expect(file["blk.0.attn_q_norm"]?.shape == [16] && m.weightType == .q4_1)
        default:
            #expect((m.expertCount, m.activeExpertCount, m.expertHiddenDim) == (4, 2, 32))
            let stacked = try file.tensor("blk.1.ffn_down_exps")
            #expect(stacked.shape == [4, 64, 32] && stacked.type == .q5_0)
            let expert = try file.expertMatrix(layer: 1, expert: 2, kind: "ffn_down")
            #expect(expert.rows == 64 && expert.columns == 32)
            #expect(expert.offset == stacked.offset + stacked.byteCount / 2)
            #expect(expert.byteRange.upperBound == stacked.offset + stacked.byteCount * 3 / 4)
        }
    }

    @Test("SmolLM2-135M-Instruct reads with its known dimensions and tensor types", .enabled(if: Assets.present, Assets.missing))
    func smolLM2() throws {
        let file = try ModelFile(path: try Paths.asset("SmolLM2-135M-Instruct.Q4_1.gguf"))
        let m = file.model
        #expect(file.format == .gguf && file.formatVersion == 3)
        #expect(m.architecture == .llama)
        #expect((m.dim, m.hiddenDim, m.layerCount, m.headCount, m.kvHeadCount, m.headDim) == (576, 1536, 30, 9, 3, 64))
        #expect((m.vocabSize, m.ropeTheta, m.normEpsilon) == (49152, 100_000, 1e-5))
        #expect(m.tiedEmbedding && file["output"] == nil)
        #expect(try file.outputMatrix().name == "token_embd")
        #expect(m.weightType == .q4_1)
        let types = Dictionary(grouping: file.tensors, by: \.type).mapValues(\.count)
        #expect(types == [.q4_1: 210, .q8_0: 1, .f32: 61])
        #expect(file["token_embd"]?.type == .q8_0 && file["token_embd"]?.shape == [49152, 576])
        expectDirectory(file, equals: try GoldenDirectory("SmolLM2-135M-Instruct.Q4_1.tensors.json"))
        let gguf = try #require(file.gguf)
        #expect(gguf.metadata["tokenizer.ggml.model"]?.string == "gpt2")
        #expect(gguf.metadata["tokenizer.ggml.pre"]?.string == "smollm")
        #expect(gguf.metadata["tokenizer.ggml.tokens"]?.array?.strings?.count == 49152)
        #expect(gguf.metadata["tokenizer.ggml.merges"]?.array?.count == 48900)
        #expect(gguf.metadata["tokenizer.ggml.bos_token_id"]?.int == 1)
        #expect(gguf.metadata["tokenizer.ggml.eos_token_id"]?.int == 2)
        #expect(gguf.metadata["tokenizer.chat_template"]?.string?.contains("<|im_start|>") == true)
        #expect(file.statistics.parameterCount == 134_515_008)
    }

    @Test(".m and GGUF map to the same kind of description")
    func sameDescriptionShape() throws {
        let fromM = try ModelFile(path: Paths.oracle("dllama_model_qwen3_q40.m")).model
        let fromGGUF = try ModelFile(path: Paths.gguf("tiny-qwen3.gguf")).model
        #expect(fromM.architecture == fromGGUF.architecture)
        #expect(fromM.ropeStyle == fromGGUF.ropeStyle)
        #expect(fromM.normEpsilon == fromGGUF.normEpsilon)
        #expect(fromM.activation == fromGGUF.activation)
    }
}

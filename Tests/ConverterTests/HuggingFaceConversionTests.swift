import Foundation
import Testing
import TestSupport
import ModelFormat
import Tokenizer
import Engine
@testable import Converter

/// Tiny Hugging Face checkpoints written by the tests (seeded random weights, two shards in BF16,
/// F16 and F32, the real config.json layout of each architecture, Llama 3.2's real tokenizer.json),
/// converted, and run in the engine. "The same weights loaded directly" is `ReferenceTransformer`:
/// a float forward pass written independently in these tests over the stored weights in Hugging
/// Face's own layout (rotate-half RoPE on unpermuted q/k), so a wrong permutation, tensor mapping
/// or header value shows up as different logits.
@Suite("Hugging Face folders to .m")
struct HuggingFaceConversionTests {
    static let tokens = [128000, 791, 6864, 315, 9822, 374]  // <|begin_of_text|>The capital of France is
    /// The tokens of the Llama 3.2 (Vision) tokenizer.json in the assets, `<|image|>` included.
    static let vocabulary = 128257

    /// Converts `checkpoint` (written with Llama 3.2's tokenizer.json) and compares the engine's
    /// logits on the `.m` with the reference's at every position of `tokens`.
    func compare(_ checkpoint: TinyCheckpoint, weights: WeightType, tolerance: Float) throws -> Float {
        let folder = try ScratchDirectory(), out = try ScratchDirectory()
        try checkpoint.write(to: folder.path, tokenizer: try Paths.asset("llama3.2/tokenizer.json"))
        let report = try Converter(inputPath: folder.path).convert(ConversionOptions(outputPath: out.file("tiny.m"), weights: weights))
        #expect(report.tokenizerPath == out.file("tiny.t"))
        #expect(!report.vocabularyReordered)  // Llama 3's special tokens already follow the regular ones
        #expect(out.contents == ["tiny.m", "tiny.t"])

        let file = try ModelFile(path: out.file("tiny.m"))
        #expect(file.model.architecture == (checkpoint.kind == .llama ? .llama : checkpoint.kind == .qwen3 ? .qwen3 : .qwen3MoE))
        #expect(file.model.headDim == checkpoint.headDim && file.model.vocabSize == checkpoint.vocab)
        var options = Transformer.Options(threads: 2, maxSeqLen: 16)
        options.kvCacheType = .f32  // the reference keeps F32 keys and values
        let engine = try Transformer(file: file, options: options)
        let reference = ReferenceTransformer(checkpoint)
        var worst: Float = 0
        for (position, token) in Self.tokens.enumerated() {
            let ours = Array(try engine.forward(token: token, position: position))
            let expected = reference.forward(token: token, position: position)
            let scale = Float(expected.map(abs).max()!)
            let difference = zip(ours, expected).map { abs($0 - Float($1)) }.max()!
            worst = max(worst, difference / scale)
            #expect(difference <= tolerance * scale, "position \(position): largest logit difference \(difference), logits up to \(scale)")
            let top = expected.indices.max { expected[$0] < expected[$1] }!
            let runnerUp = expected.indices.filter { $0 != top }.max { expected[$0] < expected[$1] }!
            if Float(expected[top] - expected[runnerUp]) > 2 * tolerance * scale {
                #expect(ours.indices.max { ours[$0] < ours[$1] } == top, "position \(position)")
            }
        }
        return worst
    }

    @Test("Llama (BF16/F16/F32 shards, Llama 3.1 RoPE scaling, tied): F32 logits within 1e-4 of the reference")
    func llamaF32() throws {
        let worst = try compare(TinyCheckpoint(kind: .llama, vocab: Self.vocabulary), weights: .f32, tolerance: 1e-4)
        #expect(worst > 0)
    }

    @Test("Llama converted to Q80: logits within 3% of the reference")
    func llamaQ80() throws {
        _ = try compare(TinyCheckpoint(kind: .llama, vocab: Self.vocabulary), weights: .q80, tolerance: 0.03)
    }

    @Test("Qwen3 (q/k norms, head_dim 32 with dim 64, untied): F32 logits within 1e-4 of the reference")
    func qwen3F32() throws {
        _ = try compare(TinyCheckpoint(kind: .qwen3, vocab: Self.vocabulary) { $0.tied = false }, weights: .f32, tolerance: 1e-4)
    }

    @Test("Qwen3-MoE (4 experts, 2 active): F32 logits within 1e-4 of the reference")
    func qwen3MoEF32() throws {
        _ = try compare(TinyCheckpoint(kind: .qwen3MoE, vocab: Self.vocabulary), weights: .f32, tolerance: 1e-4)
    }

    @Test("the .t from tokenizer.json has llama-bpe's token bytes, BOS, EOS ids and chat template", .enabled(if: Assets.present, Assets.missing))
    func tokenizerFile() throws {
        let folder = try ScratchDirectory(), out = try ScratchDirectory()
        let checkpoint = TinyCheckpoint(kind: .llama, vocab: Self.vocabulary) { $0.layers = 1 }
        try checkpoint.write(to: folder.path, tokenizer: try Paths.asset("llama3.2/tokenizer.json"))
        try JSONSerialization.data(withJSONObject: ["bos_token": "<|begin_of_text|>", "chat_template": "{{ bos_token }}{% for m in messages %}<|start_header_id|>{% endfor %}"])
            .write(to: URL(fileURLWithPath: folder.file("tokenizer_config.json")))
        try Converter(inputPath: folder.path).convert(ConversionOptions(outputPath: out.file("m.m"), weights: .f32, tokenizerPath: out.file("tok.t")))
        let converted = try Vocabulary(tokenizerFilePath: out.file("tok.t"))
        let gguf = try Vocabulary(ggufPath: try Paths.asset("vocab/ggml-vocab-llama-bpe.gguf"))
        #expect(converted.count == 128257 && converted.bosID == 128000)
        // Every regular token is the same bytes as llama.cpp's Llama 3 vocabulary (byte-level mapping undone).
        let differing = (0..<128000).filter { converted.pieces[$0] != gguf.pieces[$0] }
        #expect(differing.isEmpty, "\(differing.count) regular tokens differ, first \(differing.prefix(5))")
        #expect(converted.pieceText(128009) == "<|eot_id|>" && converted.isSpecial(128009) && !converted.isSpecial(127999))
        #expect(Set([128001, 128008, 128009]).isSubset(of: converted.endOfGenerationIDs))
        #expect(converted.chatTemplateSource?.hasPrefix("{{ bos_token }}") == true)
        #expect(converted.addsBOS)  // the post-processor puts <|begin_of_text|> first
        let tokenizer = Tokenizer(vocabulary: converted)
        #expect(tokenizer.encode("The capital of France is") == Self.tokens)
    }

    @Test("a sentencepiece-style tokenizer.json (Metaspace, byte fallback): spaces and <0xNN> become bytes, added tokens special")
    func sentencePieceTokenizer() throws {
        let folder = try ScratchDirectory(), out = try ScratchDirectory()
        let pieces = ["<unk>", "<s>", "</s>", "<0x0A>", "<0x41>", "\u{2581}", "\u{2581}the", "h", "e", "t"]
        var checkpoint = TinyCheckpoint(kind: .llama, vocab: 12) { $0.layers = 1 }
        checkpoint.llama3Scaling = nil
        let tokenizer: [String: Any] = [
            "model": ["type": "BPE", "byte_fallback": true, "vocab": Dictionary(uniqueKeysWithValues: pieces.enumerated().map { ($1, $0) }), "merges": [String]()],
            "added_tokens": [["id": 1, "content": "<s>", "special": true], ["id": 2, "content": "</s>", "special": true],
                             ["id": 10, "content": "[INST]", "special": true], ["id": 11, "content": "[/INST]", "special": true]],
            "decoder": ["type": "Sequence", "decoders": [["type": "Replace", "pattern": ["String": "\u{2581}"], "content": " "],
                                                         ["type": "ByteFallback"], ["type": "Fuse"]]],
        ]
        try JSONSerialization.data(withJSONObject: tokenizer).write(to: URL(fileURLWithPath: folder.file("tokenizer.json")))
        try checkpoint.write(to: folder.path, config: ["bos_token_id": 1, "eos_token_id": 2])
        let report = try Converter(inputPath: folder.path).convert(ConversionOptions(outputPath: out.file("m.m"), weights: .f32))
        #expect(report.vocabularyReordered)  // <unk> (regular) comes before <s>
        let vocabulary = try Vocabulary(tokenizerFilePath: out.file("m.t"))
        // Regular: <unk>, 0x0A, 0x41, " ", " the", h, e, t; then <s> (BOS), </s>, [INST], [/INST].
        #expect(vocabulary.pieces.map { String(decoding: $0, as: UTF8.self) } == ["<unk>", "\n", "A", " ", " the", "h", "e", "t", "<s>", "</s>", "[INST]", "[/INST]"])
        #expect(vocabulary.bosID == 8 && vocabulary.endOfGenerationIDs.contains(9) && (8..<12).allSatisfy(vocabulary.isSpecial))
        // The embedding rows moved with their tokens: .m row 1 is the checkpoint's row 3 (<0x0A>).
        let file = try ModelFile(path: out.file("m.m"))
        let row = try file.bytes(of: try file.tensor("token_embd")).loadUnaligned(fromByteOffset: 1 * 64 * 4, as: Float.self)
        #expect(row == checkpoint.tensor("model.embed_tokens.weight").values[3 * 64])
    }

    @Test("Mistral's sliding window caps the context at the window, where full attention equals it")
    func mistralSlidingWindow() throws {
        let folder = try ScratchDirectory()
        var checkpoint = TinyCheckpoint(kind: .llama) { $0.layers = 1 }
        checkpoint.llama3Scaling = nil
        try checkpoint.write(to: folder.path, config: ["model_type": "mistral", "architectures": ["MistralForCausalLM"], "sliding_window": 4096])
        let converter = try Converter(inputPath: folder.path)
        #expect(converter.model.maxSeqLen == 4096 && converter.model.architecture == .llama)
        #expect(converter.source.notes.contains { $0.contains("sliding window of 4096 tokens") })
    }
}

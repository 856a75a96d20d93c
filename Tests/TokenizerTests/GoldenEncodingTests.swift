import Foundation
import Testing
import TestSupport
@testable import Tokenizer

/// Encodings of a multilingual sample (`Tests/Fixtures/tokenizer/sample.txt`: prose in nine scripts,
/// digits, emoji with joiners, code, tabs, `\r\n`, contractions in both cases) and of the tiny `.t`
/// vocabulary, against the goldens `make_tokenizer_goldens.py` computed with Hugging Face
/// `tokenizers`, Google's `sentencepiece` (llama-spm) and the team's distributed-llama oracle (see
/// that script for the command).
@Suite("golden encodings from Hugging Face tokenizers and the .t oracle")
struct GoldenEncodingTests {
    static let goldens: [(name: String, ids: [Int])] = {
        let text = (try? String(contentsOfFile: Paths.fixture("tokenizer/goldens.txt"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { line in
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? parts[1].split(separator: " ").map { Int($0)! } : [])
        }
    }()

    static let sample: String = {
        let data = (try? Data(contentsOf: URL(fileURLWithPath: Paths.fixture("tokenizer/sample.txt")))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }()

    func tokenizer(for family: String) throws -> Tokenizer {
        family == "smollm" ? try LoadedTokenizers.asset("SmolLM2-135M-Instruct.Q4_1.gguf") : try LoadedTokenizers.vocab(family)
    }

    @Test("the sample and each of its lines encode as Hugging Face tokenizers (sentencepiece for llama-spm) do", arguments: ["llama-bpe", "gpt-2", "qwen2", "smollm", "llama-spm"])
    func byteLevelBPE(family: String) throws {
        let tokenizer = try tokenizer(for: family)
        // Split on the byte: as a Character, "\r\n" is one grapheme and not a "\n".
        let lines = Self.sample.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let cases = Self.goldens.filter { $0.name == family + "/sample" || $0.name.hasPrefix(family + "/line") }
        #expect(cases.count == lines.count + 1)
        for golden in cases {
            let what = golden.name.dropFirst(family.count + 1)
            let line = Int(what.dropFirst("line".count)) ?? -1
            guard what == "sample" || lines.indices.contains(line) else {
                Issue.record("\(golden.name): no such line in the sample")
                continue
            }
            let text = what == "sample" ? Self.sample : lines[line]
            let ids = tokenizer.encode(text, addBOS: false)
            #expect(ids == golden.ids, "\(golden.name)")
            #expect(tokenizer.decode(ids) == text, "\(golden.name) does not decode back")
        }
    }

    @Test("random strings over every character class the regexes distinguish split and merge as Hugging Face tokenizers (sentencepiece for llama-spm) do",
          arguments: ["llama-bpe", "gpt-2", "qwen2", "smollm", "llama-spm"])
    func fuzz(family: String) throws {
        let tokenizer = try tokenizer(for: family)
        let data = try Data(contentsOf: URL(fileURLWithPath: Paths.fixture("tokenizer/fuzz.txt")))
        let texts = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let cases = Self.goldens.filter { $0.name.hasPrefix(family + "/fuzz") }
        #expect(texts.count == 120 && cases.count == 120)
        var mismatches = 0
        for golden in cases {
            guard let index = Int(golden.name.dropFirst(family.count + "/fuzz".count)), texts.indices.contains(index) else {
                Issue.record("\(golden.name): no such string in fuzz.txt")
                continue
            }
            let text = texts[index]
            let ids = tokenizer.encode(text, addBOS: false)
            if ids != golden.ids { mismatches += 1 }
            #expect(ids == golden.ids, "\(golden.name) \(text.debugDescription)")
            #expect(tokenizer.decode(ids) == text)
        }
        #expect(mismatches == 0)
    }

    @Test("the .t encoder matches distributed-llama's, with and without BOS and special tokens")
    func scoreMerge() throws {
        let tokenizer = try Tokenizer(path: Paths.fixture("oracle/dllama_tokenizer_tiny.t"))
        let texts = [
            "hello": "hello world. hello there, how are you?",
            "chat": "<|start_header_id|>user<|end_header_id|>\n\nhello<|eot_id|>",
            "corpus": "the root node loads the model and sends slices of the weights to the workers.",
        ]
        let cases = Self.goldens.filter { $0.name.hasPrefix("tiny-t/") }
        #expect(cases.count == 6)
        for golden in cases {
            let parts = golden.name.split(separator: "/")
            let text = try #require(texts[String(parts[1])])
            let special = parts[2] == "bos+special"
            #expect(tokenizer.encode(text, addBOS: special, parseSpecialTokens: special) == golden.ids, "\(golden.name)")
        }
    }

    @Test("SmolLM2 encodes the demo prompt to its known ids, without BOS by default", .enabled(if: Assets.present, Assets.missing))
    func smolLM2Prompt() throws {
        let tokenizer = try LoadedTokenizers.asset("SmolLM2-135M-Instruct.Q4_1.gguf")
        #expect(tokenizer.encode("The capital of France is") == [504, 3575, 282, 4649, 314])
        #expect(tokenizer.vocabulary.bosID == 1)
        #expect(tokenizer.isEndOfGeneration(2))
    }
}

import Foundation
import ModelFormat
import Testing
import TestSupport
@testable import Tokenizer

@Suite("bad and extreme input")
struct BadInputTests {
    static let families = ["llama-spm", "llama-bpe", "gpt-2", "qwen2"]

    @Test("empty text gives no tokens (BOS only when asked)", .enabled(if: Assets.present, Assets.missing), arguments: families)
    func emptyText(family: String) throws {
        let tokenizer = try LoadedTokenizers.vocab(family)
        #expect(tokenizer.encode("", addBOS: false) == [])
        if let bos = tokenizer.vocabulary.bosID { #expect(tokenizer.encode("", addBOS: true) == [bos]) }
        #expect(tokenizer.decode([]) == "")
    }

    @Test("text repaired from invalid UTF-8 (U+FFFD) and lone controls encode and decode back", .enabled(if: Assets.present, Assets.missing), arguments: families)
    func repairedText(family: String) throws {
        let tokenizer = try LoadedTokenizers.vocab(family)
        let text = String(decoding: [0x61, 0xFF, 0xC3, 0x28, 0x00, 0x7F, 0x62, 0xF0, 0x9F], as: UTF8.self)
        #expect(text.contains("\u{FFFD}"))
        #expect(tokenizer.decode(tokenizer.encode(text, addBOS: false)) == text)
    }

    @Test("out-of-range ids decode to nothing rather than crashing", .enabled(if: Assets.present, Assets.missing))
    func badIDs() throws {
        let tokenizer = try LoadedTokenizers.vocab("gpt-2")
        #expect(tokenizer.decode([-1, 1_000_000, 15496]) == "Hello")
    }

    @Test("a megabyte of text encodes and decodes back", .enabled(if: Assets.present, Assets.missing), arguments: families)
    func megabyte(family: String) throws {
        let tokenizer = try LoadedTokenizers.vocab(family)
        let sample = try String(contentsOfFile: Paths.fixture("tokenizer/sample.txt"), encoding: .utf8)
        let text = String(repeating: sample, count: (1 << 20) / sample.utf8.count + 1)
        #expect(text.utf8.count > 1 << 20)
        let ids = tokenizer.encode(text, addBOS: false)
        #expect(tokenizer.decode(ids) == text)
        // Encoding is per word: the repeated sample gives the sample's tokens (up to the seams).
        #expect(ids.count > 200_000)
    }

    @Test("one 256 KB word with no break merges in O(n log n) and round-trips", .enabled(if: Assets.present, Assets.missing), arguments: families)
    func longWord(family: String) throws {
        let tokenizer = try LoadedTokenizers.vocab(family)
        let text = String(repeating: "abcd", count: 1 << 16)
        let ids = tokenizer.encode(text, addBOS: false)
        #expect(tokenizer.decode(ids) == text)
        #expect(ids.count <= text.utf8.count / 2)  // merged into tokens of two letters or more
    }

    @Test("a .t file cut short anywhere is reported as truncated, naming what was being read")
    func truncatedTokenizerFile() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: Paths.fixture("oracle/dllama_tokenizer_tiny.t")))
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dllama-tok-\(UUID().uuidString).t")
        defer { try? FileManager.default.removeItem(at: scratch) }
        for length in [0, 3, 7, 12, 40, 500, 1000, original.count - 1] {
            try original.prefix(length).write(to: scratch)
            do {
                _ = try Vocabulary(tokenizerFilePath: scratch.path)
                Issue.record("a \(length)-byte prefix was accepted")
            } catch let error as TokenizerError {
                let message = error.description
                #expect(message.contains(scratch.path), "\(message)")
                if length >= 12 { #expect(message.contains("truncated"), "\(message)") }
            }
        }
    }

    @Test("a GGUF vocabulary cut short is refused with the file named", .enabled(if: Assets.present, Assets.missing))
    func truncatedGGUF() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: try Paths.asset("vocab/ggml-vocab-gpt-2.gguf")))
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dllama-vocab-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: scratch) }
        for length in [10, 100_000, original.count / 2] {
            try original.prefix(length).write(to: scratch)
            #expect(throws: ModelFormatError.self) { try Tokenizer(path: scratch.path) }
        }
    }

    @Test("an unknown pre-tokenizer is an error naming it, never a silent guess", .enabled(if: Assets.present, Assets.missing))
    func unknownPreTokenizer() throws {
        var file = try GGUFFile.read(path: try Paths.asset("vocab/ggml-vocab-gpt-2.gguf"))
        file.metadata["tokenizer.ggml.pre"] = .string("falcon")
        #expect(throws: TokenizerError.unknownPreTokenizer(path: "x.gguf", name: "falcon")) { try Vocabulary(gguf: file, path: "x.gguf") }
        #expect(TokenizerError.unknownPreTokenizer(path: "x.gguf", name: "falcon").description.contains("llama-bpe, gpt-2, smollm, qwen2"))
        file.metadata["tokenizer.ggml.pre"] = nil
        #expect(throws: TokenizerError.missingVocabulary(path: "x.gguf", key: "tokenizer.ggml.pre")) { try Vocabulary(gguf: file, path: "x.gguf") }
        file.metadata["tokenizer.ggml.model"] = .string("bert")
        #expect(throws: TokenizerError.unsupportedModel(path: "x.gguf", model: "bert")) { try Vocabulary(gguf: file, path: "x.gguf") }
        file.metadata["tokenizer.ggml.tokens"] = nil
        #expect(throws: TokenizerError.missingVocabulary(path: "x.gguf", key: "tokenizer.ggml.tokens")) { try Vocabulary(gguf: file, path: "x.gguf") }
    }

    @Test("a model GGUF without tokenizer metadata says so")
    func noTokenizer() throws {
        let gguf = Paths.fixture("gguf/tiny-qwen2.gguf")
        #expect(throws: TokenizerError.self) { try Tokenizer(path: gguf) }
    }

    @Test("bytes a vocabulary cannot represent are counted, not silently lost or fatal")
    func droppedBytes() throws {
        let tokenizer = try Tokenizer(path: Paths.fixture("oracle/dllama_tokenizer_tiny.t"))
        let encoding = tokenizer.encodeReportingDropped("héllo 🦙", addBOS: false)
        #expect(encoding.droppedByteCount == 6)  // é (2 bytes) and 🦙 (4): the tiny vocabulary is ASCII only
        #expect(tokenizer.decode(encoding.ids) == "hllo ")
    }

    /// Found by `make fuzz` (FuzzTokenizerFile): a `.t` whose only regular piece is empty made the
    /// encoder's longest-piece search an empty range, a trap.
    @Test("a vocabulary whose regular pieces are all empty encodes every byte as unknown or dropped, no trap")
    func emptyPieces() throws {
        let tokenizer = try Tokenizer(path: Paths.fixture("tokenizer/fuzz-empty-pieces.t"))
        let encoding = tokenizer.encodeReportingDropped("Hello", addBOS: false)
        #expect(encoding.ids.count + encoding.droppedByteCount >= 5, "\(encoding)")
    }
}

@Suite("finding a model's tokenizer")
struct ModelTokenizerTests {
    @Test("a .m model needs --tokenizer; with it, the .t file is used")
    func dllamaModel() throws {
        let model = Paths.fixture("oracle/dllama_model_llama_f32.m")
        #expect(throws: TokenizerError.modelCarriesNoVocabulary(path: model)) { try Tokenizer(modelPath: model, tokenizerPath: nil) }
        let tokenizer = try Tokenizer(modelPath: model, tokenizerPath: Paths.fixture("oracle/dllama_tokenizer_tiny.t"))
        #expect(tokenizer.vocabulary.model == .scoreMerge)
    }

    @Test("a GGUF model brings its own vocabulary", .enabled(if: Assets.present, Assets.missing))
    func ggufModel() throws {
        let tokenizer = try Tokenizer(modelPath: try Paths.asset("SmolLM2-135M-Instruct.Q4_1.gguf"), tokenizerPath: nil)
        #expect(tokenizer.vocabulary.model == .byteLevelBPE(.smollm, ignoreMerges: false))
        #expect(tokenizer.vocabulary.count == 49152)
    }
}

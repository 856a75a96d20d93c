import Testing
@testable import Tokenizer

/// Every case of llama.cpp's tokenizer test files (`models/ggml-vocab-*.gguf.inp/.out`, produced by
/// its `convert_hf_to_gguf_update.py` with the Hugging Face tokenizers): the ids must match
/// exactly, and decoding must give the text back.
@Suite("llama.cpp vocabulary test files")
struct LlamaCppVocabularyTests {
    func check(_ name: String) throws {
        let tokenizer = try LoadedTokenizers.vocab(name)
        let cases = try VocabTestCase.load(name)
        #expect(cases.count == 46)
        var passed = 0
        for testCase in cases {
            let ids = tokenizer.encode(testCase.text, addBOS: false)
            #expect(ids == testCase.expected, "\(name) \(testCase.testDescription)")
            #expect(tokenizer.decode(ids) == testCase.text, "\(name) \(testCase.testDescription) does not decode back")
            if ids == testCase.expected { passed += 1 }
        }
        #expect(passed == cases.count)
    }

    @Test("llama-spm (sentencepiece, Llama 2): all cases") func llamaSPM() throws { try check("llama-spm") }
    @Test("llama-bpe (Llama 3): all cases") func llamaBPE() throws { try check("llama-bpe") }
    @Test("gpt-2: all cases") func gpt2() throws { try check("gpt-2") }
    @Test("qwen2: all cases") func qwen2() throws { try check("qwen2") }
}

import Foundation
import Testing
import TestSupport

@Suite("dllama tokenize, run as a process")
struct TokenizeCommandTests {
    static func asset(_ name: String) throws -> String { try Paths.asset(name) }

    @Test("--ids-only prints SmolLM2's ids for the demo prompt on one line", .enabled(if: Assets.present, Assets.missing))
    func idsOnly() throws {
        let model = try Self.asset("SmolLM2-135M-Instruct.Q4_1.gguf")
        let result = try Executables.run("dllama", ["tokenize", "--model", model, "--ids-only", "The capital of France is"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "504 3575 282 4649 314\n")
    }

    @Test("the default output lists ids with their pieces", .enabled(if: Assets.present, Assets.missing))
    func pieces() throws {
        let model = try Self.asset("vocab/ggml-vocab-llama-bpe.gguf")
        let result = try Executables.run("dllama", ["tokenize", "--model", model, "Hello world"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("9906 'Hello'") && result.stdout.contains("1917 ' world'"), "\(result.stdout)")
    }

    @Test("- reads standard input exactly, trailing newline included", .enabled(if: Assets.present, Assets.missing))
    func standardInput() throws {
        let model = try Self.asset("vocab/ggml-vocab-llama-bpe.gguf")
        let result = try Executables.run("dllama", ["tokenize", "--model", model, "--ids-only", "-"], input: Data("Hello world\n".utf8))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "128000 9906 1917 198\n")  // BOS (llama.cpp adds it for Llama 3), ..., 198 = "\n"
    }

    @Test("--special reads chat markers as special tokens, and only then", .enabled(if: Assets.present, Assets.missing))
    func special() throws {
        let model = try Self.asset("SmolLM2-135M-Instruct.Q4_1.gguf")
        let parsed = try Executables.run("dllama", ["tokenize", "--model", model, "--ids-only", "--special", "<|im_start|>user"])
        #expect(parsed.stdout.split(separator: " ").first == "1")
        let plain = try Executables.run("dllama", ["tokenize", "--model", model, "--ids-only", "<|im_start|>user"])
        #expect(!plain.stdout.split(separator: " ").contains("1"))
    }

    @Test("--chat shows the prompt the detected template builds; --chat-template overrides it", .enabled(if: Assets.present, Assets.missing))
    func chat() throws {
        let model = try Self.asset("SmolLM2-135M-Instruct.Q4_1.gguf")
        let detected = try Executables.run("dllama", ["tokenize", "--model", model, "--chat", "--system", "Be brief.", "--ids-only", "Hi"])
        #expect(detected.status == 0, "\(detected.stderr)")
        // <|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n
        let ids = detected.stdout.split(whereSeparator: \.isWhitespace).map { Int($0)! }
        #expect(ids.filter { $0 == 1 }.count == 3 && ids.filter { $0 == 2 }.count == 2 && ids.first == 1)
        let llama = try Self.asset("vocab/ggml-vocab-llama-bpe.gguf")
        let none = try Executables.run("dllama", ["tokenize", "--model", llama, "--chat", "Hi"])
        #expect(none.status == 1 && none.stderr.contains("--chat-template NAME"), "\(none.stderr)")
        let chosen = try Executables.run("dllama", ["tokenize", "--model", llama, "--chat", "--chat-template", "llama3", "--ids-only", "Hi"])
        #expect(chosen.stdout == "128000 128006 882 128007 271 13347 128009 128006 78191 128007 271\n", "\(chosen.stdout)")
    }

    @Test("--chat-template needs --chat; a template whose special tokens the vocabulary lacks is refused",
          .enabled(if: Assets.present, Assets.missing))
    func templateChecks() throws {
        let model = try Self.asset("SmolLM2-135M-Instruct.Q4_1.gguf")
        let withoutChat = try Executables.run("dllama", ["tokenize", "-m", model, "--chat-template", "chatml", "Hi"])
        #expect(withoutChat.status != 0 && withoutChat.stderr.contains("add --chat"), "\(withoutChat.stderr)")
        let foreign = try Executables.run("dllama", ["tokenize", "-m", model, "--chat", "--chat-template", "llama3", "Hi"])
        #expect(foreign.status == 1, "\(foreign.stderr)")
        #expect(foreign.stderr.contains("<|start_header_id|>") && foreign.stderr.contains("does not have"), "\(foreign.stderr)")
    }

    @Test("a .t tokenizer with a .m model")
    func dllamaFiles() throws {
        let fixtures = Executables.fixtures.appendingPathComponent("oracle")
        let result = try Executables.run("dllama", ["tokenize", "--model", fixtures.appendingPathComponent("dllama_model_llama_f32.m").path,
                                                    "--tokenizer", fixtures.appendingPathComponent("dllama_tokenizer_tiny.t").path,
                                                    "--ids-only", "hello world"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "250 98 110 79 126\n")  // BOS (add_bos = 1), then as the reference encodes it
    }

    @Test("bad input: a message naming the file and what to do, and exit status 1",
          arguments: [("/no/such/vocab.gguf", "no such file"), ("Package.swift", "not a tokenizer"),
                      ("Tests/Fixtures/oracle/dllama_model_llama_f32.m", "--tokenizer")])
    func badInput(path: String, message: String) throws {
        let full = path.hasPrefix("/") ? path : Executables.repository.appendingPathComponent(path).path
        let result = try Executables.run("dllama", ["tokenize", "--model", full, "text"])
        #expect(result.status == 1)
        #expect(result.stderr.contains(full) && result.stderr.contains(message), "\(result.stderr)")
    }
}

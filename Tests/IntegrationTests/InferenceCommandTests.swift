import Foundation
import Testing
import TestSupport

@Suite("dllama inference and chat, run as processes")
struct InferenceCommandTests {
    static let smolLM2 = Paths.assetPath(Assets.smolLM2)
    let tinyModel = Executables.fixtures.appendingPathComponent("oracle/dllama_model_llama_q40.m").path
    let tinyTokenizer = Executables.fixtures.appendingPathComponent("oracle/dllama_tokenizer_tiny.t").path

    @Test("SmolLM2 greedy: the prompt, then \" Paris.\", then the speed and peak RSS", .enabled(if: Assets.present, Assets.missing))
    func smolLM2() throws {
        let result = try Executables.run("dllama", ["inference", "--model", Self.smolLM2, "--prompt", "The capital of France is",
                                                    "--steps", "4", "--temperature", "0", "--nthreads", "2", "--max-seq-len", "128"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("The capital of France is Paris."))
        #expect(result.stderr.contains("tokens/s") && result.stderr.contains("peak RSS"))
    }

    @Test("--kv-cache-type: F16 by default, F32 on request, twice the bytes, the same first sentence", .enabled(if: Assets.present, Assets.missing))
    func kvCacheType() throws {
        let arguments = ["inference", "--model", Self.smolLM2, "--prompt", "The capital of France is", "--steps", "4",
                         "--temperature", "0", "--nthreads", "2", "--max-seq-len", "128"]
        let f16 = try Executables.run("dllama", arguments)
        let f32 = try Executables.run("dllama", arguments + ["--kv-cache-type", "f32"])
        #expect(f16.status == 0 && f32.status == 0, "\(f16.stderr)\n\(f32.stderr)")
        // 30 layers x 2 x 128 positions x 3 KV heads x 64 values x 2 (or 4) bytes
        #expect(f16.stderr.contains("KV cache f16 (2.8 MiB)"), "\(f16.stderr)")
        #expect(f32.stderr.contains("KV cache f32 (5.6 MiB)"), "\(f32.stderr)")
        #expect(f16.stdout.hasPrefix("The capital of France is Paris.") && f32.stdout.hasPrefix("The capital of France is Paris."))
    }

    @Test("a .m model with its .t tokenizer, and --profile")
    func dllamaFiles() throws {
        let result = try Executables.run("dllama", ["inference", "--model", tinyModel, "--tokenizer", tinyTokenizer,
                                                    "--prompt", "hello world", "--steps", "8", "--seed", "7", "--profile"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("hello world"))
        #expect(result.stderr.contains("matmul") && result.stderr.contains("attention"))
    }

    @Test("user errors exit non-zero with a message naming the problem", .enabled(if: Assets.present, Assets.missing),
          arguments: [
            (["--model", "/no/such.gguf", "--prompt", "x"], "no such file"),
            (["--prompt", "x", "--max-ram", "lots"], "--max-ram lots is not a size"),
            (["--prompt", "x", "--max-ram", "20M"], "is too small"),
            (["--prompt", "x", "--workers", "localhost"], "--workers localhost is not HOST:PORT"),
            (["--prompt", "x", "--mode", "pipeline"], "--mode needs --workers"),
            (["--prompt", "x", "--nthreads", "0"], "--nthreads"),
            (["--prompt", "x", "--topp", "2"], "--topp"),
            (["--prompt", "x", "--kv-cache-type", "q8"], "'q8' is invalid for '--kv-cache-type"),
          ])
    func userErrors(arguments: [String], message: String) throws {
        let model = arguments.contains("--model") ? [] : ["--model", Self.smolLM2]
        let result = try Executables.run("dllama", ["inference"] + model + arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("a tokenizer of another model is refused with status 1, as a wrong file (issue 15: it was 64 and the usage)",
          .enabled(if: Assets.present, Assets.missing))
    func mismatchedTokenizer() throws {
        let result = try Executables.run("dllama", ["inference", "--model", Self.smolLM2, "--tokenizer", tinyTokenizer, "--prompt", "hi"])
        #expect(result.status == 1)
        #expect(!result.stderr.contains("USAGE"), "\(result.stderr)")
        #expect(result.stderr.contains("do not belong together"), "\(result.stderr)")
    }

    @Test("a .m model without a tokenizer says which option is missing")
    func missingTokenizer() throws {
        let result = try Executables.run("dllama", ["inference", "--model", tinyModel, "--prompt", "hi"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--tokenizer"), "\(result.stderr)")
    }

    @Test("chat through a pipe: two turns answered, exit 0 at end of input", .enabled(if: Assets.present, Assets.missing))
    func chat() throws {
        let input = Data("What is the capital of France?\nAnd of Italy?\n".utf8)
        let result = try Executables.run("dllama", ["chat", "--model", Self.smolLM2, "--temperature", "0", "--steps", "24",
                                                    "--nthreads", "2", "--max-seq-len", "512"], input: input, timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        // One answer per turn, each ending with a newline. (The words themselves are not checked:
        // SmolLM2's first answer token is a near-tie, "The" against "L", which rounding can flip.)
        let answers = result.stdout.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(answers.count >= 2, "\(result.stdout)")
        #expect(answers.allSatisfy { !$0.trimmingCharacters(in: .whitespaces).isEmpty })
        #expect(!result.stderr.contains("Error"), "\(result.stderr)")
    }

    @Test("chat keeps going when the conversation outgrows the context: the oldest turns are left out, saying so; stats after every turn",
          .enabled(if: Assets.present, Assets.missing))
    func chatOutgrowsContext() throws {
        let input = Data("What is the capital of France?\nAnd of Italy?\nAnd of Spain?\nAnd of Germany?\n".utf8)
        let result = try Executables.run("dllama", ["chat", "-m", Self.smolLM2, "--temperature", "0", "-n", "16", "-t", "2", "-c", "96"],
                                         input: input, timeout: 180)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("the oldest 2 messages were left out"), "\(result.stderr)")
        #expect(result.stderr.components(separatedBy: "prefill ").count - 1 == 4, "\(result.stderr)")
        #expect(!result.stderr.contains("Error"), "\(result.stderr)")
    }

    @Test("chat --chat-template: an unknown name is refused before the model loads")
    func chatTemplateName() throws {
        let result = try Executables.run("dllama", ["chat", "-m", "/no/such/model.gguf", "--chat-template", "bogus"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("unknown chat template \"bogus\"") && !result.stderr.contains("no such file"), "\(result.stderr)")
    }
}

import Foundation
import Testing
import TestSupport

@Suite("dllama convert, run as a process")
struct ConvertCommandTests {
    static let smolLM2 = Paths.assetPath(Assets.smolLM2)

    @Test("SmolLM2 to Q80: the log says what was done, plain progress lines off a terminal, and the .m + .t run", .enabled(if: Assets.present, Assets.missing))
    func smolLM2() throws {
        let out = try ScratchDirectory()
        let result = try Executables.run("dllama", ["convert", Self.smolLM2, "--output", out.file("smol.m"), "--weights", "q80", "--nthreads", "2"], timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(out.contents == ["smol.m", "smol.t"])
        #expect(result.stdout.contains("17 special tokens") && result.stdout.contains("embedding and output rows are permuted"))
        #expect(result.stdout.contains("Q8_0 -> Q80: copied unchanged") && result.stdout.contains("re-quantization error"))
        #expect(result.stdout.contains("wrote \(out.file("smol.m"))") && result.stdout.contains("peak RSS"))
        #expect(result.stderr.contains("converted 50%") && result.stderr.contains("converted 100%") && !result.stderr.contains("\r"))

        let run = try Executables.run("dllama", ["inference", "--model", out.file("smol.m"), "--tokenizer", out.file("smol.t"),
                                                 "--prompt", "The capital of France is", "--steps", "3", "--temperature", "0", "--nthreads", "2",
                                                 "--max-seq-len", "64"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("The capital of France is Paris."), "\(run.stdout)")
    }

    @Test("user errors exit non-zero, name the problem and leave no output", arguments: [
        (["/no/such/model.gguf"], "no such file or folder"),
        (["Tests/Fixtures/gguf/tiny-qwen2.gguf"], "biases"),
        (["Tests/Fixtures/gguf/tiny-llama.gguf"], "linear RoPE scaling"),
        (["Tests/Fixtures/gguf/tiny-qwen3.gguf", "--weights", "q41"], "--weights"),
        (["Tests/Fixtures/gguf/tiny-qwen3.gguf", "--tokenizer-output", "TOK"], "carries no vocabulary"),
        (["Tests/Fixtures/oracle/dllama_model_llama_q40.m"], "already a distributed-llama .m model"),
        (["BROKEN"], "truncated"),
        (["Tests/Fixtures/gguf/tiny-qwen3.gguf", "--output", "SCRATCH"], "it is a folder"),
    ])
    func userErrors(arguments: [String], message: String) throws {
        let out = try ScratchDirectory()
        var arguments = arguments.map { argument in
            switch argument {
            case "TOK": out.file("x.t")
            case "SCRATCH": out.url.path
            case _ where argument.hasPrefix("Tests/"): Executables.repository.appendingPathComponent(argument).path
            default: argument
            }
        }
        if arguments == ["BROKEN"] {
            // A folder whose only shard says its header is 1000 bytes long but holds 20.
            let folder = out.url.appendingPathComponent("broken")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(#"{"model_type": "llama", "hidden_size": 64}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
            var shard = Data()
            withUnsafeBytes(of: UInt64(1000).littleEndian) { shard.append(contentsOf: $0) }
            shard.append(Data(repeating: 0x20, count: 20))
            try shard.write(to: folder.appendingPathComponent("model.safetensors"))
            arguments = [folder.path]
        }
        let before = out.contents
        let output = arguments.contains("--output") ? [] : ["--output", out.file("x.m")]
        let result = try Executables.run("dllama", ["convert"] + arguments + output)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
        #expect(out.contents == before, "left behind: \(out.contents)")
    }

    @Test("Ctrl-C during a conversion removes the partial files and exits non-zero", .enabled(if: Assets.present, Assets.missing))
    func interrupted() throws {
        let out = try ScratchDirectory()
        let process = Process()
        process.executableURL = Executables.productsDirectory.appendingPathComponent("dllama")
        process.arguments = ["convert", Self.smolLM2, "--output", out.file("smol.m"), "--weights", "f32"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Interrupt once the model is being written (the .partial file exists).
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: out.file("smol.m.partial")) && process.isRunning && Date() < deadline { usleep(5_000) }
        #expect(process.isRunning, "the conversion ended before it could be interrupted")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + SIGINT)
        #expect(out.contents.isEmpty, "left behind: \(out.contents)")
    }
}

import Foundation
import Testing

@Suite("dllama inspect, run as a process")
struct InspectCommandTests {
    @Test("prints the description of an oracle model")
    func text() throws {
        let path = Executables.fixtures.appendingPathComponent("oracle/dllama_model_qwen3_q40.m").path
        let result = try Executables.run("dllama", ["inspect", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("architecture    qwen3"))
        #expect(result.stdout.contains("dim 64, hidden 128, layers 2, heads 4, kv heads 2, head dim 16"))
        #expect(result.stdout.contains("fingerprint"))
    }

    @Test("--json is machine-readable and agrees with the file")
    func json() throws {
        let path = Executables.fixtures.appendingPathComponent("gguf/tiny-qwen2.gguf").path
        let result = try Executables.run("dllama", ["inspect", "--json", "--sha256", path])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let model = object?["model"] as? [String: Any]
        #expect(model?["architecture"] as? String == "qwen2")
        #expect(model?["tiedEmbedding"] as? Bool == true)
        #expect((object?["fullSHA256"] as? String)?.count == 64)
        #expect(object?["format"] as? String == "gguf")
        try? FileManager.default.removeItem(atPath: path + ".sha256")
    }

    @Test("--model works as for every other subcommand; --json names tensor types")
    func modelOption() throws {
        let path = Executables.fixtures.appendingPathComponent("oracle/dllama_model_qwen3_q40.m").path
        let result = try Executables.run("dllama", ["inspect", "--model", path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect((object?["model"] as? [String: Any])?["weightType"] as? String == "Q4_0", "\(result.stdout.prefix(400))")
        let neither = try Executables.run("dllama", ["inspect"])
        #expect(neither.status != 0 && neither.stderr.contains("give the model file"), "\(neither.stderr)")
    }

    @Test("bad input: a clear message naming the file, and a non-zero exit",
          arguments: [("/no/such/model.m", "no such file"), ("Package.swift", "not a model file"), ("Tests/Fixtures", "is a directory"),
                      ("Tests/Fixtures/oracle/dllama_tokenizer_tiny.t", "pass it with --tokenizer")])
    func badInput(path: String, message: String) throws {
        let full = path.hasPrefix("/") ? path : Executables.repository.appendingPathComponent(path).path
        let result = try Executables.run("dllama", ["inspect", full])
        #expect(result.status != 0)
        #expect(result.stderr.contains(full) && result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("a truncated model is reported as truncated")
    func truncated() throws {
        let source = Executables.fixtures.appendingPathComponent("oracle/dllama_model_llama_f32.m")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dllama-cut-\(UUID().uuidString).m")
        defer { try? FileManager.default.removeItem(at: path) }
        try Data(try Data(contentsOf: source).prefix(200_000)).write(to: path)
        let result = try Executables.run("dllama", ["inspect", path.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("truncated"), "\(result.stderr)")
    }

    @Test("the worker checks its model and refuses unknown options")
    func worker() throws {
        let bad = try Executables.run("dllama-worker", ["--model", "/no/such/file.m"])
        #expect(bad.status != 0 && bad.stderr.contains("no such file"))
        let option = try Executables.run("dllama-worker", ["--model", "x", "--port", "70000"])
        #expect(option.status != 0 && option.stderr.contains("--port"))
    }
}

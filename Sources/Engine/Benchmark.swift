import Foundation
import QuantKernels
import Scheduler
import Transport

/// One measured run of `dllama bench`: a prompt prefilled, then a fixed number of greedy tokens
/// generated (end-of-sequence tokens do not stop it: every run does the same work).
public struct BenchmarkSample: Codable, Sendable, Equatable {
    public var promptTokens: Int
    public var generatedTokens: Int
    /// Prompt tokens over the time to the first generated token (the last prompt token's step included).
    public var prefillTokensPerSecond: Double
    public var generationTokensPerSecond: Double
    public var timeToFirstTokenMilliseconds: Double
    /// Per generated token, at the root: time outside collectives, time inside them (waiting for the
    /// other nodes included), bytes it sent and received.
    public var computeMillisecondsPerToken: Double
    public var syncMillisecondsPerToken: Double
    public var sentBytesPerToken: Double
    public var receivedBytesPerToken: Double
    /// Peak resident set of each node during the run, root first.
    public var peakResidentBytes: [Int]

    public init(promptTokens: Int, generatedTokens: Int, prefillTokensPerSecond: Double, generationTokensPerSecond: Double,
                timeToFirstTokenMilliseconds: Double, computeMillisecondsPerToken: Double, syncMillisecondsPerToken: Double,
                sentBytesPerToken: Double, receivedBytesPerToken: Double, peakResidentBytes: [Int]) {
        self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens
        self.prefillTokensPerSecond = prefillTokensPerSecond
        self.generationTokensPerSecond = generationTokensPerSecond
        self.timeToFirstTokenMilliseconds = timeToFirstTokenMilliseconds
        self.computeMillisecondsPerToken = computeMillisecondsPerToken
        self.syncMillisecondsPerToken = syncMillisecondsPerToken
        self.sentBytesPerToken = sentBytesPerToken
        self.receivedBytesPerToken = receivedBytesPerToken
        self.peakResidentBytes = peakResidentBytes
    }
}

/// The median of a figure over a configuration's rounds, and the smallest and largest value.
public struct Spread: Codable, Sendable, Equatable {
    public var median: Double
    public var min: Double
    public var max: Double

    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "a spread of no values")
        let sorted = values.sorted()
        let middle = sorted.count / 2
        median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        min = sorted[0]
        max = sorted[sorted.count - 1]
    }
}

/// One configuration (nodes x threads per node) over every round.
public struct BenchmarkResult: Codable, Sendable, Equatable {
    public var nodes: Int
    public var threads: Int
    public var prefillTokensPerSecond: Spread
    public var generationTokensPerSecond: Spread
    public var timeToFirstTokenMilliseconds: Spread
    public var computeMillisecondsPerToken: Spread
    public var syncMillisecondsPerToken: Spread
    public var sentBytesPerToken: Spread
    public var receivedBytesPerToken: Spread
    /// Per node, root first.
    public var peakResidentBytes: [Spread]
    /// What the plan gives each node (weights it holds) and how many collectives a token takes.
    public var nodeWeightBytes: [Int]
    public var collectivesPerToken: Int
    public var samples: [BenchmarkSample]

    public init(nodes: Int, threads: Int, plan: Plan, samples: [BenchmarkSample]) {
        precondition(!samples.isEmpty, "a result needs at least one sample")
        self.nodes = nodes
        self.threads = threads
        self.samples = samples
        prefillTokensPerSecond = Spread(samples.map(\.prefillTokensPerSecond))
        generationTokensPerSecond = Spread(samples.map(\.generationTokensPerSecond))
        timeToFirstTokenMilliseconds = Spread(samples.map(\.timeToFirstTokenMilliseconds))
        computeMillisecondsPerToken = Spread(samples.map(\.computeMillisecondsPerToken))
        syncMillisecondsPerToken = Spread(samples.map(\.syncMillisecondsPerToken))
        sentBytesPerToken = Spread(samples.map(\.sentBytesPerToken))
        receivedBytesPerToken = Spread(samples.map(\.receivedBytesPerToken))
        peakResidentBytes = (0..<nodes).map { node in Spread(samples.map { Double($0.peakResidentBytes[node]) }) }
        nodeWeightBytes = plan.estimates.map(\.weightBytes)
        collectivesPerToken = plan.collectivesPerToken
    }
}

/// Everything `dllama bench --json` prints: what ran, where, and the results.
public struct BenchmarkReport: Codable, Sendable, Equatable {
    public struct Machine: Codable, Sendable, Equatable {
        public var cpu: String
        public var cores: Int
        public var kernelPath: String
        /// The shaped link every TCP link went through, when `DLLAMA_LINK_SHAPE` was set.
        public var linkShape: LinkShape?
    }

    public var date: String
    public var machine: Machine
    public var model: String
    public var architecture: String
    /// The weights one node alone holds (what a token reads, the embedding apart).
    public var modelWeightBytes: Int
    public var promptTokens: Int
    public var tokens: Int
    public var warmupTokens: Int
    public var rounds: Int
    public var bufferFloatType: String
    /// `--kv-cache-type` (absent from reports written before it existed, which used F32).
    public var kvCacheType: String?
    public var mode: String
    public var results: [BenchmarkResult]

    public init(date: Date, machine: Machine, model: String, architecture: String, modelWeightBytes: Int, promptTokens: Int,
                tokens: Int, warmupTokens: Int, rounds: Int, bufferFloatType: String, kvCacheType: String? = nil, mode: String,
                results: [BenchmarkResult]) {
        self.date = ISO8601DateFormatter().string(from: date)
        self.machine = machine
        self.model = model
        self.architecture = architecture
        self.modelWeightBytes = modelWeightBytes
        self.promptTokens = promptTokens
        self.tokens = tokens
        self.warmupTokens = warmupTokens
        self.rounds = rounds
        self.bufferFloatType = bufferFloatType
        self.kvCacheType = kvCacheType
        self.mode = mode
        self.results = results
    }
}

extension BenchmarkReport.Machine {
    /// This machine: the CPU model from /proc/cpuinfo, the cores this process may use, the kernels chosen.
    public static func current(linkShape: LinkShape?) -> Self {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let name = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) }
        return Self(cpu: name ?? "unknown", cores: ProcessInfo.processInfo.activeProcessorCount,
                    kernelPath: KernelTable.current.path.rawValue, linkShape: linkShape)
    }
}

/// Runs the measurement of one sample on an engine that is loaded and ready.
public enum Benchmark {
    /// Warms up (the whole prompt, then `warmupTokens` tokens), then from position 0 again: the
    /// prompt prefilled and timed to its first token, then `tokens` greedy tokens timed one by one.
    /// The caller adds the peak resident sets (`peakResidentBytes` is left empty).
    public static func measure(_ engine: Transformer, prompt: [Int], tokens: Int, warmupTokens: Int) throws -> BenchmarkSample {
        precondition(!prompt.isEmpty && tokens >= 1, "a benchmark needs a prompt and a token to generate")
        guard prompt.count + max(tokens, warmupTokens) <= engine.maxSeqLen else {
            throw TransformerError.contextFull(maxSeqLen: engine.maxSeqLen)
        }
        if warmupTokens > 0 { _ = try generate(engine, prompt: prompt, tokens: warmupTokens) }
        let totals = StepTotals()
        let previous = engine.onStep
        defer { engine.onStep = previous }
        let (firstToken, generation) = try generate(engine, prompt: prompt, tokens: tokens) { engine.onStep = totals.add }
        let perToken = 1 / Double(tokens)
        return BenchmarkSample(
            promptTokens: prompt.count, generatedTokens: tokens,
            prefillTokensPerSecond: Double(prompt.count) / firstToken, generationTokensPerSecond: Double(tokens) / generation,
            timeToFirstTokenMilliseconds: firstToken * 1000,
            computeMillisecondsPerToken: Double(totals.nanoseconds - min(totals.syncNanoseconds, totals.nanoseconds)) / 1e6 * perToken,
            syncMillisecondsPerToken: Double(totals.syncNanoseconds) / 1e6 * perToken,
            sentBytesPerToken: Double(totals.sentBytes) * perToken, receivedBytesPerToken: Double(totals.receivedBytes) * perToken,
            peakResidentBytes: [])
    }

    /// The prompt from position 0, then `tokens` greedy steps; returns the seconds to the first
    /// token and the seconds of the steps after it. `beforeGeneration` runs between the two.
    private static func generate(_ engine: Transformer, prompt: [Int], tokens: Int,
                                 beforeGeneration: () -> Void = {}) throws -> (firstToken: Double, generation: Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        try engine.prefill(Array(prompt.dropLast()), first: 0)
        var next = try engine.forwardGreedy(token: prompt[prompt.count - 1], position: prompt.count - 1)
        let first = DispatchTime.now().uptimeNanoseconds
        beforeGeneration()
        for position in prompt.count..<(prompt.count + tokens) {
            next = try engine.forwardGreedy(token: next, position: position)
        }
        let end = DispatchTime.now().uptimeNanoseconds
        return (Double(first - start) / 1e9, Double(end - first) / 1e9)
    }
}

/// Sums of the root's step timings (the engine calls it from the thread that runs the steps).
private final class StepTotals: @unchecked Sendable {
    var nanoseconds: UInt64 = 0, syncNanoseconds: UInt64 = 0
    var sentBytes = 0, receivedBytes = 0

    func add(_ timing: StepTiming) {
        nanoseconds += timing.nanoseconds
        syncNanoseconds += timing.syncNanoseconds
        sentBytes += timing.sentBytes
        receivedBytes += timing.receivedBytes
    }
}

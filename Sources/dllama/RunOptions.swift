import ArgumentParser
import Engine
import Foundation
import ModelFormat
import Scheduler
import Tokenizer
import Transport

/// Options shared by the commands that run a model (`inference`, `chat`), named as
/// distributed-llama names them.
struct RunOptions: ParsableArguments {
    @Option(help: "The model file (.m or GGUF), or the name of a catalogue model pulled with `dllama pull NAME` (see `dllama models`).")
    var model: String

    @Option(help: "The model cache a catalogue name is looked up in (default: DLLAMA_CACHE, else ~/.cache/dllama).")
    var cache: String?

    @Option(help: "A tokenizer file (.t or GGUF); a GGUF model carries its own.")
    var tokenizer: String?

    @Option(help: "Compute threads.")
    var nthreads = 1

    @Option(help: "Cap the context (and the KV cache) at this many tokens.")
    var maxSeqLen: Int?

    @Option(help: "RAM budget for this process, such as 512M or 4G: layers are streamed from disk when the model does not fit.")
    var maxRam: String?

    @Option(help: "How activations travel between nodes: q80 (distributed-llama's), f16 or f32.")
    var bufferFloatType: ActivationWireType = .f16

    @Option(parsing: .upToNextOption, help: "Worker addresses (HOST:PORT ...), each running dllama-worker with its own copy of the model file.")
    var workers: [String] = []

    @Option(help: "How the nodes reach each other: tcp (the root connects to --workers) or mpi (every rank of an mpirun or srun job runs this same command; rank 0 is the root). Default: mpi when started by a launcher with more than one rank, else tcp.")
    var transport: TransportKind?

    @Option(help: "With --workers or --transport mpi: tensor (split every layer), pipeline (whole layers per node) or hybrid (pipeline stages of tensor-parallel groups).")
    var mode: PlanMode = .tensor

    @Option(help: "A secret shared with the workers (or set DLLAMA_SECRET): each side proves it knows it before anything else.")
    var secret: String?

    @Option(help: "Seconds to wait for a worker to connect, answer or deliver its part of a step.")
    var timeout: Double = 60

    @Flag(help: "With --workers: print compute ms, sync ms and bytes sent and received for every token (standard error).")
    var tokenStats = false

    @Option(help: "With --workers, when a worker fails mid-generation: fail (stop, naming it) or wait (for it to come back, or a spare; it reloads its share from its own disk, the steps are replayed, and generation goes on with the same tokens).")
    var onWorkerFailure: WorkerFailurePolicy = .fail

    @Option(parsing: .upToNextOption, help: "With --on-worker-failure wait: workers standing by (HOST:PORT ...) to take a failed worker's place.")
    var spareWorkers: [String] = []

    @Option(help: "With --on-worker-failure wait: seconds to wait for a failed worker to come back (or a spare to answer).")
    var recoveryTimeout: Double = 300

    @Option(help: "Sampling temperature (0 = greedy).")
    var temperature: Float = 0.8

    @Option(help: "Top-p (nucleus) sampling threshold.")
    var topp: Float = 0.9

    @Option(help: "Top-k sampling (0 = off).")
    var topk = 0

    @Option(help: "Random seed (default: the time).")
    var seed: UInt64?

    @Flag(help: "Print a per-operation time breakdown at the end.")
    var profile = false

    mutating func validate() throws {
        try resolveCatalogueModel()
        guard nthreads >= 1 else { throw ValidationError("--nthreads must be at least 1.") }
        if let maxSeqLen, maxSeqLen < 2 { throw ValidationError("--max-seq-len must be at least 2.") }
        if let maxRam, parseByteSize(maxRam) == nil { throw ValidationError("--max-ram \(maxRam) is not a size (such as 512M or 4G).") }
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be 0 or more.") }
        guard topp > 0, topp <= 1 else { throw ValidationError("--topp must be in (0, 1].") }
        guard topk >= 0 else { throw ValidationError("--topk must be 0 or more.") }
        for worker in workers where NodeAddress(worker) == nil {
            throw ValidationError("--workers \(worker) is not HOST:PORT (an IPv6 host goes in brackets: [::1]:9999).")
        }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds.") }
        for spare in spareWorkers where NodeAddress(spare) == nil {
            throw ValidationError("--spare-workers \(spare) is not HOST:PORT (an IPv6 host goes in brackets: [::1]:9999).")
        }
        if !spareWorkers.isEmpty && onWorkerFailure != .wait {
            throw ValidationError("--spare-workers takes a failed worker's place only with --on-worker-failure wait.")
        }
        guard recoveryTimeout > 0, recoveryTimeout.isFinite else { throw ValidationError("--recovery-timeout must be a positive number of seconds.") }
        if transport == .mpi && !workers.isEmpty {
            throw ValidationError("--workers is for --transport tcp: under MPI, mpirun (or srun) starts every node and rank 0 is the root.")
        }
        do { _ = try LinkShape.fromEnvironment() } catch { throw ValidationError("\(error)") }
        if workers.isEmpty && mode != .tensor && resolvedTransport != .mpi {
            throw ValidationError("--mode needs --workers: one node has nothing to split.")
        }
    }

    var sampling: SamplingParameters {
        SamplingParameters(temperature: temperature, topP: topp, topK: topk,
                           seed: seed ?? UInt64(Date().timeIntervalSince1970 * 1000))
    }

    /// Opens the model and tokenizer and builds the engine, saying on standard error what it does.
    /// Under MPI only rank 0 returns: every other rank serves its share, then exits.
    func load() throws -> (Transformer, Tokenizer) {
        if resolvedTransport == .mpi { return try loadMPIRank() }
        let file = try ModelFile(path: model)
        let tokenizer = try openTokenizer(for: file)
        let engine: Transformer
        if workers.isEmpty {
            var options = Transformer.Options(threads: nthreads, maxSeqLen: maxSeqLen, activationType: bufferFloatType, profile: profile)
            options.maxRAM = maxRam.flatMap(parseByteSize)
            engine = try Transformer(file: file, options: options)
        } else {
            log("connecting to \(workers.count) worker\(workers.count == 1 ? "" : "s"), \(mode.rawValue) mode, activations as \(bufferFloatType.rawValue)")
            engine = try Cluster.connect(file: file, options: clusterOptions, log: log)
        }
        logLoaded(file, engine)
        return (engine, tokenizer)
    }

    /// How the cluster runs, over TCP or MPI.
    var clusterOptions: Cluster.Options {
        var options = Cluster.Options(workers: workers.compactMap(NodeAddress.init), secret: sharedSecret)
        options.mode = mode
        options.maxSeqLen = maxSeqLen
        options.activationType = bufferFloatType
        options.threads = nthreads
        options.maxRAM = maxRam.flatMap(parseByteSize)
        options.profile = profile
        options.timeout = timeout
        options.connectTimeout = min(timeout, 10)
        options.onWorkerFailure = onWorkerFailure
        options.spareWorkers = spareWorkers.compactMap(NodeAddress.init)
        options.recoveryTimeout = recoveryTimeout
        options.linkShape = try? LinkShape.fromEnvironment()  // checked in validate()
        return options
    }

    /// The tokenizer for `file`, refused when it belongs to another model.
    func openTokenizer(for file: ModelFile) throws -> Tokenizer {
        let tokenizer = try Tokenizer(modelPath: model, tokenizerPath: self.tokenizer)
        // Models may pad their vocabulary past the tokenizer's (Qwen: by a few hundred rows), but a
        // tokenizer with more tokens than the model, or far fewer, belongs to another model.
        let tokens = tokenizer.vocabulary.count, rows = file.model.vocabSize
        if tokens > rows || tokens < rows - 1024 {
            throw ValidationError("the tokenizer (\(self.tokenizer ?? model)) has \(tokens) tokens but the model has \(rows) vocabulary rows: "
                                  + "they do not belong together. Pass the model's own tokenizer with --tokenizer.")
        }
        let converted = Set(file.tensors.map(\.type)).subtracting([.f32, .f16, .q4_0, .q4_1, .q8_0])
        if !converted.isEmpty {
            log("converting \(converted.map(\.description).sorted().joined(separator: ", ")) tensors at load (Q8_0 for quantized types, F32 for BF16)")
        }
        return tokenizer
    }

    /// The line that says what was loaded, after the engine is built.
    func logLoaded(_ file: ModelFile, _ engine: Transformer) {
        log("model \(file.model.architecture.rawValue), \(file.model.layerCount) layers, \(formatBytes(file.statistics.tensorBytes)) of weights, "
            + "context \(engine.maxSeqLen), \(nthreads) thread\(nthreads == 1 ? "" : "s"), weights \(describe(engine.storeMode))")
    }

    /// `--secret`, else `DLLAMA_SECRET`, as bytes.
    var sharedSecret: [UInt8]? {
        let text = secret ?? ProcessInfo.processInfo.environment["DLLAMA_SECRET"]
        return text.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
    }

    private func describe(_ mode: LayerStoreMode) -> String {
        switch mode {
        case .mapped: return "memory-mapped"
        case .resident: return "resident"
        case .streaming(let budget): return "streamed from disk (\(formatBytes(budget)) for weights)"
        }
    }
}

import LayerStore
typealias LayerStoreMode = LayerStore.Mode

func log(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

extension RunOptions {
    /// With `--token-stats`, one line per token step on standard error.
    func reportSteps(of engine: Transformer) {
        guard tokenStats else { return }
        engine.onStep = { timing in
            guard case .token(_, let position, _) = timing.step else { return }
            log(String(format: "token %d: %.2f ms compute, %.2f ms sync, %@ sent, %@ received", position, timing.computeMilliseconds,
                       timing.syncMilliseconds, formatBytes(timing.sentBytes), formatBytes(timing.receivedBytes)))
        }
    }
}

/// What each worker reported when the session ended.
func printWorkerReports(_ reports: [Int: [UInt8]]) {
    for (node, bytes) in reports.sorted(by: { $0.key < $1.key }) {
        guard let report = try? JSONDecoder().decode(WorkerReport.self, from: Data(bytes)) else { continue }
        log("worker \(node): \(report.steps) steps, " + String(format: "%.1f s compute, %.1f s sync", report.computeSeconds, report.syncSeconds) + ", peak RSS \(formatBytes(report.peakResident)) (\(formatBytes(report.residentBeforeLoad)) before loading), "
            + "\(formatBytes(report.bytesRead)) read from disk, \(formatBytes(report.sentBytes)) sent, \(formatBytes(report.receivedBytes)) received")
    }
}

/// The timing summary both commands print on standard error.
func printSummary(_ stats: GenerationStats, engine: Transformer) {
    let rss = ProcessMemory.peakResidentBytes().map(formatBytes) ?? "unknown"
    log(String(format: "prefill %d tokens, %.1f tokens/s; generation %d tokens, %.1f tokens/s (%.1f ms/token); peak RSS %@",
               stats.promptTokens, stats.prefillTokensPerSecond, stats.generatedTokens, stats.generationTokensPerSecond,
               stats.millisecondsPerToken, rss))
    if engine.collective.nodeCount > 1 {
        let steps = Double(max(stats.generatedTokens - 1, 1))
        let syncMs = stats.generationSyncSeconds * 1000 / steps
        log(String(format: "cluster: %d nodes, %@ on the wire; per token %.1f ms compute, %.1f ms sync, %@ sent, %@ received",
                   engine.collective.nodeCount, engine.collective.encoding.rawValue, max(stats.millisecondsPerToken - syncMs, 0), syncMs,
                   formatBytes(Int(Double(stats.generationSentBytes) / steps)), formatBytes(Int(Double(stats.generationReceivedBytes) / steps))))
    }
    let tokens = max(stats.promptTokens + stats.generatedTokens, 1)
    log("weights: \(formatBytes(engine.residentWeightBytes)) held in buffers, \(formatBytes(engine.bytesRead)) read from disk "
        + "(\(formatBytes(engine.bytesRead / tokens)) per token)")
    if engine.profiler.enabled {
        let total = engine.profiler.milliseconds.values.reduce(0, +)
        for (operation, ms) in engine.profiler.milliseconds.sorted(by: { $0.value > $1.value }) {
            log(String(format: "  %-12@ %9.1f ms  %5.1f%%", operation.rawValue, ms, total > 0 ? 100 * ms / total : 0))
        }
    }
}

extension WorkerFailurePolicy: ExpressibleByArgument {}

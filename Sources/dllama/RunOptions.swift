import ArgumentParser
import Engine
import Foundation
import LayerStore
import ModelFormat
import QuantKernels
import Scheduler
import Tokenizer
import Transport

/// Options shared by the commands that run a model (`inference`, `chat`, `serve`), named as
/// distributed-llama names them, with llama.cpp's short forms.
struct RunOptions: ParsableArguments {
    @Option(name: [.customShort("m"), .long],
            help: "The model file (.m or GGUF), or the name of a catalogue model pulled with `dllama pull NAME` (see `dllama models`).")
    var model: String

    @Option(help: "The model cache a catalogue name is looked up in (default: DLLAMA_CACHE, else ~/.cache/dllama).")
    var cache: String?

    @Option(help: "A tokenizer file (.t or GGUF); a GGUF model carries its own.")
    var tokenizer: String?

    @Option(name: [.customShort("t"), .long],
            help: "Compute threads (default: the cores available, \(ThreadCount.available) here; more take turns on them).")
    var nthreads: Int?

    @Option(name: [.customShort("c"), .long],
            help: "The context: caps it (and the KV cache) at this many tokens (default: the model's, at most \(Plan.defaultMaxSeqLen)).")
    var maxSeqLen: Int?

    @Option(help: "RAM budget for this process, such as 512M or 4G: layers are streamed from disk when the model does not fit.")
    var maxRam: String?

    @Option(help: "How activations travel between nodes: q80 (distributed-llama's), f16 or f32.")
    var bufferFloatType: ActivationWireType = .f16

    @Option(help: "How the KV cache holds keys and values: f16 (half the memory, as llama.cpp) or f32.")
    var kvCacheType: KVCacheType = .f16

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

    @Option(help: "Top-k: sample among the k most likely tokens only (0 = off).")
    var topk = 0

    @Option(help: "Min-p: drop tokens less likely than this fraction of the most likely one's probability (0 = off).")
    var minP: Float = 0

    @Option(help: "Penalty for tokens among the last 64 (1 = off; 1.1 is a usual value).")
    var repeatPenalty: Float = 1

    @Option(help: "Random seed (default: drawn from the time, and printed so the run can be repeated).")
    var seed: UInt64?

    @Flag(help: "Print a per-operation time breakdown at the end.")
    var profile = false

    mutating func validate() throws {
        if let nthreads { guard nthreads >= 1 else { throw ValidationError("--nthreads must be at least 1.") } }
        if let maxSeqLen, maxSeqLen < 2 { throw ValidationError("--max-seq-len must be at least 2.") }
        if let maxRam, parseByteSize(maxRam) == nil { throw ValidationError("--max-ram \(maxRam) is not a size (such as 512M or 4G).") }
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be 0 or more.") }
        guard topp > 0, topp <= 1 else { throw ValidationError("--topp must be in (0, 1].") }
        guard topk >= 0 else { throw ValidationError("--topk must be 0 or more.") }
        guard minP >= 0, minP <= 1 else { throw ValidationError("--min-p must be in [0, 1].") }
        guard repeatPenalty > 0, repeatPenalty.isFinite else { throw ValidationError("--repeat-penalty must be a positive number (1 = off).") }
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
        // Last: the options' own mistakes are named before the model is looked up in the catalogue.
        try resolveCatalogueModel()
    }

    /// `--nthreads`, or every available core; saying so when that is more than the cores available.
    var threads: Int {
        let (threads, warning) = ThreadCount.resolveWithWarning(nthreads)
        if let warning { warnOnce(warning) }
        return threads
    }

    /// The sampling options; a seed drawn from the time is printed (standard error) when it
    /// matters, so that the run can be repeated with `--seed`.
    func samplingParameters() -> SamplingParameters {
        var parameters = SamplingParameters(temperature: temperature, topP: topp, topK: topk, minP: minP,
                                            repetitionPenalty: repeatPenalty, seed: seed ?? 0)
        if seed == nil {
            parameters.seed = UInt64(Date().timeIntervalSince1970 * 1000)
            if temperature > 0 { log("seed \(parameters.seed) (drawn from the time: --seed \(parameters.seed) repeats this run)") }
        }
        return parameters
    }

    /// Opens the model and tokenizer and builds the engine, saying on standard error what it does.
    /// Under MPI only rank 0 returns: every other rank serves its share, then exits.
    func load() throws -> (Transformer, Tokenizer) {
        if resolvedTransport == .mpi { return try loadMPIRank() }
        let file = try ModelFile(path: model)
        try ModelSupport.check(file)
        let tokenizer = try openTokenizer(for: file)
        let engine: Transformer
        if workers.isEmpty {
            var options = Transformer.Options(threads: threads, maxSeqLen: maxSeqLen, activationType: bufferFloatType, profile: profile)
            options.kvCacheType = kvCacheType
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
        options.kvCacheType = kvCacheType
        options.threads = threads
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
        try tokenizer.checkBelongs(toVocabularyRows: file.model.vocabSize, path: self.tokenizer ?? model)
        let converted = LayerStore.typesConvertedAtLoad(file.tensors)
        if !converted.isEmpty {
            log("converting \(converted.map(\.description).joined(separator: ", ")) tensors to F32 at load")
        }
        return tokenizer
    }

    /// The line that says what was loaded, after the engine is built; and the kernel path when
    /// `DLLAMA_KERNELS` asked for one that could not be used.
    func logLoaded(_ file: ModelFile, _ engine: Transformer) {
        let selection = KernelPath.selection
        if selection.note.contains(KernelPath.environmentVariable) && selection.note != "forced by \(KernelPath.environmentVariable)" {
            log("warning: \(selection.note)")
        }
        if let maxSeqLen, maxSeqLen > file.model.maxSeqLen {
            log("warning: --max-seq-len \(maxSeqLen) is more than the model's context (\(file.model.maxSeqLen) tokens): using \(file.model.maxSeqLen)")
        }
        let context = engine.maxSeqLen < file.model.maxSeqLen && maxSeqLen == nil ? " (the model allows \(file.model.maxSeqLen): -c N for more)" : ""
        log("model \(file.model.architecture.rawValue), \(file.model.layerCount) layers, \(formatBytes(file.statistics.tensorBytes)) of weights, "
            + "context \(engine.maxSeqLen)\(context), KV cache \(engine.plan.kvCacheType.rawValue) (\(formatBytes(engine.plan.estimates[0].kvCacheBytes))), "
            + "\(threads) thread\(threads == 1 ? "" : "s") on \(selection.path) kernels, weights \(describe(engine.storeMode))")
    }

    /// `--secret`, else `DLLAMA_SECRET`, as bytes.
    var sharedSecret: [UInt8]? {
        let text = secret ?? ProcessInfo.processInfo.environment["DLLAMA_SECRET"]
        return text.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
    }

    private func describe(_ mode: LayerStore.Mode) -> String {
        switch mode {
        case .mapped: return "memory-mapped"
        case .resident: return "resident"
        case .streaming(let budget): return "streamed from disk (\(formatBytes(budget)) for weights)"
        }
    }
}

func log(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

private let warnedLock = NSLock()
nonisolated(unsafe) private var warned: Set<String> = []

/// `warning: TEXT` on standard error, once per process.
func warnOnce(_ text: String) {
    warnedLock.lock()
    let first = warned.insert(text).inserted
    warnedLock.unlock()
    if first { log("warning: \(text)") }
}

extension WorkerFailurePolicy: ExpressibleByArgument {}
extension KVCacheType: ExpressibleByArgument {}

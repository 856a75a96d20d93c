import ArgumentParser
import Engine
import Foundation
import ModelFormat
import Scheduler
import Tokenizer

/// Options shared by the commands that run a model (`inference`, `chat`), named as
/// distributed-llama names them.
struct RunOptions: ParsableArguments {
    @Option(help: "The model file (.m or GGUF).")
    var model: String

    @Option(help: "A tokenizer file (.t or GGUF); a GGUF model carries its own.")
    var tokenizer: String?

    @Option(help: "Compute threads.")
    var nthreads = 1

    @Option(help: "Cap the context (and the KV cache) at this many tokens.")
    var maxSeqLen: Int?

    @Option(help: "RAM budget for this process, such as 512M or 4G: layers are streamed from disk when the model does not fit.")
    var maxRam: String?

    @Option(help: "How activations travel between nodes: q80 or f32.")
    var bufferFloatType: ActivationWireType = .q80

    @Option(parsing: .upToNextOption, help: "Worker addresses (HOST:PORT ...).")
    var workers: [String] = []

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

    func validate() throws {
        guard nthreads >= 1 else { throw ValidationError("--nthreads must be at least 1.") }
        if let maxSeqLen, maxSeqLen < 2 { throw ValidationError("--max-seq-len must be at least 2.") }
        if let maxRam, parseByteSize(maxRam) == nil { throw ValidationError("--max-ram \(maxRam) is not a size (such as 512M or 4G).") }
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be 0 or more.") }
        guard topp > 0, topp <= 1 else { throw ValidationError("--topp must be in (0, 1].") }
        guard topk >= 0 else { throw ValidationError("--topk must be 0 or more.") }
        if !workers.isEmpty {
            throw ValidationError("--workers: this build runs on one machine only; the network transport arrives with the Transport issue. Leave out --workers.")
        }
    }

    var sampling: SamplingParameters {
        SamplingParameters(temperature: temperature, topP: topp, topK: topk,
                           seed: seed ?? UInt64(Date().timeIntervalSince1970 * 1000))
    }

    /// Opens the model and tokenizer and builds the engine, saying on standard error what it does.
    func load() throws -> (Transformer, Tokenizer) {
        let file = try ModelFile(path: model)
        let tokenizer = try Tokenizer(modelPath: model, tokenizerPath: self.tokenizer)
        // Models may pad their vocabulary past the tokenizer's (Qwen: by a few hundred rows), but a
        // tokenizer with more tokens than the model, or far fewer, belongs to another model.
        let tokens = tokenizer.vocabulary.count, rows = file.model.vocabSize
        if tokens > rows || tokens < rows - 1024 {
            throw ValidationError("the tokenizer (\(self.tokenizer ?? model)) has \(tokens) tokens but the model has \(rows) vocabulary rows: "
                                  + "they do not belong together. Pass the model's own tokenizer with --tokenizer.")
        }
        let options = Transformer.Options(threads: nthreads, maxSeqLen: maxSeqLen, activationType: bufferFloatType,
                                          profile: profile)
        var withBudget = options
        withBudget.maxRAM = maxRam.flatMap(parseByteSize)
        let converted = Set(file.tensors.map(\.type)).subtracting([.f32, .f16, .q4_0, .q4_1, .q8_0])
        if !converted.isEmpty {
            log("converting \(converted.map(\.description).sorted().joined(separator: ", ")) tensors at load (Q8_0 for quantized types, F32 for BF16)")
        }
        let engine = try Transformer(file: file, options: withBudget)
        log("model \(file.model.architecture.rawValue), \(file.model.layerCount) layers, \(formatBytes(file.statistics.tensorBytes)) of weights, "
            + "context \(engine.maxSeqLen), \(nthreads) thread\(nthreads == 1 ? "" : "s"), weights \(describe(engine.storeMode))")
        return (engine, tokenizer)
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

/// The timing summary both commands print on standard error.
func printSummary(_ stats: GenerationStats, engine: Transformer) {
    let rss = ProcessMemory.peakResidentBytes().map(formatBytes) ?? "unknown"
    log(String(format: "prefill %d tokens, %.1f tokens/s; generation %d tokens, %.1f tokens/s (%.1f ms/token); peak RSS %@",
               stats.promptTokens, stats.prefillTokensPerSecond, stats.generatedTokens, stats.generationTokensPerSecond,
               stats.millisecondsPerToken, rss))
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

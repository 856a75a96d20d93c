import Engine
import Foundation
import LayerStore
import ModelFormat

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

/// The timing summary `inference` and `chat` print on standard error: speeds, peak RSS, the
/// cluster's traffic, where the weights came from, and with `--profile` the time per operation.
func printSummary(_ stats: GenerationStats, engine: Transformer) {
    for line in summaryLines(stats, engine: engine) { log(line) }
}

func summaryLines(_ stats: GenerationStats, engine: Transformer) -> [String] {
    let rss = ProcessMemory.peakResidentBytes().map(formatBytes) ?? "unknown"
    var lines = [String(format: "prefill %d token%@, %.1f tokens/s; ", stats.promptTokens, stats.promptTokens == 1 ? "" : "s",
                        stats.prefillTokensPerSecond) + generationText(stats) + "; peak RSS \(rss)"]
    if engine.collective.nodeCount > 1 {
        let steps = Double(max(stats.generatedTokens - 1, 1))
        let syncMs = stats.generationSyncSeconds * 1000 / steps
        let compute = stats.millisecondsPerToken.map { String(format: "%.1f ms compute, ", max($0 - syncMs, 0)) } ?? ""
        lines.append(String(format: "cluster: %d nodes, %@ on the wire; per token %@%.1f ms sync, %@ sent, %@ received",
                            engine.collective.nodeCount, engine.collective.encoding.rawValue, compute, syncMs,
                            formatBytes(Int(Double(stats.generationSentBytes) / steps)), formatBytes(Int(Double(stats.generationReceivedBytes) / steps))))
    }
    lines.append(weightsLine(stats, engine: engine))
    if engine.profiler.enabled { lines += profileLines(engine.profiler, nodes: engine.collective.nodeCount) }
    return lines
}

/// `generation 16 tokens, 278.0 tokens/s (3.6 ms/token)`; a single token came out of the
/// prefill step, so it has no decoding speed.
private func generationText(_ stats: GenerationStats) -> String {
    guard let rate = stats.generationTokensPerSecond, let ms = stats.millisecondsPerToken else {
        return "generation \(stats.generatedTokens) token\(stats.generatedTokens == 1 ? "" : "s") (no decoding speed: it takes two)"
    }
    return String(format: "generation %d tokens, %.1f tokens/s (%.1f ms/token)", stats.generatedTokens, rate, ms)
}

/// Where the weights are: streamed layers are read again for every token, so their bytes per
/// token matter; held weights were read once, at load; mapped ones are the file's own pages.
private func weightsLine(_ stats: GenerationStats, engine: Transformer) -> String {
    let held = formatBytes(engine.residentWeightBytes)
    switch engine.storeMode {
    case .streaming:
        let tokens = max(stats.promptTokens + stats.generatedTokens, 1)
        return "weights: streamed from disk, \(formatBytes(stats.bytesRead)) read while generating (\(formatBytes(stats.bytesRead / tokens)) per token); \(held) held in buffers"
    case .resident:
        return "weights: \(held) held in buffers, read from disk once, at load"
    case .mapped:
        return "weights: memory-mapped from the model file" + (engine.residentWeightBytes > 0 ? " (\(held) copied into buffers at load)" : "")
    }
}

/// The `--profile` table: one aligned row per operation that took time, largest first (no
/// network row on a single node, where nothing travels).
func profileLines(_ profiler: Profiler, nodes: Int) -> [String] {
    let rows = profiler.milliseconds.filter { $0.value > 0 && (nodes > 1 || $0.key != .network) }.sorted { $0.value > $1.value }
    let total = rows.reduce(0) { $0 + $1.value }
    let width = rows.map(\.key.rawValue.count).max() ?? 0
    return ["time by operation (root):"] + rows.map { operation, ms in
        "  " + operation.rawValue.padding(toLength: width, withPad: " ", startingAt: 0)
            + String(format: " %10.1f ms %6.1f%%", ms, total > 0 ? 100 * ms / total : 0)
    }
}

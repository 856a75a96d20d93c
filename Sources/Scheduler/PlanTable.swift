import ModelFormat

extension Plan {
    /// The plan as a table for people (`dllama plan`).
    public func renderTable() -> String {
        let m = model
        let name = [PlanMode.tensor: "tensor-parallel", .pipeline: "pipeline", .hybrid: "hybrid (\(stageGroups().count) stages)"][mode]!
        var lines = ["\(name) plan: \(nodes.count) node\(nodes.count == 1 ? "" : "s"), "
            + "\(m.architecture.rawValue) (\(m.layerCount) layers, \(m.kvHeadCount) KV heads), max seq len \(maxSeqLen), activations \(activationType.rawValue), KV cache \(kvCacheType.rawValue)"]
        let header = ["node", "layers", "kv heads", "q heads", "ffn rows", "vocab rows", "weights", "kv cache", "est. RAM", "RAM", "mode", "sent/token", "recv/token"]
        var rows = [header]
        for (share, e) in zip(nodes, estimates) {
            rows.append([
                share.node == 0 ? "0 (root)" : "\(share.node)",
                text(share.layers), text(share.kvHeads), text(share.queryHeads),
                text(m.isMoE ? share.expertRows : share.ffnRows), text(share.vocabRows),
                formatBytes(e.weightBytes), formatBytes(e.kvCacheBytes), formatBytes(e.estimatedRAM),
                e.ramBytes.map(formatBytes) ?? "-", e.streams ? "streams" : "resident",
                formatBytes(e.sentBytesPerToken), formatBytes(e.receivedBytesPerToken),
            ])
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max()! }
        for row in rows {
            lines.append(row.indices.map { $0 == row.count - 1 ? row[$0] : row[$0].padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined())
        }
        lines.append("collectives per token: \(collectivesPerToken)")
        return lines.joined(separator: "\n")
    }

    private func text(_ r: Range<Int>) -> String { r.isEmpty ? "-" : "\(r.lowerBound)-\(r.upperBound - 1)" }
}

import Foundation

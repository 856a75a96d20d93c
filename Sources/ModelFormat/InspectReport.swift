/// What `dllama inspect` reports about a model file: a `Codable` value for `--json`, and a text
/// rendering for people.
public struct InspectReport: Codable, Sendable {
    public var path: String
    public var format: ModelFileFormat
    public var formatVersion: Int
    public var fileSize: Int
    public var model: ModelDescription
    public var statistics: ModelStatistics
    /// The sampled fingerprint (hex SHA-256) nodes compare before running together.
    public var fingerprint: String
    /// SHA-256 of the whole file, when asked for.
    public var fullSHA256: String?

    public init(file: ModelFile, fullSHA256: String? = nil) {
        path = file.path
        format = file.format
        formatVersion = file.formatVersion
        fileSize = file.fileSize
        model = file.model
        statistics = file.statistics
        fingerprint = file.fingerprint().sha256
        self.fullSHA256 = fullSHA256
    }

    public func renderText() -> String {
        let m = model
        let formatName = format == .gguf ? "GGUF v\(formatVersion)" : "distributed-llama .m"
        var lines: [String] = []
        func row(_ key: String, _ value: String) { lines.append(key.padding(toLength: 16, withPad: " ", startingAt: 0) + value) }
        row("file", "\(path) (\(formatName), \(formatBytes(fileSize)))")
        row("architecture", m.architecture.rawValue)
        row("dimensions", "dim \(m.dim), hidden \(m.hiddenDim), layers \(m.layerCount), heads \(m.headCount), kv heads \(m.kvHeadCount), head dim \(m.headDim)")
        if m.isMoE {
            row("experts", "\(m.expertCount), \(m.activeExpertCount) active, expert hidden \(m.expertHiddenDim)")
        }
        row("vocabulary", "\(m.vocabSize) tokens\(m.tiedEmbedding ? ", output tied to the embedding" : "")")
        row("context", "\(m.maxSeqLen) tokens")
        var rope = "theta \(formatNumber(m.ropeTheta)), \(m.ropeStyle == .neox ? "NeoX" : "adjacent pairs")"
        if let s = m.ropeScaling {
            rope += ", \(s.kind) scaling x\(formatNumber(s.factor)), original context \(s.originalContextLength)"
            if s.kind == .llama3 {
                rope += " (low \(formatNumber(s.lowFrequencyFactor)), high \(formatNumber(s.highFrequencyFactor)))"
            }
        }
        row("rope", rope)
        row("norm epsilon", "\(m.normEpsilon)")
        row("activation", m.activation.rawValue)
        row("weights", "\(m.weightType)")
        row("parameters", "\(formatCount(statistics.parameterCount)) in \(statistics.tensorCount) tensors, \(formatBytes(statistics.tensorBytes))")
        row("bytes by type", statistics.bytesByType.sorted { $0.value > $1.value }
            .map { "\($0.key) \(formatBytes($0.value))" }.joined(separator: ", "))
        row("outside layers", formatBytes(statistics.nonLayerBytes) + " (embedding, final norm, output)")
        row("bytes by layer", layerSummary())
        row("fingerprint", fingerprint)
        if let full = fullSHA256 { row("sha256", full) }
        return lines.joined(separator: "\n")
    }

    /// One line when every layer is the same size (the usual case), otherwise each layer.
    private func layerSummary() -> String {
        let sizes = statistics.bytesByLayer
        guard let first = sizes.first else { return "no layers" }
        if sizes.allSatisfy({ $0 == first }) {
            return "\(sizes.count) x \(formatBytes(first)) = \(formatBytes(first * sizes.count))"
        }
        return sizes.enumerated().map { "\($0.offset): \(formatBytes($0.element))" }.joined(separator: ", ")
    }

    private func formatNumber(_ x: Float) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }

    private func formatCount(_ n: Int) -> String {
        n >= 1_000_000_000 ? "\(Double(n / 10_000_000) / 100) B" : n >= 1_000_000 ? "\(Double(n / 10_000) / 100) M" : "\(n)"
    }
}

import Prometheus

/// The server's Prometheus metrics (`GET /metrics`), in a registry of its own so that several
/// servers in one process (tests, an embedding tool) do not mix their figures.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let promptTokens: Counter
    let cachedPromptTokens: Counter
    let generatedTokens: Counter
    let timeToFirstToken: ValueHistogram
    let tokenLatency: ValueHistogram
    let queueWaiting: Gauge
    let queueRunning: Gauge

    init() {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "dllama", metricName: metric, unitName: unit, helpText: help)
        }
        promptTokens = registry.makeCounter(descriptor: name("prompt_tokens", "total", "Prompt tokens of completed requests"))
        cachedPromptTokens = registry.makeCounter(
            descriptor: name("cached_prompt_tokens", "total", "Prompt tokens found in the KV cache (not computed again)"))
        generatedTokens = registry.makeCounter(descriptor: name("generated_tokens", "total", "Tokens generated"))
        timeToFirstToken = registry.makeValueHistogram(
            descriptor: name("time_to_first_token", "seconds", "From a request's arrival (queueing included) to its first token"),
            buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60])
        tokenLatency = registry.makeValueHistogram(
            descriptor: name("token_latency", "seconds", "Time between consecutive generated tokens"),
            buckets: [0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.2, 0.5, 1, 2.5])
        queueWaiting = registry.makeGauge(descriptor: name("queue_waiting", "requests", "Requests waiting for the engine"))
        queueRunning = registry.makeGauge(descriptor: name("queue_running", "requests", "Requests generating (0 or 1)"))
    }

    /// One answered request, by route (the matched path, not the raw URL) and status code.
    func countRequest(route: String, status: Int) {
        registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "dllama", metricName: "requests", unitName: "total",
                                                              helpText: "HTTP requests answered, by route and status"),
                             labels: [("route", route), ("status", String(status))]).increment()
    }

    func count(_ usage: Usage) {
        promptTokens.increment(by: Int64(usage.promptTokens))
        cachedPromptTokens.increment(by: Int64(usage.cachedTokens))
        generatedTokens.increment(by: Int64(usage.completionTokens))
    }

    /// A node's figures since the last report: seconds in sync during token steps, bytes moved,
    /// and its resident memory now.
    func recordNode(_ node: Int, syncSeconds: Double, sentBytes: Int, receivedBytes: Int, residentBytes: Int) {
        let labels = [("node", String(node))]
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "dllama", subsystem: "node", metricName: metric, unitName: unit, helpText: help)
        }
        registry.makeCounter(descriptor: name("sync", "seconds_total",
                                              "Time the node spent in collectives (waiting for others) during token steps"),
                             labels: labels).increment(by: syncSeconds)
        registry.makeCounter(descriptor: name("sent", "bytes_total", "Bytes the node sent to other nodes"), labels: labels)
            .increment(by: Int64(sentBytes))
        registry.makeCounter(descriptor: name("received", "bytes_total", "Bytes the node received from other nodes"), labels: labels)
            .increment(by: Int64(receivedBytes))
        registry.makeGauge(descriptor: name("resident", "bytes", "The node's resident memory"), labels: labels)
            .set(Double(residentBytes))
    }

    /// The exposition text.
    func exposition() -> [UInt8] { registry.emitToBuffer() }
}

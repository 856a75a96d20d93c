import Engine
import Foundation

/// What the chat page's cluster panel shows (`GET /v1/cluster`): every node's place and share,
/// and its own figures from the latest status round, with speeds over the last request that
/// generated tokens. Updated by the engine thread, read by request handlers.
final class ClusterMonitor: @unchecked Sendable {  // unchecked: mutable state behind `lock`
    /// One node as the panel shows it.
    struct Node: Encodable {
        var node: Int
        var role: String
        var address: String
        var share: String
        var residentBytes: Int
        var peakResidentBytes: Int
        /// Over the last request's generated tokens: this node's own step rate and time split.
        var tokensPerSecond: Double?
        var computeMillisecondsPerToken: Double?
        var syncMillisecondsPerToken: Double?
        var sentBytes: Int
        var receivedBytes: Int
    }

    struct Panel: Encodable {
        var model: String
        var context: Int
        var cachedTokens: Int
        var running: Int
        var waiting: Int
        var queueLimit: Int
        var nodes: [Node]
    }

    private let lock = NSLock()
    private let metrics: ServerMetrics
    private var nodes: [Node]
    private var previous: [NodeStatus] = []
    private var cachedTokens = 0

    /// `addresses[i]` is where node i runs; `shares[i]` what it holds.
    init(addresses: [String], shares: [String], metrics: ServerMetrics) {
        self.metrics = metrics
        nodes = zip(addresses, shares).enumerated().map { index, node in
            Node(node: index, role: index == 0 ? "root" : "worker", address: node.0, share: node.1, residentBytes: 0,
                 peakResidentBytes: 0, sentBytes: 0, receivedBytes: 0)
        }
    }

    /// A new status round, compared with the previous one.
    func update(_ statuses: [NodeStatus], cachedTokens: Int) {
        lock.lock()
        defer { lock.unlock() }
        self.cachedTokens = cachedTokens
        for status in statuses where nodes.indices.contains(status.node) {
            // A worker that failed and came back (or a spare in its place) counts from zero again:
            // then all of its counts are new, rather than a negative difference.
            let before = previous.first { $0.node == status.node }.flatMap { $0.isBefore(status) ? $0 : nil }
            let steps = status.tokenSteps - (before?.tokenSteps ?? 0)
            let compute = Double(status.tokenComputeNanoseconds - (before?.tokenComputeNanoseconds ?? 0)) / 1e6
            let sync = Double(status.tokenSyncNanoseconds - (before?.tokenSyncNanoseconds ?? 0)) / 1e6
            var node = nodes[status.node]
            node.residentBytes = status.residentBytes
            node.peakResidentBytes = status.peakResidentBytes
            node.sentBytes = status.sentBytes
            node.receivedBytes = status.receivedBytes
            if steps > 0 {
                node.computeMillisecondsPerToken = compute / Double(steps)
                node.syncMillisecondsPerToken = sync / Double(steps)
                node.tokensPerSecond = compute + sync > 0 ? 1000 * Double(steps) / (compute + sync) : nil
            }
            nodes[status.node] = node
            metrics.recordNode(status.node, syncSeconds: sync / 1000, sentBytes: status.sentBytes - (before?.sentBytes ?? 0),
                               receivedBytes: status.receivedBytes - (before?.receivedBytes ?? 0), residentBytes: status.residentBytes)
        }
        previous = statuses
    }

    /// The panel now; the root's memory is read live (it is this process).
    func panel(model: String, context: Int, load: (running: Int, waiting: Int), queueLimit: Int) -> Panel {
        lock.lock()
        defer { lock.unlock() }
        var nodes = self.nodes
        if let rss = ProcessMemory.residentBytes(), !nodes.isEmpty {
            nodes[0].residentBytes = rss
            nodes[0].peakResidentBytes = max(nodes[0].peakResidentBytes, ProcessMemory.peakResidentBytes() ?? rss)
        }
        return Panel(model: model, context: context, cachedTokens: cachedTokens, running: load.running, waiting: load.waiting,
                     queueLimit: queueLimit, nodes: nodes)
    }
}

extension NodeStatus {
    /// Whether `later` can follow this round of the same node: no counter went backwards.
    func isBefore(_ later: NodeStatus) -> Bool {
        tokenSteps <= later.tokenSteps && tokenComputeNanoseconds <= later.tokenComputeNanoseconds
            && tokenSyncNanoseconds <= later.tokenSyncNanoseconds && sentBytes <= later.sentBytes && receivedBytes <= later.receivedBytes
    }
}

import Engine
import Foundation
import Testing
@testable import Server

/// A worker replaced after a failure (`--on-worker-failure wait`) reports counters that start again
/// from zero; the panel's per-round differences must not underflow (they trapped the server).
@Suite("the cluster panel across a recovered worker")
struct ClusterMonitorTests {
    func status(node: Int, steps: Int, computeMs: UInt64, syncMs: UInt64, bytes: Int) -> NodeStatus {
        NodeStatus(node: node, residentBytes: 1 << 20, peakResidentBytes: 2 << 20, tokenSteps: steps,
                   tokenComputeNanoseconds: computeMs * 1_000_000, tokenSyncNanoseconds: syncMs * 1_000_000,
                   sentBytes: bytes, receivedBytes: bytes)
    }

    @Test("counters that go back to zero start a new count; counters that grow give the round's difference")
    func restartedWorker() throws {
        let metrics = ServerMetrics()
        let monitor = ClusterMonitor(addresses: ["root", "10.0.0.2:9999"], shares: ["a", "b"], metrics: metrics)
        monitor.update([status(node: 0, steps: 40, computeMs: 400, syncMs: 400, bytes: 4000),
                        status(node: 1, steps: 40, computeMs: 800, syncMs: 800, bytes: 4000)], cachedTokens: 0)
        // Node 1 was replaced: its new process has done 10 steps.
        monitor.update([status(node: 0, steps: 50, computeMs: 500, syncMs: 500, bytes: 5000),
                        status(node: 1, steps: 10, computeMs: 30, syncMs: 70, bytes: 1000)], cachedTokens: 0)
        let nodes = monitor.panel(model: "m", context: 64, load: (0, 0), queueLimit: 1).nodes
        #expect(nodes[0].computeMillisecondsPerToken == 10 && nodes[0].syncMillisecondsPerToken == 10)
        #expect(nodes[1].computeMillisecondsPerToken == 3 && nodes[1].syncMillisecondsPerToken == 7)
        #expect(nodes[1].tokensPerSecond == 100)
        #expect(nodes[1].sentBytes == 1000)
        let exposition = String(decoding: metrics.exposition(), as: UTF8.self)
        // Node 1 sent 4000 bytes before its failure and 1000 since: 5000, never less than before.
        #expect(exposition.contains(#"dllama_node_sent_bytes_total{node="1"} 5000"#), "\(exposition)")
    }
}

import Foundation
import Transport

/// One node's figures as it measures them itself, gathered by a `Step.status` while the session
/// runs (a worker's closing `WorkerReport` says much the same, but only at the end): what a
/// server's cluster panel and metrics show.
///
///     let nodes = try engine.nodeStatus()     // one per node, root first
///     let syncPerToken = Double(nodes[1].tokenSyncNanoseconds) / Double(max(nodes[1].tokenSteps, 1)) / 1e6
public struct NodeStatus: Sendable, Equatable, Codable {
    public var node: Int
    /// The process's resident set now and at its peak, in bytes (nodes of one process share them).
    public var residentBytes: Int
    public var peakResidentBytes: Int
    /// Token steps this node has run, and their time outside and inside collectives (waiting
    /// for other nodes included). Prefill batches are not counted: these describe generation.
    public var tokenSteps: Int
    public var tokenComputeNanoseconds: UInt64
    public var tokenSyncNanoseconds: UInt64
    /// Bytes this node has sent and received over all its links.
    public var sentBytes: Int
    public var receivedBytes: Int

    public init(node: Int, residentBytes: Int, peakResidentBytes: Int, tokenSteps: Int, tokenComputeNanoseconds: UInt64,
                tokenSyncNanoseconds: UInt64, sentBytes: Int, receivedBytes: Int) {
        self.node = node
        self.residentBytes = residentBytes
        self.peakResidentBytes = peakResidentBytes
        self.tokenSteps = tokenSteps
        self.tokenComputeNanoseconds = tokenComputeNanoseconds
        self.tokenSyncNanoseconds = tokenSyncNanoseconds
        self.sentBytes = sentBytes
        self.receivedBytes = receivedBytes
    }

    /// Bytes on the wire: eight u64 fields in declaration order (64 bytes).
    static let wireSize = 64

    func encoded() -> [UInt8] {
        var w = WireWriter()
        for field in [UInt64(node), UInt64(residentBytes), UInt64(peakResidentBytes), UInt64(tokenSteps),
                      tokenComputeNanoseconds, tokenSyncNanoseconds, UInt64(sentBytes), UInt64(receivedBytes)] {
            w.u64(field)
        }
        return w.bytes
    }

    init(decoding bytes: UnsafeRawBufferPointer, from sender: Int) throws {
        guard bytes.count == Self.wireSize else {
            throw TransportError.payloadSize(peer: "node \(sender)", what: "its status", expected: Self.wireSize, got: bytes.count)
        }
        var r = WireReader(bytes, message: "node status")
        func int(_ name: String) throws -> Int { Int(clamping: try r.u64(name)) }
        node = try int("node")
        residentBytes = try int("resident bytes")
        peakResidentBytes = try int("peak resident bytes")
        tokenSteps = try int("token steps")
        tokenComputeNanoseconds = try r.u64("compute nanoseconds")
        tokenSyncNanoseconds = try r.u64("sync nanoseconds")
        sentBytes = try int("sent bytes")
        receivedBytes = try int("received bytes")
        try r.finish()
    }
}

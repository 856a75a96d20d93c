import Foundation

/// One direction of an in-memory pipe: bytes written at one end wait here for the other.
final class PipeBuffer: @unchecked Sendable {  // unchecked: bytes and state behind `condition`
    private let condition = NSCondition()
    private var bytes: [UInt8] = []
    private var start = 0
    private var closed = false

    func append(_ data: UnsafeRawBufferPointer) throws -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        bytes.append(contentsOf: data)
        condition.broadcast()
        return true
    }

    /// Waits for bytes (or the close); returns how many were copied, 0 when closed.
    func take(into buffer: UnsafeMutableRawBufferPointer, deadline: Date?) -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while start == bytes.count && !closed {
            if let deadline {
                if !condition.wait(until: deadline) && start == bytes.count && !closed { return nil }
            } else {
                condition.wait()
            }
        }
        let count = min(buffer.count, bytes.count - start)
        if count == 0 { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + start, byteCount: count) }
        start += count
        if start == bytes.count { bytes.removeAll(keepingCapacity: true); start = 0 }
        return count
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// An in-memory `ByteStream`: the two ends of a pipe between threads of one process, for
/// `LoopbackCollective` and for testing the protocol without sockets.
///
///     let (a, b) = MemoryStream.pair("root", "worker 1")
///     try FrameLink(stream: a).send(.bye)
public final class MemoryStream: ByteStream, @unchecked Sendable {  // unchecked: immutable; its pipes lock
    public let peer: String
    private let inbound: PipeBuffer
    private let outbound: PipeBuffer

    init(peer: String, inbound: PipeBuffer, outbound: PipeBuffer) {
        self.peer = peer
        self.inbound = inbound
        self.outbound = outbound
    }

    /// Two connected ends: `a` talks to `b`. `aName` is how `b` names `a`, and the other way round.
    public static func pair(_ aName: String, _ bName: String) -> (MemoryStream, MemoryStream) {
        let aToB = PipeBuffer(), bToA = PipeBuffer()
        return (MemoryStream(peer: bName, inbound: bToA, outbound: aToB), MemoryStream(peer: aName, inbound: aToB, outbound: bToA))
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard try outbound.append(bytes) else { throw TransportError.connectionClosed(peer: peer) }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Double?, waitingFor: String) throws -> Int {
        guard let count = inbound.take(into: buffer, deadline: timeout.map { Date().addingTimeInterval($0) }) else {
            throw TransportError.timedOut(peer: peer, seconds: timeout ?? 0, waitingFor: waitingFor)
        }
        return count
    }

    /// Closes both directions: the other end reads 0 bytes, and writes fail.
    public func close() {
        inbound.close()
        outbound.close()
    }
}

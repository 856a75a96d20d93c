import Foundation
import QuantKernels

/// The collective of a star: every worker has one link, to the root, and the root relays what
/// workers exchange. It runs over any `ByteStream`, so the same code serves TCP and the in-process
/// `LoopbackCollective`.
///
/// All-reduce: each member sends its encoded vector to the root. In a group of two, the root hands
/// each member the other's encoding (no second rounding, the bytes distributed-llama's all-gather
/// moves); in a larger group it sums the decoded vectors in node order and sends every member the
/// encoded sum, which every member (the root included) decodes, so all hold the same bits.
///
/// Ordering rule that keeps large messages from deadlocking on full socket buffers: a worker sends
/// before it receives; the root receives from every worker before it sends, except a vector small
/// enough to sit in a socket buffer, which it sends first to save a round trip.
///
/// Like its links, a collective is handed to the thread of its node and used by that thread alone.
public final class StarCollective: SessionCollective, @unchecked Sendable {
    public let node: Int
    public let nodeCount: Int
    public let encoding: ActivationEncoding
    /// Longest wait for another node inside a step, in seconds (nil: forever).
    public let timeout: Double?
    /// Root: `links[i]` reaches worker i (`links[0]` is nil). Worker: `links[0]` reaches the root.
    public private(set) var links: [FrameLink?]
    public private(set) var syncNanoseconds: UInt64 = 0
    private var dead: Set<Int> = []
    private let kernels: KernelTable

    private let encoded = Bytes()   // this node's vector, encoded
    private let sumBytes = Bytes()  // the root's encoded sum
    private let decoded = Scratch() // a decoded vector
    private let sum = Scratch()     // the root's running sum

    /// Vectors up to this size are sent before receiving (they fit any socket buffer).
    static let eagerBytes = 32 << 10

    public init(node: Int, nodeCount: Int, links: [FrameLink?], encoding: ActivationEncoding, timeout: Double?,
                kernels: KernelTable = .current) {
        precondition(node == 0 ? links.count == nodeCount : links.count == 1, "a root needs a link per node, a worker one link")
        self.node = node
        self.nodeCount = nodeCount
        self.links = links
        self.encoding = encoding
        self.timeout = timeout
        self.kernels = kernels
    }

    public var traffic: LinkTraffic { links.compactMap { $0 }.reduce(LinkTraffic()) { $0 + $1.traffic } }

    /// Worker `i`'s link (root), or the root's link (worker).
    private func link(_ i: Int) throws -> FrameLink {
        let index = node == 0 ? i : 0
        guard let link = links[index] else { preconditionFailure("no link to node \(i)") }
        if dead.contains(index) { throw TransportError.connectionClosed(peer: link.peer) }
        return link
    }

    /// Runs `body`, counting its time as synchronisation and marking a link dead when it fails.
    private func timed<T>(_ body: () throws -> T) throws -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { syncNanoseconds += DispatchTime.now().uptimeNanoseconds - start }
        return try body()
    }

    private func receive(_ kind: MessageKind, from i: Int, waitingFor what: String) throws -> Frame {
        let link = try self.link(i)
        do {
            let frame = try link.receive(timeout: timeout, waitingFor: what)
            switch frame.kind {
            case kind: return frame
            case .error: throw TransportError.remoteError(peer: link.peer, message: frame.text)
            case .abort where node != 0:
                try? link.send(.abort)
                throw TransportError.aborted(reason: "the root abandoned the step")
            default: throw TransportError.unexpectedMessage(peer: link.peer, expected: "\(kind)", got: "\(frame.kind)")
            }
        } catch let error as TransportError {
            switch error {
            case .connectionClosed, .socket:
                dead.insert(node == 0 ? i : 0)
            case .timedOut, .malformed, .frameTooLarge:
                // A node that stays silent or sends what it should not is as good as gone.
                dead.insert(node == 0 ? i : 0)
                link.close()
            default:
                break
            }
            throw error
        }
    }

    private func send(_ kind: MessageKind, _ bytes: UnsafeRawBufferPointer, to i: Int, compress: Bool = true) throws {
        let link = try self.link(i)
        do {
            try link.send(kind, bytes, compress: compress)
        } catch {
            dead.insert(node == 0 ? i : 0)
            throw error
        }
    }

    // MARK: steps

    public func broadcastStep(_ step: [UInt8]) throws {
        precondition(node == 0, "only the root broadcasts steps")
        try timed {
            try step.withUnsafeBytes { bytes in
                for i in 1..<nodeCount { try send(.step, bytes, to: i, compress: false) }
            }
        }
    }

    public func receiveStep() throws -> [UInt8]? {
        precondition(node != 0, "the root makes the steps")
        let link = try self.link(0)
        while true {
            let frame: Frame
            do {
                frame = try link.receive(timeout: nil, waitingFor: "the next step")
            } catch {
                dead.insert(0)
                throw error
            }
            switch frame.kind {
            case .step: return Array(frame.payload)
            case .bye: return nil
            case .abort: try link.send(.abort)  // between steps: acknowledge, keep waiting
            case .error: throw TransportError.remoteError(peer: link.peer, message: frame.text)
            default: throw TransportError.unexpectedMessage(peer: link.peer, expected: "a step", got: "\(frame.kind)")
            }
        }
    }

    // MARK: all-reduce

    public func allReduce(_ values: UnsafeMutableBufferPointer<Float>?, among group: Range<Int>) throws {
        guard group.count > 1 else { return }
        try timed {
            if node == 0 {
                try rootAllReduce(values, group)
            } else if let values, group.contains(node) {
                try workerAllReduce(values, group)
            }
        }
    }

    private func workerAllReduce(_ values: UnsafeMutableBufferPointer<Float>, _ group: Range<Int>) throws {
        let mine = encode(values, into: encoded)
        try send(.activations, mine, to: 0)
        let frame = try receive(.activations, from: 0, waitingFor: "the all-reduce result")
        if group.count == 2 {
            // The other member's encoding: sum both in node order, as every member does.
            let other = frame.payload
            try sumInNodeOrder(node == group.lowerBound ? [mine, other] : [other, mine], into: values)
        } else {
            try encoding.decode(frame.payload, into: values, peer: "the root", kernels: kernels)
        }
    }

    private func rootAllReduce(_ values: UnsafeMutableBufferPointer<Float>?, _ group: Range<Int>) throws {
        let workers = group.filter { $0 != 0 }
        if group.count == 2 {
            if let values, group.contains(0) {
                let mine = encode(values, into: encoded)
                let w = workers[0]
                let eager = mine.count <= Self.eagerBytes
                if eager { try send(.activations, mine, to: w) }
                let theirs = try receive(.activations, from: w, waitingFor: "node \(w)'s partial sums")
                if !eager { try send(.activations, mine, to: w) }
                try sumInNodeOrder([mine, theirs.payload], into: values)
            } else {
                // Two workers: relay each one's encoding to the other.
                let a = try receive(.activations, from: workers[0], waitingFor: "node \(workers[0])'s partial sums")
                let b = try receive(.activations, from: workers[1], waitingFor: "node \(workers[1])'s partial sums")
                try send(.activations, b.payload, to: workers[0])
                try send(.activations, a.payload, to: workers[1])
            }
            return
        }
        var count: Int?
        for i in group {
            let bytes: UnsafeRawBufferPointer
            if i == 0, let values {
                bytes = encode(values, into: encoded)
            } else {
                bytes = try receive(.activations, from: i, waitingFor: "node \(i)'s partial sums").payload
            }
            let n = try count ?? valueCount(of: bytes, from: i)
            if count == nil {
                count = n
                sum.ensure(n)
            }
            try NodeOrderSum.accumulate(bytes, into: sum.floats(n), first: i == group.lowerBound, encoding: encoding, scratch: decoded,
                                        peer: i == 0 ? "the root" : try link(i).peer, kernels: kernels)
        }
        guard let n = count else { return }
        let total = encode(sum.floats(n), into: sumBytes)
        for i in workers { try send(.activations, total, to: i) }
        if let values { try encoding.decode(total, into: values, peer: "the root", kernels: kernels) }
    }

    /// `values = decode(parts[0]) + decode(parts[1]) + ...`, in that order.
    private func sumInNodeOrder(_ parts: [UnsafeRawBufferPointer], into values: UnsafeMutableBufferPointer<Float>) throws {
        try NodeOrderSum.pair(parts, into: values, encoding: encoding, scratch: decoded, peer: node == 0 ? "a worker" : "the root",
                              kernels: kernels)
    }

    private func encode(_ values: UnsafeMutableBufferPointer<Float>, into bytes: Bytes) -> UnsafeRawBufferPointer {
        encoding.encode(values, reusing: bytes, kernels: kernels)
    }

    /// How many values an encoded vector holds; the root learns a vector's length from the first
    /// one it sees when it takes no part itself.
    private func valueCount(of bytes: UnsafeRawBufferPointer, from i: Int) throws -> Int {
        let unit = encoding.byteCount(32)
        guard bytes.count % unit == 0, !bytes.isEmpty else {
            throw TransportError.payloadSize(peer: try link(i).peer, what: "\(encoding) activations (whole 32-value blocks)",
                                             expected: max(bytes.count / unit, 1) * unit, got: bytes.count)
        }
        return bytes.count / unit * 32
    }

    // MARK: hand-off and gather

    public func handOff(_ values: UnsafeMutableBufferPointer<Float>?, from: Range<Int>, to: Range<Int>) throws {
        let sender = from.lowerBound
        try timed {
            if node == sender, let values {
                let bytes = encode(values, into: encoded)
                if node == 0 {
                    for t in to { try send(.activations, bytes, to: t) }
                } else {
                    try send(.activations, bytes, to: 0)
                }
            } else if node == 0 {
                let frame = try receive(.activations, from: sender, waitingFor: "node \(sender)'s activations for the next stage")
                for t in to where t != 0 { try send(.activations, frame.payload, to: t) }
                if to.contains(0), let values {
                    try encoding.decode(frame.payload, into: values, peer: try link(sender).peer, kernels: kernels)
                }
            } else if to.contains(node), let values {
                let frame = try receive(.activations, from: 0, waitingFor: "activations from the previous stage")
                try encoding.decode(frame.payload, into: values, peer: "the root", kernels: kernels)
            }
        }
    }

    public func gather(_ piece: UnsafeRawBufferPointer?, from senders: Range<Int>,
                       into receive: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        try timed {
            if node == 0 {
                try rootGather(piece, from: senders, into: receive) { try self.receive(.piece, from: $0, waitingFor: "node \($0)'s logits").payload }
            } else if let piece, senders.contains(node) {
                try send(.piece, piece, to: 0, compress: false)
            }
        }
    }

    // MARK: failures and the end

    public func abort(_ reason: String) {
        if node != 0 {
            links[0]?.sendError(reason)
            return
        }
        let live = (1..<nodeCount).filter { !dead.contains($0) }
        for i in live {
            do { try links[i]!.send(.abort) } catch { dead.insert(i) }
        }
        // Drain what each worker sent for the abandoned step, up to its acknowledgement.
        for i in live where !dead.contains(i) {
            do {
                while try links[i]!.receive(timeout: timeout, waitingFor: "the acknowledgement of an abandoned step").kind != .abort {}
            } catch {
                dead.insert(i)
            }
        }
    }

    /// Root: ends the session with every worker still connected, collecting each one's closing
    /// report (`report(_:)`); returns them by node.
    public func finish(timeout: Double = 5) -> [Int: [UInt8]] {
        precondition(node == 0, "only the root ends a session")
        var reports: [Int: [UInt8]] = [:]
        for i in 1..<nodeCount where !dead.contains(i) {
            guard let link = links[i] else { continue }
            do {
                try link.send(.bye)
                reports[i] = Array(try link.receive(.report, timeout: timeout).payload)
            } catch {
                dead.insert(i)
            }
        }
        return reports
    }

    /// Worker: answers the root's `bye` with a closing report.
    public func report(_ bytes: [UInt8]) throws {
        try links[0]!.send(.report, bytes)
    }

    /// Puts `link` in the place of node `node`'s failed one (a worker that came back, or a spare):
    /// the next step reaches it like any other.
    public func replaceLink(forNode node: Int, with link: FrameLink) {
        precondition(self.node == 0 && (1..<nodeCount).contains(node), "only the root replaces a worker's link")
        links[node]?.close()
        links[node] = link
        dead.remove(node)
    }

    /// Nodes whose link has failed.
    public var failedNodes: [Int] { dead.sorted().map { node == 0 ? $0 : 0 } }
}

/// A growable, 64-byte-aligned byte buffer reused across messages.
final class Bytes {
    private var storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    deinit { storage.deallocate() }
    func ensure(_ count: Int) {
        guard storage.count < count else { return }
        storage.deallocate()
        storage = .allocate(byteCount: count, alignment: 64)
    }
    func raw(_ count: Int) -> UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(rebasing: storage[0..<count]) }
}

/// A growable float buffer reused across messages.
final class Scratch {
    private var storage = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    deinit { storage.deallocate() }
    func ensure(_ count: Int) {
        guard storage.count < count else { return }
        storage.deallocate()
        storage = .allocate(capacity: count)
    }
    func floats(_ count: Int) -> UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(rebasing: storage[0..<count]) }
}

import Foundation
import Testing
@testable import Transport

@Suite("collectives between threads")
struct CollectiveTests {
    /// Each node's partial: its own test vector.
    static func partial(_ node: Int, count: Int = 96) -> [Float] { testVector(count, seed: 10 * node, outlier: node == 1 ? 300 : nil) }

    /// The sum every member must hold: each partial through the encoding, added in node order
    /// (two members), or that sum once more through the encoding (more members).
    static func expected(_ group: Range<Int>, _ encoding: ActivationEncoding, count: Int = 96) -> [Float] {
        func through(_ v: [Float]) -> [Float] {
            var bytes = [UInt8](repeating: 0, count: encoding.byteCount(v.count))
            v.withUnsafeBufferPointer { p in bytes.withUnsafeMutableBytes { encoding.encode(p, into: $0) } }
            var out = [Float](repeating: 0, count: v.count)
            try! bytes.withUnsafeBytes { raw in try out.withUnsafeMutableBufferPointer { try encoding.decode(raw, into: $0, peer: "") } }
            return out
        }
        var sum = [Float](repeating: 0, count: count)
        for node in group {
            let p = through(partial(node, count: count))
            for i in sum.indices { sum[i] += p[i] }
        }
        return group.count == 2 ? sum : through(sum)
    }

    @Test("all-reduce: every member ends with the same bits, the sum in node order", arguments: [2, 3, 4], ActivationEncoding.allCases)
    func allReduce(nodes: Int, encoding: ActivationEncoding) throws {
        let collectives = LoopbackCollective.make(nodes: nodes, encoding: encoding, timeout: 10)
        let results = runNodes(collectives) { c -> [Float] in
            var values = Self.partial(c.node)
            try values.withUnsafeMutableBufferPointer { try c.allReduce($0, among: 0..<nodes) }
            return values
        }
        let sums = try results.map { try $0.get() }
        let expected = Self.expected(0..<nodes, encoding)
        for sum in sums { #expect(sum == expected) }
    }

    @Test("groups without the root (hybrid stages) reduce through it, and non-members pass nil", arguments: [2..<4, 1..<4, 2..<5])
    func groupWithoutRoot(group: Range<Int>) throws {
        let collectives = LoopbackCollective.make(nodes: 5, encoding: .f16, timeout: 10)
        let results = runNodes(collectives) { c -> [Float]? in
            guard group.contains(c.node) else {
                try c.allReduce(nil, among: group)
                return nil
            }
            var values = Self.partial(c.node)
            try values.withUnsafeMutableBufferPointer { try c.allReduce($0, among: group) }
            return values
        }
        let expected = Self.expected(group, .f16)
        for (node, result) in results.enumerated() {
            let sum = try result.get()
            #expect(group.contains(node) ? sum == expected : sum == nil)
        }
    }

    @Test("hand-off: the first node of one stage reaches every node of the next, relayed by the root", arguments: [(0..<2, 2..<4), (1..<2, 2..<3), (2..<4, 0..<2), (1..<3, 3..<5)])
    func handOff(from: Range<Int>, to: Range<Int>) throws {
        let collectives = LoopbackCollective.make(nodes: 5, encoding: .f32, timeout: 10)
        let sent = Self.partial(from.lowerBound)
        let results = runNodes(collectives) { c -> [Float]? in
            let takesPart = c.node == from.lowerBound || to.contains(c.node)
            var values = c.node == from.lowerBound ? sent : [Float](repeating: -1, count: sent.count)
            try values.withUnsafeMutableBufferPointer { try c.handOff(takesPart ? $0 : nil, from: from, to: to) }
            return to.contains(c.node) ? values : nil
        }
        for (node, result) in results.enumerated() {
            let received = try result.get()
            #expect(to.contains(node) ? received == sent : received == nil)
        }
    }

    @Test("gather: the root gets every sender's piece in node order")
    func gather() throws {
        let collectives = LoopbackCollective.make(nodes: 4, encoding: .f16, timeout: 10)
        let results = runNodes(collectives) { c -> [[UInt8]] in
            let piece = [UInt8](repeating: UInt8(c.node), count: c.node + 1)
            var received: [[UInt8]] = []
            try piece.withUnsafeBytes { raw in
                try c.gather(c.node >= 1 ? raw : nil, from: 1..<4) { sender, bytes in
                    #expect(sender == received.count + 1)
                    received.append(Array(bytes))
                }
            }
            return received
        }
        #expect(try results[0].get() == [[1, 1], [2, 2, 2], [3, 3, 3, 3]])
        for result in results.dropFirst() { #expect(try result.get().isEmpty) }
    }

    /// A worker that fails mid-step reports it; the root abandons the step on every node, and
    /// the next step runs clean: nothing of the abandoned one is left in any link.
    @Test("a failed step is abandoned everywhere and the next one works")
    func abortAndRecover() throws {
        let collectives = LoopbackCollective.make(nodes: 3, encoding: .f32, timeout: 10)
        struct Boom: Error {}
        let results = runNodes(collectives) { c -> [Float] in
            var values = Self.partial(c.node)
            if c.node == 0 {
                try c.broadcastStep([1])
                do {
                    try values.withUnsafeMutableBufferPointer { try c.allReduce($0, among: 0..<3) }
                    Issue.record("the step should have failed")
                } catch TransportError.remoteError(let peer, let message) {
                    #expect(peer == "worker 2" && message.contains("node 2 failed"))
                    c.abort("node 2 failed")
                }
                values = Self.partial(0)
                try c.broadcastStep([2])
                try values.withUnsafeMutableBufferPointer { try c.allReduce($0, among: 0..<3) }
                _ = c.finish(timeout: 5)
                return values
            }
            while let step = try c.receiveStep() {
                values = Self.partial(c.node)
                do {
                    if step == [1] && c.node == 2 { throw Boom() }
                    try values.withUnsafeMutableBufferPointer { try c.allReduce($0, among: 0..<3) }
                } catch TransportError.aborted {
                    continue
                } catch is Boom {
                    c.abort("node 2 failed")
                }
            }
            try c.report([])
            return values
        }
        let expected = Self.expected(0..<3, .f32)
        for result in results { #expect(try result.get() == expected) }
    }

    @Test("a worker that vanishes is named, and later operations fail at once")
    func vanished() throws {
        let collectives = LoopbackCollective.make(nodes: 2, encoding: .f16, timeout: 10)
        collectives[1].links[0]!.close()
        var values = Self.partial(0)
        #expect(throws: TransportError.connectionClosed(peer: "worker 1")) {
            try values.withUnsafeMutableBufferPointer { try collectives[0].allReduce($0, among: 0..<2) }
        }
        #expect(collectives[0].failedNodes == [1])
        #expect(throws: TransportError.connectionClosed(peer: "worker 1")) { try collectives[0].broadcastStep([1]) }
    }
}

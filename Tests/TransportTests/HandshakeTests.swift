import Foundation
import Testing
@testable import Transport

@Suite("session handshake and authentication")
struct HandshakeTests {
    let info = NodeInfo(fingerprint: "abc123", threads: 2, ramBudget: 1 << 30, hostName: "node2", software: "test")

    /// Runs the root's and the worker's side of a handshake over an in-memory link.
    func handshake(root rootSecret: String?, worker workerSecret: String?) -> (root: Result<NodeInfo, Error>, worker: Result<Void, Error>) {
        let (rootLink, workerLink) = linkPair()
        let workerResult = ResultBox<Void>(count: 1)
        let done = DispatchSemaphore(value: 0)
        let info = self.info
        Thread {
            let result = Result { try Handshake.worker(workerLink, secret: workerSecret.map { Array($0.utf8) }, info: info, timeout: 5) }
            if case .failure = result { workerLink.close() }
            workerResult.results[0] = result
            done.signal()
        }.start()
        let rootResult = Result { try Handshake.root(rootLink, secret: rootSecret.map { Array($0.utf8) }, timeout: 5) }
        if case .failure = rootResult { rootLink.close() }
        done.wait()
        return (rootResult, workerResult.results[0]!)
    }

    @Test("without secrets, and with the same secret on both sides, the worker's info arrives")
    func accepted() throws {
        for secret in [nil, "s3cret"] {
            let (root, worker) = handshake(root: secret, worker: secret)
            #expect(try root.get() == info)
            #expect(throws: Never.self) { try worker.get() }
        }
    }

    func message(_ result: Result<some Any, Error>) -> String {
        if case .failure(let error) = result { return "\(error)" }
        return "accepted"
    }

    @Test("a wrong secret is refused on both sides, each saying so")
    func wrongSecret() {
        let (root, worker) = handshake(root: "one", worker: "two")
        #expect(message(root).contains("wrong secret"))
        #expect(message(worker).contains("wrong secret"))
    }

    @Test("a secret on one side only is refused on both sides, saying which side lacks it")
    func missingSecret() {
        let (root, worker) = handshake(root: nil, worker: "two")
        #expect(message(root).contains("requires a secret"), "\(message(root))")
        #expect(message(worker).contains("sent no secret"), "\(message(worker))")
        let (root2, worker2) = handshake(root: "one", worker: nil)
        #expect(message(root2).contains("no secret set"), "\(message(root2))")
        #expect(message(worker2).contains("has none"), "\(message(worker2))")
    }

    @Test("a hello from another protocol version is refused with both versions")
    func versionMismatch() throws {
        let (rootLink, workerLink) = linkPair()
        var hello = WireWriter()
        hello.u32(Handshake.magic)
        hello.u16(99)
        hello.u16(0)
        hello.raw([UInt8](repeating: 1, count: 32))
        try rootLink.send(.hello, hello.bytes)
        #expect(throws: TransportError.versionMismatch(peer: "root", ours: Handshake.protocolVersion, theirs: 99)) {
            try Handshake.worker(workerLink, secret: nil, info: info, timeout: 1)
        }
        // The root hears why.
        let answer = try rootLink.receive(timeout: 1, waitingFor: "the refusal")
        #expect(answer.kind == .error && answer.text.contains("protocol version mismatch"))
    }

    @Test("setup round-trips, and its counts are checked")
    func setup() throws {
        let setup = SessionSetup(node: 2, nodeCount: 3, encoding: .f16, fingerprint: "ff", maxPayload: 1 << 20, timeout: 60, share: [1, 2, 3])
        let bytes = setup.encoded()
        #expect(try bytes.withUnsafeBytes { try SessionSetup(decoding: $0) } == setup)
        var bad = setup
        bad.node = 3
        #expect(throws: TransportError.self) { try bad.encoded().withUnsafeBytes { try SessionSetup(decoding: $0) } }
        #expect(throws: TransportError.self) { try Array(bytes.dropLast()).withUnsafeBytes { try SessionSetup(decoding: $0) } }
    }
}

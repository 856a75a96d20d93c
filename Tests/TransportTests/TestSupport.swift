import Foundation
import Transport

/// Runs `body` for every node on its own thread (collectives block, so each node needs one) and
/// returns each node's result or error, in node order.
func runNodes<T: Sendable>(_ collectives: [StarCollective], timeout: Double = 30,
                           _ body: @escaping @Sendable (StarCollective) throws -> T) -> [Result<T, Error>] {
    let box = ResultBox<T>(count: collectives.count)
    let lock = NSLock()
    let done = DispatchSemaphore(value: 0)
    for (i, collective) in collectives.enumerated() {
        Thread {
            let result = Result { try body(collective) }
            lock.lock()
            box.results[i] = result
            lock.unlock()
            done.signal()
        }.start()
    }
    for _ in collectives {
        if done.wait(timeout: .now() + timeout) == .timedOut { break }
    }
    lock.lock()
    defer { lock.unlock() }
    return box.results.map { $0 ?? .failure(TransportError.timedOut(peer: "test", seconds: timeout, waitingFor: "a node thread")) }
}

final class ResultBox<T>: @unchecked Sendable {
    var results: [Result<T, Error>?]
    init(count: Int) { results = Array(repeating: nil, count: count) }
}

/// Two ends of an in-memory connection as frame links.
func linkPair(maxPayload: Int = FrameLink.handshakeLimit) -> (FrameLink, FrameLink) {
    let (a, b) = MemoryStream.pair("root", "worker")
    return (FrameLink(stream: a, maxPayload: maxPayload), FrameLink(stream: b, maxPayload: maxPayload))
}

/// Deterministic test vectors: `0.1 + 2 cos(i + seed)` (ggml's test data), with an outlier.
func testVector(_ count: Int, seed: Int, outlier: Float? = nil) -> [Float] {
    var v = (0..<count).map { Float(0.1 + 2 * cos(Double($0 + seed))) }
    if let outlier { v[count / 3] = outlier }
    return v
}

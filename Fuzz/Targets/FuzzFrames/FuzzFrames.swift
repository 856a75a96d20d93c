// What a worker or root reads from a peer, from any bytes: frames (header, length limit, LZ4) and
// every message body decoded from them (session setup, node info, step, activations, status).
// Each is a value or a typed error; nothing is allocated past the negotiated payload limit.
import Foundation
@testable import Engine
@testable import Transport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let (peer, local) = MemoryStream.pair("fuzz peer", "fuzz node")
    try? peer.write(UnsafeRawBufferPointer(start: data, count: size))
    peer.close()
    // A session's limit after setup: large enough that a long input can carry a big frame.
    let link = FrameLink(stream: local, maxPayload: 4 << 20)
    var activations = [Float](repeating: 0, count: 576)
    while let frame = try? link.receive(timeout: 0, waitingFor: "a frame") {
        precondition(frame.payload.count <= link.maxPayload, "a payload past the limit")
        _ = try? SessionSetup(decoding: frame.payload)
        _ = try? NodeInfo(decoding: frame.payload)
        _ = try? NodeStatus(decoding: frame.payload, from: 1)
        _ = try? Step(decoding: Array(frame.payload))
        for encoding in ActivationEncoding.allCases {
            activations.withUnsafeMutableBufferPointer { output in
                _ = try? encoding.decode(frame.payload, into: output, peer: "fuzz peer")
            }
        }
        _ = frame.text
    }
    return 0
}

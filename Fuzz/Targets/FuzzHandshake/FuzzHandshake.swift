// Both sides of the hello / challenge / auth / node-info exchange against a peer that says any
// bytes: the first input byte picks the side and whether this node has a secret, the rest is what
// the peer sent. A session is opened only after a valid exchange; anything else is a typed error.
import Foundation
import Transport

let secret = Array("fuzz secret".utf8)
let info = NodeInfo(fingerprint: "fuzz", threads: 1, ramBudget: nil, hostName: "fuzz", software: "fuzz")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHandshake(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let (peer, local) = MemoryStream.pair("fuzz peer", "fuzz node")
    try? peer.write(UnsafeRawBufferPointer(start: data + 1, count: size - 1))
    let link = FrameLink(stream: local)
    let withSecret = data[0] & 2 != 0 ? secret : nil
    if data[0] & 1 == 0 {
        _ = try? Handshake.root(link, secret: withSecret, timeout: 0)
    } else {
        try? Handshake.worker(link, secret: withSecret, info: info, timeout: 0)
    }
    local.close()
    return 0
}

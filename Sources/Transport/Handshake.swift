import Crypto
import Foundation

/// What a worker tells the root about itself once authenticated.
public struct NodeInfo: Sendable, Equatable {
    /// The fingerprint of the worker's model file (`ModelFingerprint`).
    public var fingerprint: String
    public var threads: Int
    /// The worker's `--max-ram`, if set.
    public var ramBudget: Int?
    /// The worker's host name, for messages.
    public var hostName: String
    /// The dllama release it runs.
    public var software: String

    public init(fingerprint: String, threads: Int, ramBudget: Int?, hostName: String, software: String) {
        self.fingerprint = fingerprint
        self.threads = threads
        self.ramBudget = ramBudget
        self.hostName = hostName
        self.software = software
    }

    func encoded() -> [UInt8] {
        var w = WireWriter()
        w.string(fingerprint)
        w.u32(UInt32(clamping: threads))
        w.u64(UInt64(ramBudget ?? 0))
        w.string(hostName)
        w.string(software)
        return w.bytes
    }

    init(decoding bytes: UnsafeRawBufferPointer) throws {
        var r = WireReader(bytes, message: "node info")
        fingerprint = try r.string("fingerprint", limit: 256)
        threads = Int(try r.u32("threads"))
        let ram = try r.u64("RAM budget")
        ramBudget = ram == 0 || ram > UInt64(Int.max) ? nil : Int(ram)
        hostName = try r.string("host name", limit: 256)
        software = try r.string("software", limit: 256)
        try r.finish()
    }
}

/// What the root tells a worker to do: which node it is and its share of the model.
public struct SessionSetup: Sendable, Equatable {
    public var node: Int
    public var nodeCount: Int
    public var encoding: ActivationEncoding
    /// The root's model fingerprint; the worker refuses a different one.
    public var fingerprint: String
    /// The largest frame payload either side will send from now on.
    public var maxPayload: Int
    /// Longest wait inside a step, seconds (0: none).
    public var timeout: Double
    /// The plan and options, encoded by the engine (opaque here).
    public var share: [UInt8]

    public init(node: Int, nodeCount: Int, encoding: ActivationEncoding, fingerprint: String, maxPayload: Int,
                timeout: Double, share: [UInt8]) {
        self.node = node
        self.nodeCount = nodeCount
        self.encoding = encoding
        self.fingerprint = fingerprint
        self.maxPayload = maxPayload
        self.timeout = timeout
        self.share = share
    }

    public func encoded() -> [UInt8] {
        var w = WireWriter()
        w.u32(UInt32(node))
        w.u32(UInt32(nodeCount))
        w.u8(encoding.code)
        w.string(fingerprint)
        w.u64(UInt64(maxPayload))
        w.f64(timeout)
        w.blob(share)
        return w.bytes
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws {
        var r = WireReader(bytes, message: "setup")
        node = Int(try r.u32("node"))
        nodeCount = Int(try r.u32("node count"))
        guard node >= 1, node < nodeCount, nodeCount <= 4096 else {
            throw TransportError.malformed(message: "setup", reason: "node \(node) of \(nodeCount)")
        }
        let code = try r.u8("encoding")
        guard let encoding = ActivationEncoding(code: code) else {
            throw TransportError.malformed(message: "setup", reason: "unknown activation encoding \(code)")
        }
        self.encoding = encoding
        fingerprint = try r.string("fingerprint", limit: 256)
        let limit = try r.u64("maximum payload")
        guard limit >= UInt64(FrameLink.handshakeLimit), limit <= 1 << 31 else {
            throw TransportError.malformed(message: "setup", reason: "maximum payload \(limit)")
        }
        maxPayload = Int(limit)
        timeout = try r.f64("timeout")
        guard timeout.isFinite, timeout >= 0 else { throw TransportError.malformed(message: "setup", reason: "timeout \(timeout)") }
        share = try r.blob("share", limit: FrameLink.handshakeLimit)
        try r.finish()
    }
}

/// The opening of a session: protocol version, then an HMAC-SHA256 challenge-response in both
/// directions when a secret is set, before any other message.
///
///     root -> worker  hello:     magic, version, root authenticates?, nonce R
///     worker -> root  challenge: version, worker requires a secret?, nonce W, HMAC(secret, "worker" R W)
///     root -> worker  auth:      HMAC(secret, "root" W R)
///     worker -> root  node info
///
/// Each side proves it knows the secret without sending it; a missing or wrong secret on either
/// side ends the session with a message that says which.
public enum Handshake {
    /// 2: the plan in `setup` carries `kvCacheType` (a version-1 worker would ignore it and keep
    /// an F32 cache while the root planned F16). docs/protocol.md lists the versions.
    public static let protocolVersion = 2
    static let magic: UInt32 = 0x414D_4C44  // "DLMA"
    static let nonceBytes = 32

    /// Root side: opens the session on `link` and returns what the worker says about itself.
    public static func root(_ link: FrameLink, secret: [UInt8]?, timeout: Double) throws -> NodeInfo {
        let rootNonce = randomBytes(nonceBytes)
        var hello = WireWriter()
        hello.u32(magic)
        hello.u16(UInt16(protocolVersion))
        hello.u16(secret == nil ? 0 : 1)
        hello.raw(rootNonce)
        try link.send(.hello, hello.bytes)

        let frame = try link.receive(.challenge, timeout: timeout, waitingFor: "the worker's answer to hello")
        var r = WireReader(frame.payload, message: "challenge")
        let version = Int(try r.u16("version"))
        let workerRequires = try r.u16("flags") & 1 == 1
        let workerNonce = try r.raw(nonceBytes, "nonce")
        let workerProof = try r.blob("proof", limit: 64)
        try r.finish()
        guard version == protocolVersion else {
            link.sendError("protocol version mismatch: the root speaks \(protocolVersion), this worker \(version)")
            throw TransportError.versionMismatch(peer: link.peer, ours: protocolVersion, theirs: version)
        }
        guard let secret else {
            // A worker that requires a secret refuses in its challenge's place; here it did not.
            return try NodeInfo(decoding: try link.receive(.nodeInfo, timeout: timeout).payload)
        }
        guard workerRequires else {
            link.sendError("the root uses a secret but this worker has none: start it with the same --secret or DLLAMA_SECRET")
            throw TransportError.authentication(peer: link.peer, reason: "the worker has no secret set: start it with the same --secret or DLLAMA_SECRET as the root")
        }
        let key = SymmetricKey(data: secret)
        guard HMAC<SHA256>.isValidAuthenticationCode(workerProof, authenticating: Array("worker".utf8) + rootNonce + workerNonce, using: key) else {
            link.sendError("wrong secret: the root's --secret differs from this worker's")
            throw TransportError.authentication(peer: link.peer, reason: "wrong secret: the worker's --secret differs from the root's")
        }
        let proof = Array(HMAC<SHA256>.authenticationCode(for: Array("root".utf8) + workerNonce + rootNonce, using: key))
        try link.send(.auth, proof)
        return try NodeInfo(decoding: try link.receive(.nodeInfo, timeout: timeout).payload)
    }

    /// Worker side: answers a root's hello on `link`; returns once the root is authenticated (and
    /// `info` sent), or throws after telling the root why not.
    public static func worker(_ link: FrameLink, secret: [UInt8]?, info: NodeInfo, timeout: Double) throws {
        let frame = try link.receive(.hello, timeout: timeout, waitingFor: "hello")
        var r = WireReader(frame.payload, message: "hello")
        guard try r.u32("magic") == magic else {
            throw TransportError.malformed(message: "hello", reason: "wrong magic: not a dllama root")
        }
        let version = Int(try r.u16("version"))
        let rootAuthenticates = try r.u16("flags") & 1 == 1
        let rootNonce = try r.raw(nonceBytes, "nonce")
        try r.finish()
        guard version == protocolVersion else {
            link.sendError("protocol version mismatch: this worker speaks \(protocolVersion), the root \(version): run the same dllama release on every node")
            throw TransportError.versionMismatch(peer: link.peer, ours: protocolVersion, theirs: version)
        }
        if secret != nil && !rootAuthenticates {
            link.sendError("this worker requires a secret: start the root with the same --secret or DLLAMA_SECRET")
            throw TransportError.authentication(peer: link.peer, reason: "the root sent no secret, and this worker requires one")
        }
        let workerNonce = randomBytes(nonceBytes)
        var challenge = WireWriter()
        challenge.u16(UInt16(protocolVersion))
        challenge.u16(secret == nil ? 0 : 1)
        challenge.raw(workerNonce)
        let key = secret.map { SymmetricKey(data: $0) }
        if let key, rootAuthenticates {
            challenge.blob(Array(HMAC<SHA256>.authenticationCode(for: Array("worker".utf8) + rootNonce + workerNonce, using: key)))
        } else {
            challenge.blob([])
        }
        try link.send(.challenge, challenge.bytes)
        if let key {
            let auth = try link.receive(.auth, timeout: timeout, waitingFor: "the root's proof of the secret")
            guard HMAC<SHA256>.isValidAuthenticationCode(Array(auth.payload), authenticating: Array("root".utf8) + workerNonce + rootNonce, using: key) else {
                link.sendError("wrong secret: this worker's --secret differs from the root's")
                throw TransportError.authentication(peer: link.peer, reason: "wrong secret: the root's --secret differs from this worker's")
            }
        } else if rootAuthenticates {
            // The root refuses a worker without a secret; wait for its word and pass it on.
            let answer = try link.receive(timeout: timeout, waitingFor: "the root's answer")
            throw TransportError.authentication(peer: link.peer, reason: answer.kind == .error ? answer.text
                                                : "the root uses a secret but this worker has none: start it with --secret or DLLAMA_SECRET")
        }
        try link.send(.nodeInfo, info.encoded())
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}

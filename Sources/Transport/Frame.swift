/// The unit of the dllama wire protocol: an 8-byte header, then the payload.
///
///     offset 0  u32  payload length (little-endian), at most the receiver's limit
///     offset 4  u8   message kind (`MessageKind`)
///     offset 5  u8   flags: bit 0 = payload is LZ4-compressed (then it starts with the u32
///                    uncompressed length); other bits must be 0
///     offset 6  u16  reserved, 0
///
/// A receiver checks the length against its limit before allocating anything, so no length field
/// can make a node allocate without bound; an unknown kind, flag or reserved value is an error.
public enum FrameHeader {
    public static let size = 8
    public static let compressedFlag: UInt8 = 1

    /// Writes a header for `payloadCount` bytes of `kind` at `destination` (8 bytes).
    static func write(kind: MessageKind, flags: UInt8, payloadCount: Int, to destination: UnsafeMutableRawPointer) {
        destination.storeBytes(of: UInt32(payloadCount).littleEndian, toByteOffset: 0, as: UInt32.self)
        destination.storeBytes(of: kind.rawValue, toByteOffset: 4, as: UInt8.self)
        destination.storeBytes(of: flags, toByteOffset: 5, as: UInt8.self)
        destination.storeBytes(of: 0, toByteOffset: 6, as: UInt16.self)
    }

    /// Reads and checks a header; `peer` and `limit` are for the error.
    static func read(_ source: UnsafeRawPointer, peer: String, limit: Int) throws -> (kind: MessageKind, flags: UInt8, payloadCount: Int) {
        let count = Int(UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
        let rawKind = source.load(fromByteOffset: 4, as: UInt8.self)
        let flags = source.load(fromByteOffset: 5, as: UInt8.self)
        let reserved = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
        guard let kind = MessageKind(rawValue: rawKind), flags & ~compressedFlag == 0, reserved == 0 else {
            throw TransportError.malformed(message: "frame header",
                                          reason: "\(peer) sent bytes that are not a dllama frame (kind \(rawKind), flags \(flags), reserved \(reserved))")
        }
        guard count <= limit else { throw TransportError.frameTooLarge(peer: peer, bytes: count, limit: limit) }
        return (kind, flags, count)
    }
}

/// What a frame carries.
public enum MessageKind: UInt8, Sendable, CustomStringConvertible {
    /// Root to worker, first: magic, protocol version, whether it authenticates, a nonce.
    case hello = 1
    /// Worker to root: its version, whether it requires a secret, its nonce and proof.
    case challenge = 2
    /// Root to worker: the root's proof of the secret.
    case auth = 3
    /// Worker to root: model fingerprint, threads, RAM budget.
    case nodeInfo = 4
    /// Root to worker: node index, node count, wire encoding, the root's fingerprint, the share.
    case setup = 5
    /// Worker to root: its share is loaded.
    case ready = 6
    /// Root to workers: the next step (opaque to Transport).
    case step = 7
    /// A vector of activations (partials, reduced sums, stage hand-offs), encoded.
    case activations = 8
    /// One node's part of a gather (logits or top candidates), raw.
    case piece = 9
    /// Either side: a failure, in words.
    case error = 10
    /// Root to worker: the session is over.
    case bye = 11
    /// Root to workers: abandon the step in progress.
    case abort = 12
    /// Worker to root, after `bye`: its closing report (opaque).
    case report = 13

    public var description: String {
        switch self {
        case .hello: "hello"
        case .challenge: "challenge"
        case .auth: "auth"
        case .nodeInfo: "node info"
        case .setup: "setup"
        case .ready: "ready"
        case .step: "step"
        case .activations: "activations"
        case .piece: "piece"
        case .error: "error"
        case .bye: "bye"
        case .abort: "abort"
        case .report: "report"
        }
    }
}

/// A received frame; `payload` (uncompressed) is valid until the link's next `receive`.
public struct Frame {
    public let kind: MessageKind
    public let payload: UnsafeRawBufferPointer
    /// Bytes this frame took on the wire, header included.
    public let wireBytes: Int
}

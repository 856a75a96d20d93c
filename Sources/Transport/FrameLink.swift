/// A byte stream frames travel over: a TCP socket (`SocketStream`) or an in-memory pipe
/// (`MemoryStream`). Blocking calls that wait without spinning.
public protocol ByteStream: AnyObject {
    /// Who is at the other end, as a user would name it (`10.0.0.2:9999`).
    var peer: String { get }
    /// Writes every byte or throws.
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Reads at least one byte into `buffer`, waiting at most `timeout` seconds (nil: as long as it
    /// takes). Returns 0 when the other side closed the stream; throws `timedOut` after `timeout`.
    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Double?, waitingFor: String) throws -> Int
    func close()
}

/// Bytes and frames one link has moved.
public struct LinkTraffic: Sendable, Equatable {
    public var sentBytes = 0
    public var receivedBytes = 0
    public var sentFrames = 0
    public var receivedFrames = 0
    /// Activation payload bytes before and after LZ4, for frames offered for compression.
    public var compressibleBytes = 0
    public var compressedBytes = 0

    public init() {}

    public static func + (a: LinkTraffic, b: LinkTraffic) -> LinkTraffic {
        var sum = a
        sum.sentBytes += b.sentBytes
        sum.receivedBytes += b.receivedBytes
        sum.sentFrames += b.sentFrames
        sum.receivedFrames += b.receivedFrames
        sum.compressibleBytes += b.compressibleBytes
        sum.compressedBytes += b.compressedBytes
        return sum
    }
}

/// When a link tries LZ4 on the frames offered to it (activations).
public enum CompressionPolicy: Sendable {
    /// Every frame: for measuring what LZ4 gets.
    case always
    /// Every frame until 8 in a row do not shrink, then none for the next 256 (and so on):
    /// activations that do not compress cost no LZ4 time after the first few.
    case adaptive
    case never
}

/// Frames over a byte stream: builds outgoing frames (LZ4 when asked and when it pays), parses
/// incoming ones with the length checked against `maxPayload` before any allocation, and counts
/// the traffic. A link moves between threads but one thread uses it at a time (the node's), which
/// is why it is `@unchecked Sendable`.
public final class FrameLink: @unchecked Sendable {  // unchecked: used by one thread at a time (above)
    public let stream: ByteStream
    /// The largest payload this side accepts (uncompressed and on the wire).
    public var maxPayload: Int
    public private(set) var traffic = LinkTraffic()
    /// How messages name the other side: the stream's address unless set (`worker 2 (10.0.0.3:9999)`).
    public var peer: String

    private var outgoing: UnsafeMutableRawBufferPointer
    private var incoming: UnsafeMutableRawBufferPointer
    private var inflated: UnsafeMutableRawBufferPointer
    private var readStart = 0, readEnd = 0
    /// When frames offered for compression go through LZ4.
    public var compression = CompressionPolicy.adaptive
    private var compressionMisses = 0, framesToSkip = 0

    /// Before setup a peer is unknown: 64 KiB is plenty for every handshake message.
    public static let handshakeLimit = 64 << 10

    public init(stream: ByteStream, maxPayload: Int = FrameLink.handshakeLimit) {
        self.stream = stream
        self.maxPayload = maxPayload
        peer = stream.peer
        outgoing = .allocate(byteCount: 4096, alignment: 16)
        incoming = .allocate(byteCount: 4096, alignment: 16)
        inflated = .allocate(byteCount: 0, alignment: 16)
    }

    deinit {
        outgoing.deallocate()
        incoming.deallocate()
        inflated.deallocate()
    }

    public func close() { stream.close() }

    /// Sends `payload` as one frame of `kind`; `compress` offers it to LZ4, which is used only
    /// when the result is smaller.
    public func send(_ kind: MessageKind, _ payload: UnsafeRawBufferPointer, compress: Bool = false) throws {
        let attempt = compress && payload.count >= 64 && compression != .never && (framesToSkip == 0 || compression == .always)
        if compress && framesToSkip > 0 { framesToSkip -= 1 }
        let needed = FrameHeader.size + max(payload.count, attempt ? 4 + LZ4Codec.bound(payload.count) : 0)
        ensure(&outgoing, needed, keeping: 0)
        var flags: UInt8 = 0, count = payload.count
        if attempt, let packed = LZ4Codec.compress(payload, into: UnsafeMutableRawBufferPointer(
            rebasing: outgoing[(FrameHeader.size + 4)...])), packed + 4 < payload.count {
            outgoing.storeBytes(of: UInt32(payload.count).littleEndian, toByteOffset: FrameHeader.size, as: UInt32.self)
            flags = FrameHeader.compressedFlag
            count = packed + 4
            compressionMisses = 0
        } else {
            if let base = payload.baseAddress, !payload.isEmpty {
                (outgoing.baseAddress! + FrameHeader.size).copyMemory(from: base, byteCount: payload.count)
            }
            if attempt {
                compressionMisses += 1
                if compressionMisses >= 8 { framesToSkip = 256; compressionMisses = 0 }
            }
        }
        if compress {
            traffic.compressibleBytes += payload.count
            traffic.compressedBytes += count
        }
        FrameHeader.write(kind: kind, flags: flags, payloadCount: count, to: outgoing.baseAddress!)
        try stream.write(UnsafeRawBufferPointer(rebasing: outgoing[0..<(FrameHeader.size + count)]))
        traffic.sentBytes += FrameHeader.size + count
        traffic.sentFrames += 1
    }

    public func send(_ kind: MessageKind, _ payload: [UInt8] = []) throws {
        try payload.withUnsafeBytes { try send(kind, $0) }
    }

    /// The next frame, waiting at most `timeout` seconds (nil: as long as it takes). `waitingFor`
    /// names what is awaited, for the timeout's message.
    public func receive(timeout: Double?, waitingFor: String) throws -> Frame {
        // The previous frame's bytes are no longer needed: move what follows them to the front.
        if readStart > 0 {
            let pending = readEnd - readStart
            if pending > 0 { incoming.baseAddress!.copyMemory(from: incoming.baseAddress! + readStart, byteCount: pending) }
            readStart = 0
            readEnd = pending
        }
        try fill(FrameHeader.size, timeout: timeout, waitingFor: waitingFor)
        let header = try FrameHeader.read(incoming.baseAddress!, peer: peer, limit: maxPayload + 4)
        try fill(FrameHeader.size + header.payloadCount, timeout: timeout, waitingFor: waitingFor)
        let body = UnsafeRawBufferPointer(rebasing: incoming[FrameHeader.size..<(FrameHeader.size + header.payloadCount)])
        readStart = FrameHeader.size + header.payloadCount
        traffic.receivedBytes += readStart
        traffic.receivedFrames += 1
        guard header.flags & FrameHeader.compressedFlag != 0 else {
            guard header.payloadCount <= maxPayload else { throw TransportError.frameTooLarge(peer: peer, bytes: header.payloadCount, limit: maxPayload) }
            return Frame(kind: header.kind, payload: body, wireBytes: readStart)
        }
        guard body.count >= 4 else { throw TransportError.malformed(message: "compressed \(header.kind)", reason: "no length") }
        let original = Int(UInt32(littleEndian: body.loadUnaligned(as: UInt32.self)))
        guard original <= maxPayload else { throw TransportError.frameTooLarge(peer: peer, bytes: original, limit: maxPayload) }
        ensure(&inflated, original, keeping: 0)
        do {
            try LZ4Codec.decompress(UnsafeRawBufferPointer(rebasing: body[4...]),
                                    into: UnsafeMutableRawBufferPointer(rebasing: inflated[0..<original]))
        } catch {
            throw TransportError.malformed(message: "compressed \(header.kind)", reason: "\(peer) sent LZ4 data that does not decode to \(original) bytes")
        }
        return Frame(kind: header.kind, payload: UnsafeRawBufferPointer(rebasing: inflated[0..<original]), wireBytes: readStart)
    }

    /// Reads until `incoming` holds at least `count` bytes.
    private func fill(_ count: Int, timeout: Double?, waitingFor: String) throws {
        ensure(&incoming, count, keeping: readEnd)
        while readEnd < count {
            let got = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: incoming[readEnd...]),
                                      timeout: timeout, waitingFor: waitingFor)
            guard got > 0 else { throw TransportError.connectionClosed(peer: peer) }
            readEnd += got
        }
    }

    /// Grows `buffer` to at least `count` bytes, keeping its first `keeping` bytes.
    private func ensure(_ buffer: inout UnsafeMutableRawBufferPointer, _ count: Int, keeping: Int) {
        guard buffer.count < count else { return }
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, buffer.count * 2), alignment: 16)
        if keeping > 0 { grown.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: keeping) }
        buffer.deallocate()
        buffer = grown
    }
}

extension Frame {
    /// The payload as text (for `error` frames), made printable.
    public var text: String { printable(String(decoding: payload, as: UTF8.self)) }
}

extension FrameLink {
    /// The next frame, which must be `kind`: an `error` frame becomes `remoteError`, anything
    /// else `unexpectedMessage`.
    public func receive(_ kind: MessageKind, timeout: Double?, waitingFor: String? = nil) throws -> Frame {
        let frame = try receive(timeout: timeout, waitingFor: waitingFor ?? "\(kind)")
        if frame.kind == kind { return frame }
        if frame.kind == .error { throw TransportError.remoteError(peer: peer, message: frame.text) }
        throw TransportError.unexpectedMessage(peer: peer, expected: "\(kind)", got: "\(frame.kind)")
    }

    /// Sends an `error` frame with `message`, ignoring failures: the link is usually closed next.
    public func sendError(_ message: String) {
        try? send(.error, Array(message.utf8.prefix(1024)))
    }
}

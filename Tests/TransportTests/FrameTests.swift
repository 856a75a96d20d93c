import Foundation
import Testing
@testable import Transport

@Suite("frames over a byte stream")
struct FrameTests {
    @Test("frames of every size arrive whole, in order, with their kind")
    func roundTrip() throws {
        let (a, b) = linkPair(maxPayload: 1 << 20)
        let payloads: [[UInt8]] = [[], [1], Array(repeating: 7, count: 70_000), (0..<5000).map { UInt8($0 % 251) }]
        for p in payloads { try a.send(.piece, p) }
        for p in payloads {
            let frame = try b.receive(.piece, timeout: 1)
            #expect(Array(frame.payload) == p)
        }
        #expect(a.traffic.sentFrames == 4 && b.traffic.receivedFrames == 4)
        #expect(a.traffic.sentBytes == b.traffic.receivedBytes)
        #expect(a.traffic.sentBytes == payloads.reduce(0) { $0 + $1.count + FrameHeader.size })
    }

    @Test("a compressible activation frame is sent LZ4-compressed and arrives as it was sent")
    func compression() throws {
        let (a, b) = linkPair(maxPayload: 1 << 20)
        let zeros = [UInt8](repeating: 0, count: 8192)
        try zeros.withUnsafeBytes { try a.send(.activations, $0, compress: true) }
        let frame = try b.receive(.activations, timeout: 1)
        #expect(Array(frame.payload) == zeros)
        #expect(frame.wireBytes < 200)
        #expect(a.traffic.compressedBytes < a.traffic.compressibleBytes / 20)
        // Noise does not compress: it goes raw, never larger than itself plus the header.
        var state: UInt32 = 12345
        let noise: [UInt8] = (0..<4096).map { _ in state = state &* 1_103_515_245 &+ 12345; return UInt8(state >> 24) }
        try noise.withUnsafeBytes { try a.send(.activations, $0, compress: true) }
        let raw = try b.receive(.activations, timeout: 1)
        #expect(Array(raw.payload) == noise)
        #expect(raw.wireBytes == noise.count + FrameHeader.size)
    }

    /// Writes `bytes` raw into the stream and returns what the receiving link makes of them.
    func receiveRaw(_ bytes: [UInt8], limit: Int = 1024) -> Error? {
        let (a, b) = MemoryStream.pair("sender", "receiver")
        let receiver = FrameLink(stream: b, maxPayload: limit)
        try? bytes.withUnsafeBytes { try a.write($0) }
        a.close()
        do {
            _ = try receiver.receive(timeout: 1, waitingFor: "a frame")
            return nil
        } catch {
            return error
        }
    }

    @Test("a length beyond the limit is refused before anything is allocated")
    func hugeLength() {
        // 0xFFFFFFF0 bytes announced: refused on the header alone.
        let error = receiveRaw([0xF0, 0xFF, 0xFF, 0xFF, MessageKind.piece.rawValue, 0, 0, 0])
        #expect(error as? TransportError == .frameTooLarge(peer: "sender", bytes: 0xFFFF_FFF0, limit: 1028))
        // A compressed frame announcing a huge original size: refused too.
        var header: [UInt8] = [8, 0, 0, 0, MessageKind.activations.rawValue, FrameHeader.compressedFlag, 0, 0]
        header += [0, 0, 0, 0x40, 1, 2, 3, 4]
        #expect(error != nil)
        if case .frameTooLarge = receiveRaw(header) as? TransportError {} else { Issue.record("compressed size not checked") }
    }

    @Test("garbage, unknown kinds, flags and truncation are errors, never traps")
    func garbage() {
        let http = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        #expect(receiveRaw(http) != nil)
        #expect(receiveRaw([4, 0, 0, 0, 200, 0, 0, 0, 1, 2, 3, 4]) != nil)          // unknown kind
        #expect(receiveRaw([4, 0, 0, 0, 8, 0x80, 0, 0, 1, 2, 3, 4]) != nil)         // unknown flag
        #expect(receiveRaw([4, 0, 0, 0, 8, 0, 0, 1, 1, 2, 3, 4]) != nil)            // reserved bits
        #expect(receiveRaw([40, 0, 0, 0, 8, 0, 0, 0, 1, 2]) as? TransportError == .connectionClosed(peer: "sender"))
        // LZ4 data that does not decode to the size it announces.
        #expect(receiveRaw([12, 0, 0, 0, 8, 1, 0, 0, 100, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]) != nil)
        var state: UInt64 = 99
        for length in [3, 8, 9, 31, 200] {
            let noise: [UInt8] = (0..<length).map { _ in state = state &* 6364136223846793005 &+ 1; return UInt8(state >> 56) }
            _ = receiveRaw(noise)  // whatever it is, it returns
        }
    }

    @Test("a silent peer times out, naming what was awaited")
    func timeout() {
        let (_, b) = linkPair()
        #expect(throws: TransportError.timedOut(peer: "root", seconds: 0.2, waitingFor: "hello")) {
            try b.receive(timeout: 0.2, waitingFor: "hello")
        }
    }

    @Test("an error frame arrives as the other side's words, made printable")
    func errorFrame() throws {
        let (a, b) = linkPair()
        a.sendError("model file mismatch\u{1B}[31m: fix it")
        #expect(throws: TransportError.remoteError(peer: "root", message: "model file mismatch?[31m: fix it")) {
            try b.receive(.ready, timeout: 1)
        }
    }

    @Test("message fields: every read is bounds-checked")
    func wireReader() throws {
        var w = WireWriter()
        w.u32(7)
        w.string("hello")
        let bytes = w.bytes
        try bytes.withUnsafeBytes { raw in
            var r = WireReader(raw, message: "test")
            #expect(try r.u32("number") == 7)
            #expect(try r.string("text") == "hello")
            try r.finish()
        }
        // A string claiming more bytes than there are.
        let lying: [UInt8] = [0xFF, 0xFF, 0xFF, 0x7F, 65]
        lying.withUnsafeBytes { raw in
            var r = WireReader(raw, message: "test")
            #expect(throws: TransportError.self) { try r.string("text", limit: .max) }
        }
    }
}

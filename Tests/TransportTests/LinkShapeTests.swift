import Foundation
import Testing
@testable import Transport

@Suite("link shapes and the benchmark-only shaper")
struct LinkShapeTests {
    @Test("RATE,LATENCY parses in every unit and prints back")
    func parsing() throws {
        #expect(try LinkShape(parsing: "1gbit,0.3ms") == LinkShape(bitsPerSecond: 1e9, latencySeconds: 0.0003))
        #expect(try LinkShape(parsing: "100mbit,1ms") == LinkShape(bitsPerSecond: 1e8, latencySeconds: 0.001))
        let spaced = try LinkShape(parsing: " 10Gbit , 50us ")
        #expect(spaced.bitsPerSecond == 1e10 && abs(spaced.latencySeconds - 5e-5) < 1e-15)
        #expect(try LinkShape(parsing: "512kbit,1s") == LinkShape(bitsPerSecond: 512_000, latencySeconds: 1))
        #expect(try LinkShape(parsing: "1gbit,0.3ms").description == "1gbit,0.3ms")
        #expect(try LinkShape(parsing: "10gbit,50us").description == "10gbit,50us")
        #expect(LinkShape(bitsPerSecond: 1e9, latencySeconds: 0).transmissionSeconds(125_000) == 0.001)
    }

    @Test("anything else is refused with the expected form", arguments: ["", "1gbit", "fast,1ms", "1gbit,1", "0gbit,1ms", "1gbit,-1ms", "1gbit,1ms,2"])
    func refused(text: String) {
        #expect(throws: LinkShapeError.self) { try LinkShape(parsing: text) }
        #expect(LinkShapeError(text: text).description.contains("such as 1gbit,0.3ms"))
    }

    @Test("a shaped stream delivers every write, in order, and closes the stream under it")
    func delivery() throws {
        let (a, b) = MemoryStream.pair("a", "b")
        let shaped = ShapedStream(a, shape: LinkShape(bitsPerSecond: 1e9, latencySeconds: 0.0005))
        let writes = (0..<50).map { i in [UInt8](repeating: UInt8(i), count: 1 + i * 37) }
        for bytes in writes { try bytes.withUnsafeBytes { try shaped.write($0) } }
        shaped.close()
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let got = try buffer.withUnsafeMutableBytes { try b.read(into: $0, timeout: 5, waitingFor: "shaped bytes") }
            if got == 0 { break }
            received += buffer[0..<got]
        }
        #expect(received == writes.flatMap { $0 })
        #expect(throws: TransportError.self) { try [1].withUnsafeBytes { try shaped.write($0) } }
    }

    @Test("writes through one card leave one after another at the link's rate")
    func serialization() {
        let card = NetworkCard()
        let first = card.transmit(seconds: 0.01)
        let second = card.transmit(seconds: 0.01)
        #expect(second - first == 10_000_000)
    }
}

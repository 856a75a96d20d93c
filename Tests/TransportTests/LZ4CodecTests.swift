import Testing
import Transport

@Suite("LZ4 codec")
struct LZ4CodecTests {
    @Test("round trip of compressible and incompressible data")
    func roundTrip() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let noise: [UInt8] = (0..<4096).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
        let zeros = [UInt8](repeating: 0, count: 4096)
        for input in [noise, zeros, [], [42]] {
            let packed = try input.withUnsafeBytes { try LZ4Codec.compress($0) }
            let unpacked = try packed.withUnsafeBytes { try LZ4Codec.decompress($0, originalCount: input.count) }
            #expect(unpacked == input)
        }
        let packedZeros = try zeros.withUnsafeBytes { try LZ4Codec.compress($0) }
        #expect(packedZeros.count < 64)
    }

    @Test("corrupt or mis-sized input is rejected")
    func corrupt() throws {
        let input = [UInt8](repeating: 7, count: 1000)
        let packed = try input.withUnsafeBytes { try LZ4Codec.compress($0) }
        #expect(throws: LZ4CodecError.self) { try packed.withUnsafeBytes { try LZ4Codec.decompress($0, originalCount: 999) } }
        let garbage: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x00]
        #expect(throws: LZ4CodecError.self) { try garbage.withUnsafeBytes { try LZ4Codec.decompress($0, originalCount: 1000) } }
    }
}

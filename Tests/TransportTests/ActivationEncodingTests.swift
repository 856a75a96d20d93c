import Testing
import Transport

@Suite("activation encodings")
struct ActivationEncodingTests {
    func roundTrip(_ encoding: ActivationEncoding, _ values: [Float]) throws -> [Float] {
        var bytes = [UInt8](repeating: 0, count: encoding.byteCount(values.count))
        values.withUnsafeBufferPointer { v in bytes.withUnsafeMutableBytes { encoding.encode(v, into: $0) } }
        var back = [Float](repeating: 0, count: values.count)
        try bytes.withUnsafeBytes { raw in try back.withUnsafeMutableBufferPointer { try encoding.decode(raw, into: $0, peer: "test") } }
        return back
    }

    /// Q80: half a step of the block's scale, plus the scale's own f16 rounding (up to 127 steps
    /// times 2^-11 of a step).
    @Test("f32 is exact, f16 within 2^-11 relative, q80 within 0.57 of its block's step")
    func precision() throws {
        let values = testVector(576, seed: 3)
        #expect(try roundTrip(.f32, values) == values)
        for (a, b) in zip(values, try roundTrip(.f16, values)) { #expect(abs(a - b) <= abs(a) / 2048 + 1e-7) }
        let q = try roundTrip(.q80, values)
        for block in 0..<(576 / 32) {
            let slice = values[(block * 32)..<((block + 1) * 32)]
            let step = slice.map(abs).max()! / 127
            for i in slice.indices { #expect(abs(values[i] - q[i]) <= step * 0.57) }
        }
        #expect(ActivationEncoding.q80.byteCount(576) == 612)
        #expect(ActivationEncoding.f16.byteCount(576) == 1152)
    }

    /// Why f16 is our default: one outlier (SmolLM2's residual stream has them near 650) flattens
    /// its Q80 block, while f16 keeps every value to its own relative precision.
    @Test("an outlier costs q80 its block's small values; f16 keeps them")
    func outlier() throws {
        let values = testVector(64, seed: 1, outlier: 650)
        let q = try roundTrip(.q80, values), h = try roundTrip(.f16, values)
        let small = values.indices.filter { $0 < 32 && $0 != 64 / 3 }
        let q80Error = small.map { abs(values[$0] - q[$0]) }.max()!
        let f16Error = small.map { abs(values[$0] - h[$0]) }.max()!
        #expect(q80Error > 1)
        #expect(f16Error < 0.002)
    }

    @Test("a payload of the wrong size is refused with both sizes")
    func wrongSize() {
        let bytes = [UInt8](repeating: 0, count: 100)
        var out = [Float](repeating: 0, count: 64)
        #expect(throws: TransportError.payloadSize(peer: "node 2", what: "f16 activations for 64 values", expected: 128, got: 100)) {
            try bytes.withUnsafeBytes { raw in try out.withUnsafeMutableBufferPointer { try ActivationEncoding.f16.decode(raw, into: $0, peer: "node 2") } }
        }
    }
}

import Testing
@testable import QuantKernels

/// How far a quantize / dequantize round trip and a quantized dot product may stray from floats.
@Suite("Quantization error bounds")
struct QuantizationErrorTests {
    @Test("round-trip RMSE on cos data stays under each type's bound",
          arguments: [(BlockType.q40, 0.12), (.q41, 0.08), (.q80, 0.005), (.f16, 0.0005), (.bf16, 0.004)])
    func roundTrip(type: BlockType, bound: Double) {
        let x = cosData(4096, offset: 0.25)  // values in -1.9...2.1
        let back = dequantized(quantized(x, type), type, count: x.count)
        let error = rmse(x, back)
        #expect(error < bound, "\(type) RMSE \(error)")
        #expect(error > 0 || type == .f32, "\(type) round trip lost nothing: the test data is too easy")
    }

    @Test("every Q40 / Q80 value is within half a step of the input")
    func perValueBound() {
        let x = cosData(32 * 33, offset: 1.1)
        for (type, steps) in [(BlockType.q40, 8.0), (.q80, 127.0)] {
            let back = dequantized(quantized(x, type), type, count: x.count)
            for b in 0..<33 {
                let block = x[(b * 32)..<(b * 32 + 32)]
                let step = Double(block.map { abs($0) }.max()!) / steps
                for i in block.indices {
                    // half a step, plus the half-float rounding of d (relative 2^-11) over 8 or 127 steps
                    #expect(abs(Double(back[i] - x[i])) <= step * 0.5 + step * steps * 0x1p-11 + 1e-6, "\(type) value \(i)")
                }
            }
        }
    }

    @Test("all-zero blocks quantize to d = 0 and come back as zeros", arguments: [BlockType.q40, .q41, .q80])
    func zeros(type: BlockType) {
        let back = dequantized(quantized([Float](repeating: 0, count: 64), type), type, count: 64)
        #expect(back.allSatisfy { $0 == 0 })
    }

    @Test("quantized dot products stay near the float dot product", arguments: [(BlockType.q40, 0.02), (.q41, 0.015), (.q80, 0.002)])
    func dotAccuracy(weights: BlockType, bound: Double) {
        let n = 32 * 17
        let w = cosData(n, offset: 0.4), x = cosData(n, offset: 3.3)
        let exact = zip(w, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let magnitude = zip(w, x).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        let kernels = KernelTable.current
        let dot = kernels.dot(weights: weights)!(Int32(n), quantized(w, weights), quantized(x, .q80, kernels: kernels))
        // ggml's test-quantize-fns bound is 0.02 per value for 4-bit dots; we use it relative to sum |w x|.
        #expect(abs(Double(dot) - exact) / magnitude < bound, "\(weights): \(dot) vs \(exact)")
    }

    @Test("half-float conversion rounds to nearest even and keeps infinities and NaN")
    func halfConversion() {
        let cases: [(Float, UInt16)] = [(0, 0), (1, 0x3C00), (-2, 0xC000), (65504, 0x7BFF), (65520, 0x7C00),
                                        (1.0 + 0x1p-11, 0x3C00), (1.0 + 3 * 0x1p-11, 0x3C02), (0x1p-24, 0x0001),
                                        (0x1p-25, 0), (.infinity, 0x7C00)]
        for (value, bits) in cases {
            #expect(quantized([value], .f16) == [UInt8(bits & 0xFF), UInt8(bits >> 8)], "\(value)")
            #expect(dequantized([UInt8(bits & 0xFF), UInt8(bits >> 8)], .f16, count: 1)[0] == Float(Float16(bitPattern: bits)))
        }
        #expect(dequantized(quantized([.nan], .f16), .f16, count: 1)[0].isNaN)
    }
}

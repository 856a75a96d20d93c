import Testing
@testable import QuantKernels

/// What the quantizers make of NaN, infinities and extreme finite values: a block holding a NaN
/// or an infinity gets a NaN scale (Q41: and minimum) and quant bytes 0, on every path, so that
/// everything computed from it is NaN; blocks around it are untouched; extreme finite blocks
/// convert no float to an integer out of range (the C conversion would be undefined behaviour).
@Suite("Quantizers on NaN, infinite and extreme input")
struct NonFiniteInputTests {
    static let halfNaN: UInt16 = 0x7E00

    /// Four blocks: finite, then one holding `special` at `position`, then finite again, twice.
    static func row(_ special: Float, at position: Int) -> [Float] {
        var x = cosData(4 * 32, offset: 0.4)
        x[32 + position] = special
        return x
    }

    static let specials: [Float] = [.nan, -.nan, .infinity, -.infinity, Float(bitPattern: 0x7FA0_0001)]  // last: a signalling NaN
    static let positions = [0, 1, 7, 8, 15, 16, 31]

    /// The bytes of block `b` of a row of `type`.
    static func block(_ q: [UInt8], _ type: BlockType, _ b: Int) -> ArraySlice<UInt8> {
        let size = type.rowBytes(32)
        return q[(b * size)..<((b + 1) * size)]
    }

    static func half(_ bytes: ArraySlice<UInt8>, at offset: Int) -> UInt16 {
        UInt16(bytes[bytes.startIndex + offset]) | UInt16(bytes[bytes.startIndex + offset + 1]) << 8
    }

    @Test("Q80 (every path), Q40, Q41: a non-finite value makes its block NaN, its neighbours unchanged",
          arguments: [BlockType.q80, .q40, .q41])
    func nonFiniteBlocks(type: BlockType) {
        let paths: [KernelPath] = type == .q80 ? [.scalar] + simdPaths : [.scalar]
        let clean = quantized(cosData(4 * 32, offset: 0.4), type)
        for path in paths {
            let kernels = KernelTable(path: path)
            for special in Self.specials {
                for position in Self.positions {
                    let q = quantized(Self.row(special, at: position), type, kernels: kernels)
                    let context = "\(type) on \(path), \(special) at \(position)"
                    let bad = Self.block(q, type, 1)
                    #expect(Self.half(bad, at: 0) == Self.halfNaN, "\(context): scale")
                    let quantStart = type == .q41 ? 4 : 2
                    if type == .q41 { #expect(Self.half(bad, at: 2) == Self.halfNaN, "\(context): minimum") }
                    #expect(bad.dropFirst(quantStart).allSatisfy { $0 == 0 }, "\(context): quants")
                    for b in [0, 2, 3] { #expect(Self.block(q, type, b) == Self.block(clean, type, b), "\(context): block \(b)") }
                    let values = dequantized(q, type, count: 4 * 32)
                    #expect(values[32..<64].allSatisfy { $0.isNaN }, "\(context): values")
                }
            }
        }
    }

    @Test("a dot product over a NaN block is NaN on every path", arguments: [KernelPath.scalar] + simdPaths)
    func dotIsNaN(path: KernelPath) {
        let kernels = KernelTable(path: path)
        let x = quantized(Self.row(.infinity, at: 5), .q80, kernels: kernels)
        for weights in [BlockType.q40, .q41, .q80] {
            let w = quantized(cosData(4 * 32, offset: 1.1), weights)
            #expect(kernels.dot(weights: weights)!(4 * 32, w, x).isNaN, "\(weights) x Q80 on \(path)")
        }
    }

    @Test("extreme finite blocks: the same bytes on every path, quants in range", arguments: simdPaths)
    func extremeFinite(path: KernelPath) {
        let kernels = KernelTable(path: path)
        let rows: [[Float]] = [
            [Float](repeating: .greatestFiniteMagnitude, count: 32),                          // scale overflows half
            (0..<32).map { $0 % 2 == 0 ? .greatestFiniteMagnitude : -.greatestFiniteMagnitude },
            (0..<32).map { Float($0) * 1e-44 },                                               // 1/d overflows
            (0..<32).map { $0 == 3 ? .leastNonzeroMagnitude : 0 },
            [Float](repeating: 0, count: 32),
            [Float](repeating: -0.0, count: 32),
        ]
        for x in rows {
            let reference = quantized(x, .q80)
            #expect(quantized(x, .q80, kernels: kernels) == reference, "\(x.prefix(2)) on \(path)")
            #expect(reference.dropFirst(2).allSatisfy { Int8(bitPattern: $0) != -128 })
        }
    }

    @Test("extreme finite blocks through Q40 and Q41: no NaN scale, quants in range")
    func extremeFiniteQ4() {
        let wide: [Float] = (0..<32).map { $0 % 2 == 0 ? .greatestFiniteMagnitude : -.greatestFiniteMagnitude }
        let tiny: [Float] = (0..<32).map { Float($0) * 1e-44 }
        for x in [wide, tiny] {
            for type in [BlockType.q40, .q41] {
                let q = quantized(x, type)
                #expect(Self.half(q[...], at: 0) != Self.halfNaN, "\(type)")
            }
        }
        // Q41 over [-max, max]: the scale overflows to infinity, so every quant is 0 (id 0).
        let q41 = quantized(wide, .q41)
        #expect(q41.dropFirst(4).allSatisfy { $0 == 0 })
    }

    @Test("F16: NaN stays a quiet NaN with its sign and top payload bits, infinities stay infinite, on every path",
          arguments: [KernelPath.scalar] + simdPaths)
    func f16(path: KernelPath) {
        let kernels = KernelTable(path: path)
        let x: [Float] = [.nan, -.nan, .infinity, -.infinity, Float(bitPattern: 0x7FA0_0001), Float(bitPattern: 0xFFC0_2000),
                          1e9, -1e9, 65520, 1, 2, 3, 4, 5, 6, 7]
        let q = quantized(x, .f16, kernels: kernels)
        let h = (0..<x.count).map { Self.half(q[...], at: 2 * $0) }
        #expect(Array(h.prefix(8)) == [0x7E00, 0xFE00, 0x7C00, 0xFC00, 0x7F00, 0xFE01, 0x7C00, 0xFC00])
        #expect(q == quantized(x, .f16))
    }
}

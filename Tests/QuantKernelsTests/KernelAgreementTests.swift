import Testing
@testable import QuantKernels

/// Every SIMD path this machine can run, forced, against the scalar reference on ggml's
/// `0.1 + 2 cos(i + offset)` data over odd numbers of blocks.
@Suite("SIMD kernels agree with the scalar reference")
struct KernelAgreementTests {
    /// Dot products may differ only by float summation order: relative to sum |x_i y_i|.
    static let dotTolerance = 1e-5

    @Test("SIMD paths exist on x86-64 with AVX2 (this suite is not vacuous)")
    func pathsPresent() {
        #if arch(x86_64)
        if CPUFeatures.detected.contains([.avx2, .fma, .f16c]) { #expect(simdPaths.contains(.avx2)) }
        #endif
        #if arch(arm64)
        #expect(simdPaths.contains(.neon))
        #endif
    }

    @Test("quantized dot products", arguments: simdPaths, [BlockType.q40, .q41, .q80])
    func quantizedDots(path: KernelPath, weights: BlockType) throws {
        let simd = KernelTable(path: path)
        for blocks in oddBlockCounts {
            let n = blocks * 32
            let w = quantized(cosData(n, offset: 0.5), weights)
            let x = quantized(cosData(n, offset: 1.7), .q80)
            let reference = scalarKernels.dot(weights: weights)!(Int32(n), w, x)
            let fast = simd.dot(weights: weights)!(Int32(n), w, x)
            let scale = zip(dequantized(w, weights, count: n), dequantized(x, .q80, count: n))
                .reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
            #expect(abs(Double(fast - reference)) <= Self.dotTolerance * scale, "\(weights) x Q80, \(blocks) blocks on \(path)")
        }
    }

    @Test("float dot products over odd lengths", arguments: simdPaths, [BlockType.f32, .f16])
    func floatDots(path: KernelPath, weights: BlockType) {
        let simd = KernelTable(path: path)
        for n in [1, 3, 7, 17, 31, 33, 100, 4097] {
            let w = quantized(cosData(n, offset: 0.3), weights)  // f32 / f16 bytes
            let x = cosData(n, offset: 2.1)
            let (reference, fast) = x.withUnsafeBytes { xb in
                (scalarKernels.dot(weights: weights)!(Int32(n), w, xb.baseAddress),
                 simd.dot(weights: weights)!(Int32(n), w, xb.baseAddress))
            }
            let scale = zip(dequantized(w, weights, count: n), x).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
            #expect(abs(Double(fast - reference)) <= Self.dotTolerance * scale, "\(weights) x F32, n \(n) on \(path)")
        }
    }

    @Test("activation quantization to Q80 is byte-identical", arguments: simdPaths)
    func quantizeQ80(path: KernelPath) {
        for blocks in oddBlockCounts {
            let x = cosData(blocks * 32, offset: Float(blocks))
            #expect(quantized(x, .q80, kernels: KernelTable(path: path)) == quantized(x, .q80), "\(blocks) blocks on \(path)")
        }
    }

    @Test("Q40 and Q41 dequantization is bit-identical", arguments: simdPaths, [BlockType.q40, .q41])
    func dequantize(path: KernelPath, type: BlockType) {
        for blocks in oddBlockCounts {
            let q = quantized(cosData(blocks * 32, offset: 0.9), type)
            let fast = dequantized(q, type, count: blocks * 32, kernels: KernelTable(path: path))
            #expect(bitPattern(fast) == bitPattern(dequantized(q, type, count: blocks * 32)), "\(type), \(blocks) blocks on \(path)")
        }
    }
}

import CQuantKernels
import Foundation
import Testing
@testable import QuantKernels

@Suite("Element-wise operations")
struct ElementwiseTests {
    @Test("RMSNorm divides by the root mean square and scales by the weight")
    func rmsNorm() {
        let x: [Float] = [1, -2, 3, -4], weight: [Float] = [1, 0.5, 2, 1]
        var out = [Float](repeating: 0, count: 4)
        x.withUnsafeBufferPointer { xb in
            weight.withUnsafeBufferPointer { wb in
                out.withUnsafeMutableBufferPointer { Elementwise.rmsNorm(xb, weight: wb, epsilon: 1e-5, into: $0) }
            }
        }
        let rms = (Float(1 + 4 + 9 + 16) / 4 + 1e-5).squareRoot()  // sqrt(7.5 + eps)
        for i in 0..<4 { #expect(abs(out[i] - x[i] / rms * weight[i]) < 1e-6) }
    }

    @Test("softmax is positive, sums to one, and survives large inputs")
    func softmax() {
        var x: [Float] = [1000, 1001, 999, -50]
        x.withUnsafeMutableBufferPointer { Elementwise.softmax($0) }
        #expect(abs(x.reduce(0, +) - 1) < 1e-6)
        let e = [exp(-1.0), 1.0, exp(-2.0)], total = e.reduce(0, +) + exp(-1051.0)
        for i in 0..<3 { #expect(abs(Double(x[i]) - e[i] / total) < 1e-6) }
    }

    @Test("SiLU and GELU (tanh form) at known points")
    func activations() {
        var s: [Float] = [0, 1, -1, 5], g: [Float] = [0, 1, -1, 3]
        s.withUnsafeMutableBufferPointer { Elementwise.silu($0) }
        g.withUnsafeMutableBufferPointer { Elementwise.gelu($0) }
        let silu: [Float] = [0, 0.731_058_6, -0.268_941_4, 4.966_536]
        let gelu: [Float] = [0, 0.841_192, -0.158_808, 2.996_363]
        for i in 0..<4 { #expect(abs(s[i] - silu[i]) < 1e-5 && abs(g[i] - gelu[i]) < 1e-5, "\(i)") }
    }

    @Test("multiply and add are element-wise")
    func multiplyAdd() {
        var x: [Float] = [1, 2, 3]
        let y: [Float] = [4, 5, 6]
        y.withUnsafeBufferPointer { yb in
            x.withUnsafeMutableBufferPointer { Elementwise.multiply($0, by: yb) }
            #expect(x == [4, 10, 18])
            x.withUnsafeMutableBufferPointer { Elementwise.add($0, yb) }
        }
        #expect(x == [8, 15, 24])
    }

    @Test("argmax finds what the one-by-one loop finds: the first of equal maxima, never a NaN unless it comes first")
    func argmax() {
        func loop(_ x: [Float]) -> Int {
            var best = 0
            for i in x.indices.dropFirst() where x[i] > x[best] { best = i }
            return best
        }
        var generator = SystemRandomNumberGenerator()
        for count in Array(0...40) + [49_152, 49_157] {
            for trial in 0..<6 {
                // Few distinct values, so that maxima repeat; trials 2... put NaNs and infinities about.
                var x = (0..<count).map { _ in Float(Int.random(in: -4...4, using: &generator)) }
                if trial >= 2, count > 0 {
                    for _ in 0..<3 { x[Int.random(in: 0..<count, using: &generator)] = .nan }
                }
                if trial == 3, count > 1 { x[count - 1] = .infinity }
                if trial == 4, count > 0 { x[0] = .nan }
                if trial == 5 { x = x.map { _ in -Float.infinity } }
                let found = x.withUnsafeBufferPointer { Elementwise.argmax($0) }
                #expect(found == (count == 0 ? 0 : loop(x)), "\(count) values, trial \(trial)")
            }
        }
    }

    @Test("RoPE at position 0 is the identity and rotations keep each pair's length",
          arguments: [RoPE.Layout.adjacentPairs, .neox])
    func ropeBasics(layout: RoPE.Layout) {
        let rope = RoPE(headDimension: 8, theta: 10_000, layout: layout)
        var x = cosData(16), y = x
        x.withUnsafeMutableBufferPointer { rope.apply(to: $0, heads: 2, position: 0) }
        #expect(x == y)
        y.withUnsafeMutableBufferPointer { rope.apply(to: $0, heads: 2, position: 7) }
        let pairs = layout == .adjacentPairs ? [(0, 1), (2, 3), (4, 5), (6, 7)] : [(0, 4), (1, 5), (2, 6), (3, 7)]
        for h in 0..<2 { for (a, b) in pairs {
            let before = x[8 * h + a] * x[8 * h + a] + x[8 * h + b] * x[8 * h + b]
            let after = y[8 * h + a] * y[8 * h + a] + y[8 * h + b] * y[8 * h + b]
            #expect(abs(before - after) < 1e-5)
        } }
    }

    @Test("adjacent-pair RoPE on Meta-permuted rows equals NeoX RoPE on Hugging Face rows")
    func ropeLayoutsAgree() {
        let d = 16, position = 11
        let hf = cosData(d, offset: 0.6)
        // Meta layout interleaves the two halves: meta[2i] = hf[i], meta[2i+1] = hf[i + d/2].
        var meta = [Float](repeating: 0, count: d)
        for i in 0..<d / 2 { meta[2 * i] = hf[i]; meta[2 * i + 1] = hf[i + d / 2] }
        var neox = hf
        neox.withUnsafeMutableBufferPointer { RoPE(headDimension: d, theta: 500_000, layout: .neox).apply(to: $0, heads: 1, position: position) }
        meta.withUnsafeMutableBufferPointer { RoPE(headDimension: d, theta: 500_000, layout: .adjacentPairs).apply(to: $0, heads: 1, position: position) }
        for i in 0..<d / 2 { #expect(abs(meta[2 * i] - neox[i]) < 1e-5 && abs(meta[2 * i + 1] - neox[i + d / 2]) < 1e-5) }
    }

    @Test("Llama 3.1 scaling keeps high frequencies, divides low ones by the factor, blends between")
    func llama31Scaling() {
        let plain = RoPE(headDimension: 128, theta: 500_000, layout: .adjacentPairs)
        let scaled = RoPE(headDimension: 128, theta: 500_000, layout: .adjacentPairs, scaling: .llama31)
        #expect(scaled.frequencies[0] == plain.frequencies[0])                    // wavelength 2 pi < 2048
        #expect(abs(scaled.frequencies[63] - plain.frequencies[63] / 8) < 1e-15)  // wavelength > 8192
        // pair 30: wavelength 2 pi * 500000^(60/128) = 3.0e3, between 2048 and 8192: smooth blend
        let f = plain.frequencies[30], wavelength = 2 * Double.pi / f
        #expect(wavelength > 2048 && wavelength < 8192)
        let smooth = (8192 / wavelength - 1) / 3
        #expect(abs(scaled.frequencies[30] - ((1 - smooth) * f / 8 + smooth * f)) < 1e-12)
    }
}

@Suite("RoPE frequency divisors")
struct RoPEFrequencyDivisorTests {
    /// A GGUF `rope_freqs` tensor holding Llama 3.1's factors gives the same rotation as the
    /// scaling computed from the header values (factor 8, low 1, high 4, original context 8192).
    @Test("divisors equal to Llama 3.1's factors reproduce its scaling")
    func llama31() {
        let plain = RoPE(headDimension: 128, theta: 500_000, layout: .adjacentPairs)
        let scaled = RoPE(headDimension: 128, theta: 500_000, layout: .adjacentPairs, scaling: .llama31)
        let divisors = zip(plain.frequencies, scaled.frequencies).map { Float($0 / $1) }
        let fromTensor = RoPE(headDimension: 128, theta: 500_000, layout: .adjacentPairs, frequencyDivisors: divisors)
        for (a, b) in zip(fromTensor.frequencies, scaled.frequencies) { #expect(abs(a - b) <= 1e-6 * abs(b)) }
        #expect(divisors.first == 1 && divisors.last == 8)
    }

    @Test("SwiGLU and softmax kernels agree with the libm reference, keep NaN and survive the extremes", arguments: simdPaths)
    func vectorExponentials(path: KernelPath) {
        let simd = KernelTable(path: path)
        for (n, scale) in [(1, Float(1)), (7, 3), (8, 10), (1003, 30), (1536, 60)] {  // tails, whole vectors, wide ranges
            let gate = (0..<n).map { scale * sin(Float($0) * 0.7 + 0.3) }, up = cosData(n, offset: 0.9)
            var reference = gate, fast = gate
            qk_swiglu_f32_ref(Int32(n), &reference, up)
            simd.swiGLU(Int32(n), &fast, up)
            for i in 0..<n {
                #expect(abs(fast[i] - reference[i]) <= 1e-6 * abs(reference[i]) + 1e-30, "SwiGLU \(i) of \(n) on \(path): \(fast[i]) vs \(reference[i])")
            }
            var weights = gate, fastWeights = gate
            qk_softmax_f32_ref(Int32(n), &weights)
            simd.softmax(Int32(n), &fastWeights)
            for i in 0..<n {
                #expect(abs(fastWeights[i] - weights[i]) <= 4e-6 * weights[i] + 1e-30, "softmax \(i) of \(n) on \(path): \(fastWeights[i]) vs \(weights[i])")
            }
        }
        var extremes: [Float] = [.nan, -1e30, 1e30, -100, 100, 0, 89, -89], ones = [Float](repeating: 1, count: 8)
        simd.swiGLU(8, &extremes, &ones)
        #expect(extremes[0].isNaN)
        #expect(extremes[1] == 0 && extremes[2] == 1e30 && extremes[3] == 0 && extremes[4] == 100 && extremes[5] == 0)
        #expect(abs(extremes[6] - 89) < 1e-5 && abs(extremes[7]) < 1e-30)
    }
}

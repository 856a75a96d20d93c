import Foundation

/// The element-wise operations of a transformer layer, on float buffers, in place where they can be.
///
/// ```swift
/// Elementwise.rmsNorm(x, weight: attnNorm, epsilon: 1e-5, into: xb)   // xb = x / rms(x) * w
/// Elementwise.silu(hb); Elementwise.multiply(hb, by: hb2)               // SwiGLU
/// Elementwise.softmax(scores)
/// ```
public enum Elementwise {
    /// The first index of the largest value (a later equal one does not win), as the scalar loop
    /// `if x[i] > x[best] { best = i }` finds it: a NaN never wins, and a NaN first value wins
    /// outright; 0 when `x` is empty. Eight lanes at a time, each remembering where it met its
    /// maximum: a greedy token's 49,152 logits took 21 us one by one, about 0.6 % of the token.
    public static func argmax(_ x: UnsafeBufferPointer<Float>) -> Int {
        guard let base = x.baseAddress, x.count > 1, !x[0].isNaN else { return 0 }
        typealias Lanes = SIMD8<Float>
        let raw = UnsafeRawPointer(base), wide = x.count / Lanes.scalarCount * Lanes.scalarCount
        // Each lane's largest value so far and where it first met it (x[0] for all at the start).
        var lanes = Lanes(repeating: x[0]), found = SIMD8<Int32>(repeating: 0), index = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
        for i in stride(from: 0, to: wide, by: Lanes.scalarCount) {
            let v = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Float>.stride, as: Lanes.self)
            let larger = v .> lanes  // a NaN compares false: never taken
            lanes.replace(with: v, where: larger)
            found.replace(with: index, where: larger)
            index &+= SIMD8(repeating: Int32(Lanes.scalarCount))
        }
        var maximum = lanes.max(), best = Int.max
        for lane in 0..<Lanes.scalarCount where lanes[lane] == maximum { best = min(best, Int(found[lane])) }
        for i in wide..<x.count where x[i] > maximum { (maximum, best) = (x[i], i) }
        return best
    }

    /// `out[i] = x[i] * weight[i] / sqrt(mean(x^2) + epsilon)`; `out` may be `x`.
    public static func rmsNorm(_ x: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>, epsilon: Float,
                               into out: UnsafeMutableBufferPointer<Float>) {
        precondition(weight.count == x.count && out.count == x.count)
        // Eight running sums: one sum's chain of dependent adds took half a microsecond for 576
        // values, twice a layer. (Multiply, then add: a fused `addProduct` compiles to a libm call
        // per lane on baseline x86-64.)
        typealias Lanes = SIMD8<Float>
        let wide = x.count / Lanes.scalarCount * Lanes.scalarCount
        var lanes = Lanes()
        if let base = x.baseAddress {
            for i in stride(from: 0, to: wide, by: Lanes.scalarCount) {
                let v = UnsafeRawPointer(base).loadUnaligned(fromByteOffset: i * MemoryLayout<Float>.stride, as: Lanes.self)
                lanes += v * v
            }
        }
        var sumOfSquares = lanes.sum()
        for i in wide..<x.count { sumOfSquares += x[i] * x[i] }
        let scale = 1 / (sumOfSquares / Float(x.count) + epsilon).squareRoot()
        for i in 0..<x.count { out[i] = x[i] * scale * weight[i] }
    }

    /// Numerically stable softmax in place: `x[i] = exp(x[i] - max) / sum`.
    public static func softmax(_ x: UnsafeMutableBufferPointer<Float>) {
        guard let maximum = x.max() else { return }
        var sum: Float = 0
        for i in 0..<x.count { x[i] = exp(x[i] - maximum); sum += x[i] }
        let inverse = 1 / sum
        for i in 0..<x.count { x[i] *= inverse }
    }

    /// SiLU in place: `x / (1 + exp(-x))`.
    public static func silu(_ x: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<x.count { x[i] = x[i] / (1 + exp(-x[i])) }
    }

    /// GELU in place, the tanh approximation GPT-2 and Gemma use:
    /// `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
    public static func gelu(_ x: UnsafeMutableBufferPointer<Float>) {
        let c: Float = 0.797_884_560_8  // sqrt(2 / pi)
        for i in 0..<x.count {
            let v = x[i]
            x[i] = 0.5 * v * (1 + tanh(c * (v + 0.044715 * v * v * v)))
        }
    }

    /// `x[i] *= y[i]`.
    public static func multiply(_ x: UnsafeMutableBufferPointer<Float>, by y: UnsafeBufferPointer<Float>) {
        precondition(x.count == y.count)
        for i in 0..<x.count { x[i] *= y[i] }
    }

    /// `x[i] += y[i]` (the residual connection).
    public static func add(_ x: UnsafeMutableBufferPointer<Float>, _ y: UnsafeBufferPointer<Float>) {
        precondition(x.count == y.count)
        for i in 0..<x.count { x[i] += y[i] }
    }
}

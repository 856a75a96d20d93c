import Foundation

/// The element-wise operations of a transformer layer, on float buffers, in place where they can be.
///
/// ```swift
/// Elementwise.rmsNorm(x, weight: attnNorm, epsilon: 1e-5, into: xb)   // xb = x / rms(x) * w
/// Elementwise.silu(hb); Elementwise.multiply(hb, by: hb2)               // SwiGLU
/// Elementwise.softmax(scores)
/// ```
public enum Elementwise {
    /// `out[i] = x[i] * weight[i] / sqrt(mean(x^2) + epsilon)`; `out` may be `x`.
    public static func rmsNorm(_ x: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>, epsilon: Float,
                               into out: UnsafeMutableBufferPointer<Float>) {
        precondition(weight.count == x.count && out.count == x.count)
        var sumOfSquares: Float = 0
        for v in x { sumOfSquares += v * v }
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

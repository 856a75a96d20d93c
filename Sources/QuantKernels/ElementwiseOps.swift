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

/// Rotary position embedding for one layout and frequency schedule, with frequencies precomputed.
///
/// ```swift
/// let rope = RoPE(headDimension: 64, theta: 10_000, layout: .adjacentPairs)
/// rope.apply(to: q, heads: nHeads, position: pos)   // q: [nHeads][64]
/// ```
public struct RoPE: Sendable {
    /// Which elements of a head rotate together.
    public enum Layout: Sendable {
        /// `(x[2i], x[2i+1])`: Llama weights permuted to Meta's layout (distributed-llama, llama GGUFs).
        case adjacentPairs
        /// `(x[i], x[i + headDim/2])`: Falcon / GPT-NeoX, Qwen2, Qwen3 (the Hugging Face layout).
        case neox
    }

    /// Llama 3.1's frequency scaling (`rope_scaling` with `rope_type: llama3`).
    public struct Llama31Scaling: Sendable {
        public var factor: Float, lowFrequencyFactor: Float, highFrequencyFactor: Float, originalContextLength: Float
        public init(factor: Float, lowFrequencyFactor: Float, highFrequencyFactor: Float, originalContextLength: Float) {
            (self.factor, self.lowFrequencyFactor, self.highFrequencyFactor, self.originalContextLength) =
                (factor, lowFrequencyFactor, highFrequencyFactor, originalContextLength)
        }
        /// Llama 3.1's published values: factor 8, low 1, high 4, original context 8192.
        public static let llama31 = Llama31Scaling(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalContextLength: 8192)

        /// The scaled frequency: high frequencies kept, low ones divided by `factor`, a smooth blend between.
        func scale(_ frequency: Double) -> Double {
            let wavelength = 2 * Double.pi / frequency
            let lowWavelength = Double(originalContextLength / lowFrequencyFactor)
            let highWavelength = Double(originalContextLength / highFrequencyFactor)
            if wavelength < highWavelength { return frequency }
            if wavelength > lowWavelength { return frequency / Double(factor) }
            let smooth = (Double(originalContextLength) / wavelength - Double(lowFrequencyFactor))
                / Double(highFrequencyFactor - lowFrequencyFactor)
            return (1 - smooth) * frequency / Double(factor) + smooth * frequency
        }
    }

    public let headDimension: Int
    public let layout: Layout
    /// Rotation frequency of pair i: theta^(-2i / headDimension), scaled if asked.
    public let frequencies: [Double]  // [headDimension / 2]

    public init(headDimension: Int, theta: Float, layout: Layout, scaling: Llama31Scaling? = nil) {
        precondition(headDimension % 2 == 0, "RoPE needs an even head dimension")
        self.headDimension = headDimension
        self.layout = layout
        frequencies = (0..<headDimension / 2).map { i in
            let frequency = 1 / pow(Double(theta), Double(2 * i) / Double(headDimension))
            return scaling?.scale(frequency) ?? frequency
        }
    }

    /// Rotates every head of `x` (`[heads][headDimension]`) for `position`.
    public func apply(to x: UnsafeMutableBufferPointer<Float>, heads: Int, position: Int) {
        precondition(x.count >= heads * headDimension)
        let half = headDimension / 2
        for (i, frequency) in frequencies.enumerated() {
            let angle = Double(position) * frequency
            let (c, s) = (Float(cos(angle)), Float(sin(angle)))
            let (first, second) = layout == .adjacentPairs ? (2 * i, 2 * i + 1) : (i, i + half)
            for h in 0..<heads {
                let a = h * headDimension + first, b = h * headDimension + second
                let (x0, x1) = (x[a], x[b])
                x[a] = x0 * c - x1 * s
                x[b] = x0 * s + x1 * c
            }
        }
    }
}

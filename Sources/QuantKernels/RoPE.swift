import Foundation

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
    public private(set) var frequencies: [Double]  // [headDimension / 2]

    public init(headDimension: Int, theta: Float, layout: Layout, scaling: Llama31Scaling? = nil) {
        precondition(headDimension % 2 == 0, "RoPE needs an even head dimension")
        self.headDimension = headDimension
        self.layout = layout
        frequencies = (0..<headDimension / 2).map { i in
            let frequency = 1 / pow(Double(theta), Double(2 * i) / Double(headDimension))
            return scaling?.scale(frequency) ?? frequency
        }
    }

    /// RoPE whose pair frequencies are divided by `frequencyDivisors` (`[headDimension / 2]`): how
    /// llama.cpp's converter stores Llama 3.1 scaling in GGUF files (the `rope_freqs` tensor).
    public init(headDimension: Int, theta: Float, layout: Layout, frequencyDivisors: [Float]) {
        precondition(frequencyDivisors.count == headDimension / 2, "rope_freqs needs headDimension / 2 values")
        self.init(headDimension: headDimension, theta: theta, layout: layout)
        frequencies = zip(frequencies, frequencyDivisors).map { $0 / Double($1) }
    }

    /// Rotates every head of `x` (`[heads][headDimension]`) for `position`.
    public func apply(to x: UnsafeMutableBufferPointer<Float>, heads: Int, position: Int) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: headDimension) { rotations in
            self.rotations(position: position, into: rotations)
            apply(to: x, heads: heads, rotations: UnsafeBufferPointer(rotations))
        }
    }

    /// The cosine and sine of every pair's angle at `position`, into `out` (`[headDimension / 2][2]`):
    /// a token's queries and keys rotate by the same angles in every layer, so a caller computes
    /// them once per token.
    public func rotations(position: Int, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= headDimension)
        for (i, frequency) in frequencies.enumerated() {
            let angle = Double(position) * frequency
            out[2 * i] = Float(cos(angle))
            out[2 * i + 1] = Float(sin(angle))
        }
    }

    /// Rotates every head of `x` (`[heads][headDimension]`) by `rotations` from `rotations(position:into:)`.
    public func apply(to x: UnsafeMutableBufferPointer<Float>, heads: Int, rotations: UnsafeBufferPointer<Float>) {
        precondition(x.count >= heads * headDimension && rotations.count >= headDimension)
        let half = headDimension / 2
        for i in 0..<half {
            let (c, s) = (rotations[2 * i], rotations[2 * i + 1])
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

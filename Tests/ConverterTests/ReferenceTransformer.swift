import Foundation

/// An independent float forward pass over a `TinyCheckpoint`'s weights exactly as Hugging Face
/// `transformers` computes Llama, Qwen3 and Qwen3-MoE: q/k in the stored (unpermuted) row order
/// with rotate-half RoPE (Llama 3.1 frequency scaling when configured), grouped-query attention,
/// SwiGLU, top-k routing with renormalized weights. Accumulates in Double.
///
/// The converter permutes Llama's q/k rows for the engine's adjacent-pair RoPE; agreement of the
/// engine on the converted file with this reference on the original weights checks that the
/// permutation, the tensor mapping and the header are right.
final class ReferenceTransformer {
    let c: TinyCheckpoint
    private var keys: [[[Double]]]    // [layer][position][kvDim]
    private var values: [[[Double]]]
    private let frequencies: [Double] // [headDim / 2]

    init(_ checkpoint: TinyCheckpoint) {
        c = checkpoint
        keys = Array(repeating: [], count: checkpoint.layers)
        values = Array(repeating: [], count: checkpoint.layers)
        let hd = Double(checkpoint.headDim)
        frequencies = (0..<checkpoint.headDim / 2).map { i in
            let f = 1 / pow(checkpoint.ropeTheta, 2 * Double(i) / hd)
            guard let (factor, low, high, original) = checkpoint.llama3Scaling else { return f }
            // transformers' _compute_llama3_parameters
            let wavelength = 2 * Double.pi / f
            let lowWavelength = Double(original) / low, highWavelength = Double(original) / high
            if wavelength < highWavelength { return f }
            if wavelength > lowWavelength { return f / factor }
            let smooth = (Double(original) / wavelength - low) / (high - low)
            return (1 - smooth) * f / factor + smooth * f
        }
    }

    private func w(_ name: String) -> TestTensor { c.tensor(name) }

    private func matvec(_ name: String, _ x: [Double]) -> [Double] {
        let t = w(name)
        let columns = t.shape[1]
        return t.values.withUnsafeBufferPointer { m in
            x.withUnsafeBufferPointer { x in
                (0..<t.shape[0]).map { r in
                    var sum = 0.0
                    for j in 0..<columns { sum += Double(m[r * columns + j]) * x[j] }
                    return sum
                }
            }
        }
    }

    private func rmsNorm(_ x: [Double], _ weight: [Float]) -> [Double] {
        let mean = x.reduce(0) { $0 + $1 * $1 } / Double(x.count)
        let scale = 1 / (mean + c.epsilon).squareRoot()
        return x.indices.map { x[$0] * scale * Double(weight[$0]) }
    }

    /// Rotate-half RoPE of every head of `v` at `position`.
    private func rope(_ v: [Double], position: Int) -> [Double] {
        var out = v
        let half = c.headDim / 2
        for base in stride(from: 0, to: v.count, by: c.headDim) {
            for i in 0..<half {
                let angle = Double(position) * frequencies[i]
                let x1 = v[base + i], x2 = v[base + i + half]
                out[base + i] = x1 * cos(angle) - x2 * sin(angle)
                out[base + i + half] = x2 * cos(angle) + x1 * sin(angle)
            }
        }
        return out
    }

    private func silu(_ x: Double) -> Double { x / (1 + exp(-x)) }

    private func feedForward(_ prefix: String, _ h: [Double]) -> [Double] {
        let gate = matvec(prefix + "gate_proj.weight", h), up = matvec(prefix + "up_proj.weight", h)
        return matvec(prefix + "down_proj.weight", gate.indices.map { silu(gate[$0]) * up[$0] })
    }

    /// The logits after `token` at `position` (positions fed in order from 0).
    func forward(token: Int, position: Int) -> [Double] {
        let embedding = w("model.embed_tokens.weight")
        var x = (0..<c.dim).map { Double(embedding.values[token * c.dim + $0]) }
        for l in 0..<c.layers {
            let p = "model.layers.\(l)."
            let h = rmsNorm(x, w(p + "input_layernorm.weight").values)
            var q = matvec(p + "self_attn.q_proj.weight", h), k = matvec(p + "self_attn.k_proj.weight", h)
            let v = matvec(p + "self_attn.v_proj.weight", h)
            if c.kind != .llama {
                let qn = w(p + "self_attn.q_norm.weight").values, kn = w(p + "self_attn.k_norm.weight").values
                q = stride(from: 0, to: q.count, by: c.headDim).flatMap { rmsNorm(Array(q[$0..<($0 + c.headDim)]), qn) }
                k = stride(from: 0, to: k.count, by: c.headDim).flatMap { rmsNorm(Array(k[$0..<($0 + c.headDim)]), kn) }
            }
            q = rope(q, position: position)
            k = rope(k, position: position)
            keys[l].append(k)
            values[l].append(v)
            var attended = [Double](repeating: 0, count: c.qDim)
            let group = c.heads / c.kvHeads
            for head in 0..<c.heads {
                let kv = head / group * c.headDim, qs = head * c.headDim
                let scores = (0...position).map { t in
                    (0..<c.headDim).reduce(0.0) { $0 + q[qs + $1] * keys[l][t][kv + $1] } / Double(c.headDim).squareRoot()
                }
                let top = scores.max()!
                let weights = scores.map { exp($0 - top) }
                let total = weights.reduce(0, +)
                for t in 0...position {
                    for d in 0..<c.headDim { attended[qs + d] += weights[t] / total * values[l][t][kv + d] }
                }
            }
            let o = matvec(p + "self_attn.o_proj.weight", attended)
            x = x.indices.map { x[$0] + o[$0] }
            let h2 = rmsNorm(x, w(p + "post_attention_layernorm.weight").values)
            var ffn: [Double]
            if c.kind == .qwen3MoE {
                let logits = matvec(p + "mlp.gate.weight", h2)
                let top = logits.max()!
                let probabilities = logits.map { exp($0 - top) }
                let chosen = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }.prefix(c.activeExperts)
                let norm = chosen.reduce(0.0) { $0 + probabilities[$1] }
                ffn = [Double](repeating: 0, count: c.dim)
                for e in chosen {
                    let out = feedForward(p + "mlp.experts.\(e).", h2)
                    for d in 0..<c.dim { ffn[d] += probabilities[e] / norm * out[d] }
                }
            } else {
                ffn = feedForward(p + "mlp.", h2)
            }
            x = x.indices.map { x[$0] + ffn[$0] }
        }
        let final = rmsNorm(x, w("model.norm.weight").values)
        return matvec(c.tied ? "model.embed_tokens.weight" : "lm_head.weight", final)
    }
}

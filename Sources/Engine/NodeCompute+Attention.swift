import Foundation
import LayerStore
import QuantKernels

extension NodeCompute {
    /// This node's attention contribution for one token at `position`: its query heads attend
    /// over its KV heads' cache, and its columns of `attn_output` map the result back to `[dim]`.
    /// `input` holds the layer's normalized input; the result is left in `partial`.
    func attention(_ w: LayerWeights, localLayer: Int, position: Int) {
        // q: [queryHeads][headDim], k, v: [kvHeads][headDim]
        multiply(w.query, input, into: q.buffer.baseAddress!)
        multiply(w.key, input, into: k.buffer.baseAddress!)
        multiply(w.value, input, into: v.buffer.baseAddress!)
        prepareAndCache(w, localLayer: localLayer, position: position)
        profiler.measure(.attention) { attend(localLayer: localLayer, position: position) }
        attended.invalidate()
        multiply(w.attentionOutput, attended, into: partial.buffer.baseAddress!)
    }

    /// From the projections in `q`, `k`, `v`: biases, q/k norms, RoPE at `position`, and the
    /// key and value into the cache.
    func prepareAndCache(_ w: LayerWeights, localLayer: Int, position: Int) {
        profiler.measure(.elementwise) {
            if let qBias = w.queryBias, let kBias = w.keyBias, let vBias = w.valueBias {
                Elementwise.add(q.buffer, qBias.floats)
                Elementwise.add(k.buffer, kBias.floats)
                Elementwise.add(v.buffer, vBias.floats)
            }
        }
        if let qNorm = w.queryNorm, let kNorm = w.keyNorm {
            profiler.measure(.norms) {
                normalizeHeads(q.buffer, heads: queryHeads, weight: qNorm.floats)
                normalizeHeads(k.buffer, heads: kvHeads, weight: kNorm.floats)
            }
        }
        profiler.measure(.elementwise) {
            rope.apply(to: q.buffer, heads: queryHeads, position: position)
            rope.apply(to: k.buffer, heads: kvHeads, position: position)
            _ = cache.key(localLayer, position).update(fromContentsOf: k.buffer)
            _ = cache.value(localLayer, position).update(fromContentsOf: v.buffer)
        }
    }

    /// RMS-normalizes each `headDim` slice of `x` with the shared per-head `weight` (Qwen3).
    func normalizeHeads(_ x: UnsafeMutableBufferPointer<Float>, heads: Int, weight: UnsafeBufferPointer<Float>) {
        for h in 0..<heads {
            let head = UnsafeMutableBufferPointer(rebasing: x[(h * headDim)..<((h + 1) * headDim)])
            Elementwise.rmsNorm(UnsafeBufferPointer(head), weight: weight, epsilon: model.normEpsilon, into: head)
        }
    }

    /// Causal attention of every local query head over positions 0...position, one head per pool task.
    func attend(localLayer: Int, position: Int) {
        let scale = 1 / Float(headDim).squareRoot()
        let seq = maxSeqLen, hd = headDim, group = queryGroup
        let body = { (h: Int) in
            let kvOffset = (h / group) * hd
            let query = self.q.buffer.baseAddress! + h * hd
            let weights = UnsafeMutableBufferPointer(rebasing: self.scores.buffer[(h * seq)..<(h * seq + position + 1)])
            for t in 0...position {
                let key = self.cache.key(localLayer, t).baseAddress! + kvOffset
                var dot: Float = 0
                for i in 0..<hd { dot += query[i] * key[i] }
                weights[t] = dot * scale
            }
            Elementwise.softmax(weights)
            let out = self.attended.values.baseAddress! + h * hd
            out.update(repeating: 0, count: hd)
            for t in 0...position {
                let value = self.cache.value(localLayer, t).baseAddress! + kvOffset
                let a = weights[t]
                for i in 0..<hd { out[i] += a * value[i] }
            }
        }
        if let pool { pool.run(tasks: queryHeads, body) } else { for h in 0..<queryHeads { body(h) } }
    }
}

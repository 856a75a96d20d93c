import Foundation
import LayerStore
import QuantKernels

extension NodeCompute {
    /// This node's attention contribution for one token at `position`: its query heads attend
    /// over its KV heads' cache, and its columns of `attn_output` map the result back to `[dim]`.
    /// `input` holds the layer's normalized input; the result is left in `partial`.
    func attention(_ w: LayerWeights, localLayer: Int, position: Int) {
        // q: [queryHeads][headDim], k, v: [kvHeads][headDim]
        multiply(input, (w.query.matrix(), q.buffer.baseAddress!), (w.key.matrix(), k.buffer.baseAddress!),
                 (w.value.matrix(), v.buffer.baseAddress!))
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
            if position != ropePosition {
                rope.rotations(position: position, into: ropeRotations.buffer)
                ropePosition = position
            }
            let rotations = UnsafeBufferPointer(ropeRotations.buffer)
            rope.apply(to: q.buffer, heads: queryHeads, rotations: rotations)
            rope.apply(to: k.buffer, heads: kvHeads, rotations: rotations)
            cache.store(layer: localLayer, position: position, key: UnsafeBufferPointer(k.buffer),
                        value: UnsafeBufferPointer(v.buffer), kernels: kernels)
        }
    }

    /// RMS-normalizes each `headDim` slice of `x` with the shared per-head `weight` (Qwen3).
    func normalizeHeads(_ x: UnsafeMutableBufferPointer<Float>, heads: Int, weight: UnsafeBufferPointer<Float>) {
        for h in 0..<heads {
            let head = UnsafeMutableBufferPointer(rebasing: x[(h * headDim)..<((h + 1) * headDim)])
            Elementwise.rmsNorm(UnsafeBufferPointer(head), weight: weight, epsilon: model.normEpsilon, into: head)
        }
    }

    /// Causal attention of every local query head over positions 0...position, one head per pool
    /// task: scores against the cached keys, softmax, the weighted sum of the cached values, each
    /// through the kernel table's kernels for the cache's type.
    func attend(localLayer: Int, position: Int) {
        let scale = 1 / Float(headDim).squareRoot()
        let seq = maxSeqLen, hd = headDim, group = queryGroup, count = Int32(position + 1)
        guard let scoresKernel = kernels.attentionScores(cache.blockType), let valuesKernel = kernels.attentionValues(cache.blockType) else {
            preconditionFailure("no attention kernels for a \(cache.type) cache")
        }
        let keys = cache.keys(localLayer), values = cache.values(localLayer), rowBytes = cache.rowBytes
        let valueBytes = cache.type.bytesPerValue, softmax = kernels.softmax
        let body = { (h: Int) in
            let headOffset = (h / group) * hd * valueBytes  // this query head's KV head within a row
            let weights = self.scores.buffer.baseAddress! + h * seq  // [position + 1]
            scoresKernel(Int32(hd), self.q.buffer.baseAddress! + h * hd, keys + headOffset, rowBytes, count, scale, weights)
            softmax(count, weights)
            valuesKernel(Int32(hd), weights, values + headOffset, rowBytes, count, self.attended.values.baseAddress! + h * hd)
        }
        if let pool { pool.run(tasks: queryHeads, body) } else { for h in 0..<queryHeads { body(h) } }
    }
}

import LayerStore
import QuantKernels

/// Prompt prefill: a batch of consecutive tokens through one layer of this node's share. The
/// matrix products take the whole batch at once (`MatrixProduct`: batched integer kernels or
/// OpenBLAS, whichever measured faster); attention stays per token, each attending causally.
extension NodeCompute {
    /// `x`: `[batch][dim]` normalized inputs; `out`: `[batch][dim]` this node's attention partials
    /// for positions `first ..< first + batch`.
    func attentionBatch(_ w: LayerWeights, localLayer: Int, first: Int, batch: Int,
                        x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) {
        // [batch][qDim], [batch][kvDim] x 2, [batch][qDim]: kept from batch to batch (see BatchScratch)
        let queries = batchScratch.floats(0, count: batch * qDim), keys = batchScratch.floats(1, count: batch * kvDim)
        let values = batchScratch.floats(2, count: batch * kvDim), attendedRows = batchScratch.floats(3, count: batch * qDim)
        multiplyBatch(w.query, x, batch: batch, into: queries.buffer.baseAddress!)
        multiplyBatch(w.key, x, batch: batch, into: keys.buffer.baseAddress!)
        multiplyBatch(w.value, x, batch: batch, into: values.buffer.baseAddress!)
        for b in 0..<batch {
            // Each token through the per-token path from its projections on: the same code as decode.
            _ = q.buffer.update(fromContentsOf: queries[(b * qDim)..<((b + 1) * qDim)])
            _ = k.buffer.update(fromContentsOf: keys[(b * kvDim)..<((b + 1) * kvDim)])
            _ = v.buffer.update(fromContentsOf: values[(b * kvDim)..<((b + 1) * kvDim)])
            prepareAndCache(w, localLayer: localLayer, position: first + b)
            profiler.measure(.attention) { attend(localLayer: localLayer, position: first + b) }
            _ = attendedRows[(b * qDim)..<((b + 1) * qDim)].update(fromContentsOf: attended.values)
        }
        multiplyBatch(w.attentionOutput, attendedRows.buffer.baseAddress!, batch: batch, into: out)
    }

    /// `x`: `[batch][dim]` normalized inputs; `out`: `[batch][dim]` this node's feed-forward partials.
    func feedForwardBatch(_ w: LayerWeights, batch: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) {
        guard case .dense(let gate, let up, let down) = w.feedForward else {
            // Experts differ per token: route each token on its own.
            for b in 0..<batch {
                _ = input.values.update(fromContentsOf: UnsafeBufferPointer(start: x + b * model.dim, count: model.dim))
                input.invalidate()
                feedForward(w)
                (out + b * model.dim).update(from: partial.buffer.baseAddress!, count: model.dim)
            }
            return
        }
        let count = batch * ffnWidth  // gates, ups: [batch][ffnWidth]
        let gates = batchScratch.floats(4, count: count)[0..<count], ups = batchScratch.floats(5, count: count)[0..<count]
        multiplyBatch(gate, x, batch: batch, into: gates.baseAddress!)
        multiplyBatch(up, x, batch: batch, into: ups.baseAddress!)
        profiler.measure(.elementwise) {
            if model.activation == .gelu {
                Elementwise.gelu(gates)
                Elementwise.multiply(gates, by: UnsafeBufferPointer(ups))
            } else {
                kernels.swiGLU(Int32(count), gates.baseAddress, ups.baseAddress)
            }
        }
        multiplyBatch(down, gates.baseAddress!, batch: batch, into: out)
    }

    func multiplyBatch(_ weights: TensorView, _ x: UnsafePointer<Float>, batch: Int, into out: UnsafeMutablePointer<Float>) {
        let matrix = weights.matrix()
        profiler.measure(.matmul) {
            MatrixProduct.multiply(matrix, x, batch: batch, into: out, pool: pool, kernels: kernels)
        }
    }
}

import LayerStore
import QuantKernels

/// Prompt prefill: a batch of consecutive tokens through one layer of this node's share. The
/// matrix products take the whole batch at once (`MatrixProduct`: batched integer kernels or
/// OpenBLAS, whichever measured faster); attention takes the batch's positions together
/// (`CausalAttention`), each attending causally.
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
            // Each token's biases, norms, RoPE and cache rows through the per-token path (the same
            // code as decode); its rotated query goes back into `queries`.
            _ = q.buffer.update(fromContentsOf: queries[(b * qDim)..<((b + 1) * qDim)])
            _ = k.buffer.update(fromContentsOf: keys[(b * kvDim)..<((b + 1) * kvDim)])
            _ = v.buffer.update(fromContentsOf: values[(b * kvDim)..<((b + 1) * kvDim)])
            prepareAndCache(w, localLayer: localLayer, position: first + b)
            _ = queries[(b * qDim)..<((b + 1) * qDim)].update(fromContentsOf: q.buffer)
        }
        profiler.measure(.attention) {
            attendBatch(localLayer: localLayer, first: first, batch: batch, queries: queries.buffer.baseAddress!,
                        into: attendedRows.buffer.baseAddress!)
        }
        multiplyBatch(w.attentionOutput, attendedRows.buffer.baseAddress!, batch: batch, into: out)
    }

    /// Causal attention for the `batch` positions from `first`, whose keys and values are cached:
    /// `queries` [batch][qDim] (RoPE applied) in, `out` [batch][qDim] out. An F16 cache's rows up to
    /// the batch's last position are converted to F32 once (a task per KV head's keys or values), then
    /// a task per KV head and 16 positions runs `CausalAttention` for its query heads over them. Past
    /// `maxConvertedCacheBytes` of converted rows (a long context), each position attends on its own
    /// over the F16 rows instead, as in decode.
    func attendBatch(localLayer: Int, first: Int, batch: Int, queries: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let seen = first + batch, hd = headDim, group = queryGroup, qDim = self.qDim, kernels = self.kernels
        let cache = self.cache, rowValues = seen * hd
        if cache.type != .f32 && 2 * kvHeads * rowValues * MemoryLayout<Float>.stride > Self.maxConvertedCacheBytes {
            for b in 0..<batch {
                q.buffer.baseAddress!.update(from: queries + b * qDim, count: qDim)
                attend(localLayer: localLayer, position: first + b)
                (out + b * qDim).update(from: attended.values.baseAddress!, count: qDim)
            }
            return
        }
        // [2][kvHeads][seen][headDim]: keys, then values, as F32 rows
        let rows: UnsafePointer<Float>
        if cache.type == .f32 {
            rows = UnsafePointer(OpaquePointer(cache.keys(localLayer, head: 0)))
        } else {
            let converted = batchScratch.floats(6, count: 2 * kvHeads * rowValues).buffer.baseAddress!
            let dequantize = kernels.dequantize(cache.blockType), heads = kvHeads
            let convert = { (task: Int) in
                let head = task % heads, source = task < heads ? cache.keys(localLayer, head: head) : cache.values(localLayer, head: head)
                dequantize(Int32(rowValues), source, converted + task * rowValues)
            }
            if let pool { pool.run(tasks: 2 * kvHeads, convert) } else { for task in 0..<(2 * kvHeads) { convert(task) } }
            rows = UnsafePointer(converted)
        }
        // An F32 cache is read in place: its heads lie maxSeqLen rows apart, its values elsewhere.
        let keyStride = cache.type == .f32 ? cache.maxSeqLen * hd : rowValues
        let keyBase = rows, valueBase = cache.type == .f32 ? UnsafePointer<Float>(OpaquePointer(cache.values(localLayer, head: 0)))
                                                           : rows + kvHeads * rowValues
        // A task per KV head and 16 positions: its query heads' rows packed position by position
        // ([16][group][headDim]), so one pair of products covers the group.
        let tileRows = 16, tiles = (batch + tileRows - 1) / tileRows
        let body = { (task: Int) in
            let kvHead = task / tiles, positions = (task % tiles * tileRows)..<min(batch, (task % tiles + 1) * tileRows)
            let count = positions.count * group, heads = kvHead * group * hd  // this KV head's query heads' offset in a row
            let packed = UnsafeMutablePointer<Float>.allocate(capacity: 2 * count * hd)  // queries, then outputs
            defer { packed.deallocate() }
            for (i, b) in positions.enumerated() {
                (packed + i * group * hd).update(from: queries + b * qDim + heads, count: group * hd)
            }
            CausalAttention.attend(headDim: hd, queries: packed, queryStride: hd, count: count, headsPerPosition: group,
                                   start: first + positions.lowerBound, keys: keyBase + kvHead * keyStride,
                                   values: valueBase + kvHead * keyStride, out: packed + count * hd, outStride: hd, kernels: kernels)
            for (i, b) in positions.enumerated() {
                (out + b * qDim + heads).update(from: packed + (count + i * group) * hd, count: group * hd)
            }
        }
        if let pool { pool.run(tasks: kvHeads * tiles, body) } else { for task in 0..<(kvHeads * tiles) { body(task) } }
    }

    /// The most F32 key and value rows `attendBatch` converts a cache into (a node's KV heads up to
    /// the batch's last position): SmolLM2 at 4,096 positions needs 6 MiB, Llama 3.1 8B at 8,192
    /// 64 MiB, which longer contexts would only multiply.
    static let maxConvertedCacheBytes = 32 << 20

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

import Foundation
import LayerStore
import QuantKernels

extension NodeCompute {
    /// This node's attention contribution for one token at `position`: its query heads attend
    /// over its KV heads' cache, and its columns of `attn_output` map the result back to `[dim]`.
    /// `input` holds the layer's normalized input; the result is left in `partial`.
    func attention(_ w: LayerWeights, localLayer: Int, position: Int) {
        cache.prefetchRows(layer: localLayer, position: position)  // arriving while the q, k, v products run
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

    /// Causal attention of every local query head over positions 0...position: each KV head's
    /// query heads go through its cached rows together (one grouped kernel call per run of
    /// positions), and when the KV heads do not share out evenly over the pool's threads (SmolLM2's
    /// 3 over 2) each head's positions are cut into runs, whose results merge exactly.
    func attend(localLayer: Int, position: Int) {
        guard let kernel = kernels.attentionGroup(cache.blockType) else { preconditionFailure("no attention kernel for a \(cache.type) cache") }
        precondition(queryHeads == kvHeads * queryGroup, "a node's query heads are whole groups of its KV heads")
        let count = position + 1, runs = Self.attentionRuns(kvHeads: kvHeads, threads: pool?.threadCount ?? 1, positions: count)
        let scale = 1 / Float(headDim).squareRoot(), seq = maxSeqLen, hd = headDim, group = queryGroup, heads = queryHeads
        let cache = self.cache, rowBytes = cache.headRowBytes
        let q = self.q.buffer.baseAddress!, scores = self.scores.buffer.baseAddress!
        let parts = attentionParts.buffer.baseAddress!, stats = attentionStats.buffer.baseAddress!
        let body = { (task: Int) in
            let kvHead = task / runs, run = task % runs
            let positions = ThreadPool.share(of: 0..<count, worker: run, workers: runs)
            let first = kvHead * group  // this KV head's first query head
            let keys = cache.keys(localLayer, head: kvHead) + positions.lowerBound * rowBytes
            let values = cache.values(localLayer, head: kvHead) + positions.lowerBound * rowBytes
            kernel(Int32(hd), Int32(group), q + first * hd, keys, values, rowBytes, Int32(positions.count), scale,
                   scores + first * seq + positions.lowerBound, seq, parts + (run * heads + first) * hd, stats + (run * heads + first) * 2)
        }
        if let pool { pool.run(tasks: kvHeads * runs, body) } else { for task in 0..<(kvHeads * runs) { body(task) } }
        KernelTable.mergeAttentionRuns(n: hd, heads: heads, runs: runs, parts: parts, stats: stats, into: attended.values.baseAddress!)
    }

    /// How many runs each KV head's positions are cut into: 1 when the KV heads share out evenly
    /// over the threads (or there is one thread), else the fewest that make `kvHeads x runs` tasks
    /// share out evenly, at most one per thread; no run shorter than 32 positions.
    static func attentionRuns(kvHeads: Int, threads: Int, positions: Int) -> Int {
        guard threads > 1, kvHeads > 0 else { return 1 }
        var runs = 1
        while (kvHeads * runs) % threads != 0 && runs < threads { runs += 1 }
        return max(1, min(runs, positions / 32))
    }
}

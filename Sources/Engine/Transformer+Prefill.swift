import LayerStore
import QuantKernels

extension Transformer {
    /// Runs prompt tokens through every layer in batches (no logits): the matrix products see up to
    /// `batchLimit` tokens at once, which is where prefill gets its speed. `tokens[i]` goes to
    /// position `first + i`.
    public func prefill(_ tokens: [Int], first: Int, batchLimit: Int = 64) throws {
        guard first + tokens.count <= maxSeqLen else { throw Failure.contextFull(maxSeqLen: maxSeqLen) }
        if let bad = tokens.first(where: { !(0..<model.vocabSize).contains($0) }) {
            throw Failure.tokenOutOfRange(token: bad, vocabSize: model.vocabSize)
        }
        var start = 0
        while start < tokens.count {
            let batch = min(batchLimit, tokens.count - start)
            if batch == 1 {
                try forward(token: tokens[start], position: first + start, computeLogits: false)
            } else {
                try prefillBatch(Array(tokens[start..<(start + batch)]), first: first + start)
            }
            start += batch
        }
    }

    private func prefillBatch(_ tokens: [Int], first: Int) throws {
        let batch = tokens.count, dim = model.dim
        let stream = Floats(batch * dim)       // [batch][dim] residual streams
        let normalizedRows = Floats(batch * dim)
        let partialRows = Floats(batch * dim)
        for (b, token) in tokens.enumerated() {
            try embed(token)
            _ = stream[(b * dim)..<((b + 1) * dim)].update(fromContentsOf: x.buffer)
        }
        for layer in 0..<model.layerCount {
            let owners = nodes.filter { $0.share.layers.contains(layer) }
            try withWeights(of: owners[...], layer: layer, []) { weights in
                for (norm, isAttention) in [("attn_norm", true), ("ffn_norm", false)] {
                    profiler.measure(.norms) {
                        for b in 0..<batch {
                            Elementwise.rmsNorm(UnsafeBufferPointer(stream[(b * dim)..<((b + 1) * dim)]), weight: weights[0][norm]!.floats,
                                                epsilon: model.normEpsilon, into: normalizedRows[(b * dim)..<((b + 1) * dim)])
                        }
                    }
                    for (node, w) in zip(owners, weights) {
                        let local = layer - node.share.layers.lowerBound
                        if isAttention {
                            node.attentionBatch(w, localLayer: local, first: first, batch: batch,
                                                x: normalizedRows.buffer.baseAddress!, out: partialRows.buffer.baseAddress!)
                        } else {
                            node.feedForwardBatch(w, batch: batch, x: normalizedRows.buffer.baseAddress!, out: partialRows.buffer.baseAddress!)
                        }
                        profiler.measure(.network) {
                            for b in 0..<batch {
                                _ = x.buffer.update(fromContentsOf: stream[(b * dim)..<((b + 1) * dim)])
                                add(partialRows[(b * dim)..<((b + 1) * dim)])
                                _ = stream[(b * dim)..<((b + 1) * dim)].update(fromContentsOf: x.buffer)
                            }
                        }
                    }
                }
            }
        }
        // Leave the last token's stream in x, as a per-token forward would.
        _ = x.buffer.update(fromContentsOf: stream[((batch - 1) * dim)..<(batch * dim)])
    }
}

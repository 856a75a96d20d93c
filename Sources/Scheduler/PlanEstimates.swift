import ModelFormat

extension Plan {
    /// Fills `estimates` and `collectivesPerToken` from the tensor directory.
    mutating func estimate(tensors: [TensorInfo], capacities: [NodeCapacity]) {
        let m = model
        let vector = activationType.bytes(dim: m.dim)
        let layers = m.layerCount
        let n = nodes.count
        let stepBytes = 16  // position + token id + flags, per worker per token
        estimates = nodes.map { share in
            var weights = 0
            var perLayer = [Int](repeating: 0, count: layers)
            for t in tensors {
                let bytes = share.residentBytes(of: t, model: m)
                weights += bytes
                if let l = t.layer, perLayer.indices.contains(l) { perLayer[l] += bytes }
            }
            let kvCache = share.layers.count * 2 * maxSeqLen * share.kvHeads.count * m.headDim * 4
            let ffnWidth = m.isMoE ? share.expertRows.count * m.activeExpertCount : share.ffnRows.count
            let floats = 4 * m.dim + share.queryHeads.count * m.headDim + 2 * share.kvHeads.count * m.headDim
                + share.queryHeads.count * maxSeqLen + 3 * ffnWidth + share.vocabRows.count
            let activations = floats * 4
            let total = weights + kvCache + activations + Plan.fixedOverheadBytes
            let (sent, received) = traffic(share: share, vector: vector, stepBytes: stepBytes)
            let ram = capacities[share.node].ramBytes
            return NodeEstimate(weightBytes: weights, largestLayerBytes: perLayer.max() ?? 0, kvCacheBytes: kvCache,
                                activationBytes: activations, estimatedRAM: total, ramBytes: ram,
                                streams: ram.map { total > $0 } ?? false,
                                sentBytesPerToken: sent, receivedBytesPerToken: received)
        }
        switch mode {
        case .tensor: collectivesPerToken = n > 1 ? 2 * layers + 2 : 0
        case .pipeline: collectivesPerToken = n > 1 ? n : 0
        }
    }

    /// Bytes a node sends and receives per generated token (before LZ4).
    private func traffic(share: NodeShare, vector: Int, stepBytes: Int) -> (sent: Int, received: Int) {
        let n = nodes.count
        guard n > 1 else { return (0, 0) }
        let i = share.node
        switch mode {
        case .tensor:
            // Star all-reduce through the root: each worker sends its partial sum and receives the
            // total, twice per layer; the root gathers each worker's logits (F32) at the end.
            let perWorker = 2 * model.layerCount * vector
            if i == 0 {
                let logits = nodes.dropFirst().reduce(0) { $0 + $1.vocabRows.count * 4 }
                return ((n - 1) * (perWorker + stepBytes), (n - 1) * perWorker + logits)
            }
            return (perWorker + share.vocabRows.count * 4, perWorker + stepBytes)
        case .pipeline:
            let logits = model.vocabSize * 4
            let sent = i == n - 1 ? logits : vector
            let received = (i == 0 ? logits : vector)
            return (sent, received)
        }
    }

    /// The least RAM node `i` needs when streaming: one layer buffer, one more layer-sized buffer
    /// through which non-layer slices larger than a layer (the output projection) are streamed in
    /// row chunks, the small non-layer weights (norms), its KV cache, activations and the fixed
    /// overhead.
    public func streamingMinimum(node i: Int, tensors: [TensorInfo]) -> Int {
        let e = estimates[i]
        let nonLayer = tensors.filter { $0.layer == nil }.map { nodes[i].residentBytes(of: $0, model: model) }
        let small = nonLayer.filter { $0 <= e.largestLayerBytes }.reduce(0, +)
        return 2 * e.largestLayerBytes + small + e.kvCacheBytes + e.activationBytes + Plan.fixedOverheadBytes
    }

    /// Refuses the plan when a node cannot run its share even streaming.
    public func checkFits(tensors: [TensorInfo]) throws {
        for (i, e) in estimates.enumerated() {
            guard let ram = e.ramBytes else { continue }
            let minimum = streamingMinimum(node: i, tensors: tensors)
            if ram < minimum { throw PlanError.doesNotFit(node: i, needs: minimum, has: ram) }
        }
    }
}

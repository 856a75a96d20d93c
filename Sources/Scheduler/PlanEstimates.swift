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
        let groups = stageGroups()
        collectivesPerToken = n == 1 ? 0
            : groups.reduce(0) { $0 + ($1.count > 1 ? 2 * nodes[$1.lowerBound].layers.count : 0) }
              + (groups.count - 1) + 1 + (nodes.dropFirst().contains { $0.readsEmbedding } ? 1 : 0)
    }

    /// Consecutive nodes computing the same layers: one group in tensor mode, one node per group in
    /// pipeline mode, tensor-parallel groups as pipeline stages in hybrid mode.
    func stageGroups() -> [Range<Int>] {
        var groups: [Range<Int>] = []
        for i in nodes.indices {
            if let last = groups.last, nodes[last.lowerBound].layers == nodes[i].layers {
                groups[groups.count - 1] = last.lowerBound..<(i + 1)
            } else {
                groups.append(i..<(i + 1))
            }
        }
        return groups
    }

    /// Bytes a node sends and receives per generated token (before LZ4), for any plan: within a
    /// group, a star all-reduce through its first node, two per layer; between groups, one
    /// activation vector from each group's first node to the next's; the root sends each worker
    /// that embeds the token a step message and gathers every other node's logits (F32).
    private func traffic(share: NodeShare, vector: Int, stepBytes: Int) -> (sent: Int, received: Int) {
        guard nodes.count > 1 else { return (0, 0) }
        let i = share.node
        let groups = stageGroups()
        let g = groups.firstIndex { $0.contains(i) }!
        let group = groups[g]
        let allReduces = group.count > 1 ? 2 * share.layers.count * vector : 0
        var sent = 0, received = 0
        if i == group.lowerBound {
            sent += (group.count - 1) * allReduces
            received += (group.count - 1) * allReduces
            if g + 1 < groups.count { sent += vector }
            if g > 0 { received += vector }
        } else {
            sent += allReduces
            received += allReduces
        }
        if i == 0 {
            let embedders = nodes.dropFirst().filter(\.readsEmbedding).count
            sent += embedders * stepBytes
            received += nodes.dropFirst().reduce(0) { $0 + $1.vocabRows.count * 4 }
        } else {
            if share.readsEmbedding { received += stepBytes }
            sent += share.vocabRows.count * 4
        }
        return (sent, received)
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

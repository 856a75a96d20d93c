import ModelFormat

extension Plan {
    /// Fills `estimates` and `collectivesPerToken` from the tensor directory.
    mutating func estimate(tensors: [TensorInfo], capacities: [NodeCapacity]) {
        let m = model
        let vector = activationType.bytes(dim: m.dim)
        let layers = m.layerCount
        let n = nodes.count
        let stepBytes = 10  // kind, token id, position, what logits to return
        estimates = nodes.map { share in
            var weights = 0
            var perLayer = [Int](repeating: 0, count: layers)
            for t in tensors {
                let bytes = share.residentBytes(of: t, model: m)
                weights += bytes
                if let l = t.layer, perLayer.indices.contains(l) { perLayer[l] += bytes }
            }
            let kvCache = share.layers.count * 2 * maxSeqLen * share.kvHeads.count * m.headDim * kvCacheType.bytesPerValue
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
              + (groups.count - 1) + 2  // stage hand-offs, the step broadcast and the logits gather
    }

    /// Consecutive nodes computing the same layers: one group in tensor mode, one node per group in
    /// pipeline mode, tensor-parallel groups as pipeline stages in hybrid mode.
    public func stageGroups() -> [Range<Int>] {
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

    /// Bytes a node sends and receives per generated token, frame headers included, before LZ4,
    /// as the star transport moves them (every worker talks to the root only): a step message to
    /// every worker; per layer and group of two or more nodes, two all-reduces in which each worker
    /// member sends its vector to the root and gets one back; at each stage boundary one vector
    /// from the stage's first node, relayed by the root to every node of the next stage; and the
    /// F32 logits of every other node's vocabulary rows, gathered at the root (greedy sampling
    /// gathers 8 bytes per node instead).
    private func traffic(share: NodeShare, vector: Int, stepBytes: Int) -> (sent: Int, received: Int) {
        guard nodes.count > 1 else { return (0, 0) }
        let header = 8
        let frame = vector + header
        let i = share.node
        var sent = 0, received = 0
        if i == 0 {
            sent += (nodes.count - 1) * (stepBytes + header)
        } else {
            received += stepBytes + header
        }
        let groups = stageGroups()
        for group in groups where group.count > 1 {
            let reductions = 2 * nodes[group.lowerBound].layers.count
            let workerMembers = group.filter { $0 != 0 }.count
            if i == 0 {
                sent += reductions * workerMembers * frame
                received += reductions * workerMembers * frame
            } else if group.contains(i) {
                sent += reductions * frame
                received += reductions * frame
            }
        }
        for (from, to) in zip(groups, groups.dropFirst()) {
            let sender = from.lowerBound
            if i == sender { sent += (sender == 0 ? to.count : 1) * frame }
            if i == 0 && sender != 0 {
                received += frame
                sent += to.filter { $0 != 0 }.count * frame
            }
            if to.contains(i) && i != 0 { received += frame }
        }
        let logitBytes: (NodeShare) -> Int = { $0.vocabRows.isEmpty ? 0 : $0.vocabRows.count * 4 + header }
        if i == 0 {
            received += nodes.dropFirst().reduce(0) { $0 + logitBytes($1) }
        } else {
            sent += logitBytes(share)
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

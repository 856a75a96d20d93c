import ModelFormat

/// Splits a model inside every layer, in proportion to the nodes' weights.
enum TensorParallelSplit {
    static func shares(model: ModelDescription, tensors: [TensorInfo], weights: [Double]) throws -> [NodeShare] {
        let n = weights.count
        guard n <= model.kvHeadCount else {
            throw PlanError.tooManyNodesForKVHeads(nodes: n, kvHeads: model.kvHeadCount)
        }
        let kv = consecutiveRanges(sizes: try split(model.kvHeadCount, weights, "KV heads"))
        let group = model.headCount / model.kvHeadCount
        let queryHeads = kv.map { ($0.lowerBound * group)..<($0.upperBound * group) }

        // A node's columns of the attention output start at its first query head: they must fall
        // on a block boundary of the output projection's type.
        for tensor in tensors where tensor.role == .attentionOutput {
            for heads in queryHeads where (heads.lowerBound * model.headDim) % tensor.type.blockSize != 0 {
                throw PlanError.blockMisaligned(
                    tensor: tensor.name,
                    reason: "query head \(heads.lowerBound) starts at column \(heads.lowerBound * model.headDim), inside a \(tensor.type.blockSize)-value \(tensor.type) block")
            }
        }
        let ffn = try rowRanges(model.hiddenDim, granularity: granularity(tensors) { $0 == .down }, weights, "FFN rows")
        let experts = model.isMoE
            ? try rowRanges(model.expertHiddenDim, granularity: granularity(tensors) { $0.isDownProjection && $0 != .down }, weights, "expert FFN rows")
            : Array(repeating: 0..<0, count: n)
        let vocab = consecutiveRanges(sizes: try split(model.vocabSize, weights, "vocabulary rows"))
        return (0..<n).map { i in
            NodeShare(node: i, layers: 0..<model.layerCount, kvHeads: kv[i], queryHeads: queryHeads[i],
                      ffnRows: ffn[i], expertRows: experts[i], vocabRows: vocab[i], readsEmbedding: true)
        }
    }

    /// Block size of the down projections' columns: FFN rows are split in whole blocks.
    static func granularity(_ tensors: [TensorInfo], of roles: (TensorRole) -> Bool) -> Int {
        tensors.filter { roles($0.role) }.map(\.type.blockSize).max() ?? 1
    }

    static func rowRanges(_ rows: Int, granularity: Int, _ weights: [Double], _ what: String) throws -> [Range<Int>] {
        guard rows % granularity == 0 else {
            throw PlanError.blockMisaligned(tensor: what, reason: "\(rows) rows are not whole \(granularity)-value blocks")
        }
        let units = try split(rows / granularity, weights, what)
        return consecutiveRanges(sizes: units.map { $0 * granularity })
    }

    static func split(_ total: Int, _ weights: [Double], _ what: String) throws -> [Int] {
        guard total >= weights.count else { throw PlanError.tooFewUnits(what: what, units: total, nodes: weights.count) }
        let shares = proportionalSplit(total, weights: weights)
        if let empty = shares.firstIndex(of: 0) { throw PlanError.emptyShare(node: empty, what: what) }
        return shares
    }
}

/// Gives each node a run of whole layers, in proportion to the nodes' weights. Node 0 (the root)
/// embeds the token; the last node computes the logits and returns them to the root.
enum PipelineSplit {
    static func shares(model: ModelDescription, weights: [Double]) throws -> [NodeShare] {
        let n = weights.count
        guard n <= model.layerCount else {
            throw PlanError.tooManyNodesForLayers(nodes: n, layers: model.layerCount)
        }
        let layers = consecutiveRanges(sizes: try TensorParallelSplit.split(model.layerCount, weights, "layers"))
        return (0..<n).map { i in
            NodeShare(node: i, layers: layers[i], kvHeads: 0..<model.kvHeadCount, queryHeads: 0..<model.headCount,
                      ffnRows: 0..<model.hiddenDim, expertRows: 0..<model.expertHiddenDim,
                      vocabRows: i == n - 1 ? 0..<model.vocabSize : 0..<0, readsEmbedding: i == 0)
        }
    }
}

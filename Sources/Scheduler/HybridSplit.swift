import ModelFormat

/// Pipeline stages made of tensor-parallel groups. With `n` nodes and `k` KV heads it uses
/// `ceil(n / k)` stages of near-equal size (consecutive nodes), gives each stage a run of layers in
/// proportion to its nodes' total weight, and splits each stage's layers among its nodes as tensor
/// mode would. The first stage's nodes embed the token; the last stage computes the logits.
enum HybridSplit {
    static func shares(model: ModelDescription, tensors: [TensorInfo], weights: [Double]) throws -> [NodeShare] {
        let n = weights.count
        let stageCount = (n + model.kvHeadCount - 1) / model.kvHeadCount
        guard stageCount <= model.layerCount else {
            throw PlanError.tooManyNodesForLayers(nodes: n, layers: model.layerCount * model.kvHeadCount)
        }
        let stages = consecutiveRanges(sizes: proportionalSplit(n, weights: Array(repeating: 1, count: stageCount)))
        let layerRuns = consecutiveRanges(sizes: try TensorParallelSplit.split(
            model.layerCount, stages.map { weights[$0].reduce(0, +) }, "layers"))
        var shares: [NodeShare] = []
        for (s, stage) in stages.enumerated() {
            let group = try TensorParallelSplit.shares(model: model, tensors: tensors, weights: Array(weights[stage]))
            for var share in group {
                share.node += stage.lowerBound
                share.layers = layerRuns[s]
                share.readsEmbedding = s == 0
                if s != stages.count - 1 { share.vocabRows = 0..<0 }
                shares.append(share)
            }
        }
        return shares
    }
}

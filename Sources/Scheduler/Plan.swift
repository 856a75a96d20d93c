import ModelFormat

public enum PlanMode: String, Codable, Sendable, CaseIterable {
    /// Every node computes a slice of every layer; two all-reduces per layer.
    case tensor
    /// Every node computes whole layers; one activation vector per stage boundary.
    case pipeline
    /// Pipeline stages of tensor-parallel groups: for more nodes than KV heads, or slow links
    /// between groups of fast-linked machines. Uses as few stages as the KV heads allow.
    case hybrid
}

/// How activations travel between nodes (`--buffer-float-type`): Q80 blocks (distributed-llama's
/// default), F16 or F32.
public enum ActivationWireType: String, Codable, Sendable, CaseIterable {
    case q80, f16, f32

    /// Bytes of one `dim`-long vector on the wire (before LZ4).
    public func bytes(dim: Int) -> Int {
        switch self {
        case .q80: TensorType.q8_0.byteCount(elements: (dim + 31) / 32 * 32)!
        case .f16: dim * 2
        case .f32: dim * 4
        }
    }
}

/// How the KV cache holds keys and values (`--kv-cache-type`): F16 (the default, as llama.cpp's)
/// halves its memory; F32 keeps every bit the projections computed.
public enum KVCacheType: String, Codable, Sendable, CaseIterable {
    case f16, f32

    /// Bytes of one cached value.
    public var bytesPerValue: Int {
        switch self {
        case .f16: 2
        case .f32: 4
        }
    }
}

/// What a plan costs one node, per the model's tensor directory.
public struct NodeEstimate: Codable, Sendable, Equatable {
    /// Weight bytes the node keeps resident (its slices, replicated norms).
    public var weightBytes: Int
    /// Its largest single layer's weight bytes (what streaming must hold at a time).
    public var largestLayerBytes: Int
    /// KV cache at the plan's sequence length (keys and values of its KV heads and layers, in the
    /// plan's `kvCacheType`).
    public var kvCacheBytes: Int
    /// Activation buffers (F32), attention scores included.
    public var activationBytes: Int
    /// Everything above plus `Plan.fixedOverheadBytes`.
    public var estimatedRAM: Int
    /// The node's declared RAM, if any.
    public var ramBytes: Int?
    /// True when the share does not fit the declared RAM and the node must stream its layers.
    public var streams: Bool
    public var sentBytesPerToken: Int
    public var receivedBytesPerToken: Int
}

/// A partition of one model over N nodes (node 0 is the root), with what it costs each node.
///
///     let file = try ModelFile(path: "SmolLM2-135M-Instruct.Q4_1.gguf")
///     let plan = try Plan.make(model: file.model, tensors: file.tensors, nodes: 3)
///     plan.nodes[1].kvHeads            // 1..<2
///     print(plan.renderTable())
public struct Plan: Codable, Sendable, Equatable {
    /// Process, runtime, code and thread stacks: added to every node's estimate.
    public static let fixedOverheadBytes = 32 << 20

    public var mode: PlanMode
    public var model: ModelDescription
    public var maxSeqLen: Int
    public var activationType: ActivationWireType
    /// How every node's KV cache holds keys and values (workers learn it with the plan).
    public var kvCacheType: KVCacheType
    public var nodes: [NodeShare]
    public var estimates: [NodeEstimate]
    /// Synchronisation points per generated token (all-reduces, boundaries, gathers).
    public var collectivesPerToken: Int

    /// The context a plan uses when none is asked for: the model's own, capped at 4096 tokens as
    /// llama.cpp does, so a model that declares a context of hundreds of thousands of tokens does
    /// not reserve a KV cache for all of them. Ask for more with `maxSeqLen`.
    public static let defaultMaxSeqLen = 4096

    /// The context for a model and an optional request: the request, else `defaultMaxSeqLen`,
    /// never more than the model's own.
    public static func contextLength(model: ModelDescription, requested: Int?) -> Int {
        min(requested ?? defaultMaxSeqLen, model.maxSeqLen)
    }

    /// Makes a plan, or throws a `PlanError` that says why not and what to do instead.
    ///
    /// Shares follow the nodes' speeds. Declared RAM changes them only when the plan by speed
    /// would leave a node short of RAM (streaming): then shares weighted by RAM too are tried,
    /// and kept when fewer nodes stream.
    public static func make(
        model: ModelDescription, tensors: [TensorInfo], nodes count: Int, capacities: [NodeCapacity]? = nil,
        mode: PlanMode = .tensor, maxSeqLen: Int? = nil, activationType: ActivationWireType = .q80,
        kvCacheType: KVCacheType = .f16
    ) throws -> Plan {
        guard count >= 1 else { throw PlanError.noNodes }
        let capacities = capacities ?? Array(repeating: NodeCapacity(), count: count)
        guard capacities.count == count else { throw PlanError.capacityCount(option: "capacities", given: capacities.count, nodes: count) }
        let seq = contextLength(model: model, requested: maxSeqLen)
        func plan(weights: [Double]) throws -> Plan {
            let shares: [NodeShare]
            switch mode {
            case .tensor: shares = try TensorParallelSplit.shares(model: model, tensors: tensors, weights: weights)
            case .pipeline: shares = try PipelineSplit.shares(model: model, weights: weights)
            case .hybrid: shares = try HybridSplit.shares(model: model, tensors: tensors, weights: weights)
            }
            var plan = Plan(mode: mode, model: model, maxSeqLen: seq, activationType: activationType, kvCacheType: kvCacheType,
                            nodes: shares, estimates: [], collectivesPerToken: 0)
            plan.estimate(tensors: tensors, capacities: capacities)
            return plan
        }
        let bySpeed = try plan(weights: capacities.map(\.speed))
        let streaming = bySpeed.estimates.filter(\.streams).count
        guard streaming > 0, let ramWeights = NodeCapacity.ramWeights(capacities),
              let byRAM = try? plan(weights: ramWeights), byRAM.estimates.filter(\.streams).count < streaming else { return bySpeed }
        return byRAM
    }
}

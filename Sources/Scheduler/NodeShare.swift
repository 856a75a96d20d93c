import ModelFormat

/// The part of the model one node owns.
///
/// Tensor parallelism splits inside every layer: whole KV heads with their query heads, the
/// matching rows of q/k/v and columns of the attention output, a range of FFN (and expert) rows
/// with the matching columns of the down projection, and a range of output (vocabulary) rows.
/// Pipeline parallelism gives a node whole layers instead. Ranges are in model units (heads, rows);
/// `ownership(of:)` turns them into the rows or columns of a given tensor.
public struct NodeShare: Codable, Sendable, Equatable {
    public var node: Int
    public var layers: Range<Int>
    public var kvHeads: Range<Int>
    public var queryHeads: Range<Int>
    /// Rows of ffn_gate / ffn_up, columns of ffn_down.
    public var ffnRows: Range<Int>
    /// The same for each expert's matrices (MoE).
    public var expertRows: Range<Int>
    /// Rows of the output projection (vocabulary entries whose logits this node computes).
    public var vocabRows: Range<Int>
    /// Whether this node reads token embedding rows (the input to its first layer).
    public var readsEmbedding: Bool
}

/// What a node holds of one tensor.
public enum TensorOwnership: Equatable, Sendable {
    case none
    /// A full copy (norms, the MoE router).
    case whole
    /// These rows of the matrix, all columns.
    case rows(Range<Int>)
    /// These columns of every row.
    case columns(Range<Int>)
    /// These rows of each expert's matrix in a stacked `[experts][rows][columns]` tensor.
    case expertRows(Range<Int>)
    /// These columns of each expert's matrix in a stacked tensor.
    case expertColumns(Range<Int>)
    /// Rows read one at a time as tokens need them (the token embedding); nothing resident.
    case lookup
}

extension NodeShare {
    /// What this node holds of `tensor` in a model with `model`'s dimensions.
    public func ownership(of tensor: TensorInfo, model: ModelDescription) -> TensorOwnership {
        let headDim = model.headDim
        let q = (queryHeads.lowerBound * headDim)..<(queryHeads.upperBound * headDim)
        let kv = (kvHeads.lowerBound * headDim)..<(kvHeads.upperBound * headDim)
        if let layer = tensor.layer {
            guard layers.contains(layer) else { return .none }
            switch tensor.role {
            // A bias is a vector: one row whose elements are columns.
            case .query: return .rows(q)
            case .queryBias: return .columns(q)
            case .key, .value: return .rows(kv)
            case .keyBias, .valueBias: return .columns(kv)
            case .attentionOutput: return .columns(q)
            case .gate, .up: return .rows(ffnRows)
            case .down: return .columns(ffnRows)
            case .stackedGates, .stackedUps: return .expertRows(expertRows)
            case .stackedDowns: return .expertColumns(expertRows)
            case .expertGate, .expertUp: return .rows(expertRows)
            case .expertDown: return .columns(expertRows)
            default: return .whole  // attn_norm, ffn_norm, attn_q_norm, attn_k_norm, ffn_gate_inp
            }
        }
        switch tensor.role {
        case .tokenEmbedding:
            if model.tiedEmbedding && !vocabRows.isEmpty { return .rows(vocabRows) }
            return readsEmbedding ? .lookup : .none
        case .output:
            return vocabRows.isEmpty ? .none : .rows(vocabRows)
        case .outputNorm:
            return vocabRows.isEmpty ? .none : .whole
        default:
            return .whole  // rope_freqs and other small shared tensors
        }
    }

    /// Bytes of `tensor` this node keeps resident.
    public func residentBytes(of tensor: TensorInfo, model: ModelDescription) -> Int {
        let rowBytes = tensor.rowBytes
        let matrices = tensor.shape.count == 3 ? tensor.shape[0] : 1
        let rowsPerMatrix = tensor.rowCount / matrices
        func columnBytes(_ columns: Range<Int>) -> Int {
            tensor.type.byteCount(elements: columns.count) ?? columns.count * rowBytes / max(tensor.rowLength, 1)
        }
        switch ownership(of: tensor, model: model) {
        case .none, .lookup: return 0
        case .whole: return tensor.byteCount
        case .rows(let r): return r.count * rowBytes
        case .columns(let c): return tensor.rowCount * columnBytes(c)
        case .expertRows(let r): return matrices * r.count * rowBytes
        case .expertColumns(let c): return matrices * rowsPerMatrix * columnBytes(c)
        }
    }
}

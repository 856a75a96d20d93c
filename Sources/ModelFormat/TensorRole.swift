/// What a tensor is for, read once from its stable name (`blk.3.attn_q.bias` is `.queryBias` of
/// layer 3). The planner, the layer store and the engine speak of tensors by role, so a name is
/// parsed in this one place.
public enum TensorRole: Hashable, Sendable, CustomStringConvertible {
    // Outside the layers.
    case tokenEmbedding          // token_embd   [vocab][dim]
    case outputNorm              // output_norm  [dim]
    case output                  // output       [vocab][dim] (absent when tied to the embedding)
    case ropeFrequencies         // rope_freqs   [headDim / 2] (Llama 3.1 GGUFs)

    // Attention block of a layer.
    case attentionNorm           // attn_norm    [dim]
    case query                   // attn_q       [qDim][dim]
    case key                     // attn_k       [kvDim][dim]
    case value                   // attn_v       [kvDim][dim]
    case attentionOutput         // attn_output  [dim][qDim]
    case queryBias, keyBias, valueBias   // attn_q.bias [qDim], attn_k.bias / attn_v.bias [kvDim] (Qwen2)
    case queryNorm, keyNorm      // attn_q_norm, attn_k_norm [headDim] (Qwen3)

    // Feed-forward block of a layer.
    case feedForwardNorm         // ffn_norm     [dim]
    case gate                    // ffn_gate     [hidden][dim]
    case up                      // ffn_up       [hidden][dim]
    case down                    // ffn_down     [dim][hidden]
    case router                  // ffn_gate_inp [experts][dim]
    case expertGate(Int), expertUp(Int), expertDown(Int)   // ffn_gate.E ... (`.m`: one tensor per expert)
    case stackedGates, stackedUps, stackedDowns            // ffn_gate_exps ... (GGUF: [experts][rows][columns])

    /// A tensor the engine does not use; kept by name so it can be reported.
    case other(String)

    /// The role of the tensor with stable name `name` (with or without its `blk.N.` prefix).
    public init(name: String) {
        let parts = name.split(separator: ".", maxSplits: 2)
        let local = name.hasPrefix("blk.") && parts.count == 3 ? String(parts[2]) : name
        if let known = Self.byName[local] {
            self = known
            return
        }
        let pieces = local.split(separator: ".")
        if pieces.count == 2, let expert = Int(pieces[1]) {
            switch pieces[0] {
            case "ffn_gate": self = .expertGate(expert); return
            case "ffn_up": self = .expertUp(expert); return
            case "ffn_down": self = .expertDown(expert); return
            default: break
            }
        }
        self = .other(local)
    }

    private static let byName: [String: TensorRole] = [
        "token_embd": .tokenEmbedding, "output_norm": .outputNorm, "output": .output, "rope_freqs": .ropeFrequencies,
        "attn_norm": .attentionNorm, "attn_q": .query, "attn_k": .key, "attn_v": .value, "attn_output": .attentionOutput,
        "attn_q.bias": .queryBias, "attn_k.bias": .keyBias, "attn_v.bias": .valueBias,
        "attn_q_norm": .queryNorm, "attn_k_norm": .keyNorm,
        "ffn_norm": .feedForwardNorm, "ffn_gate": .gate, "ffn_up": .up, "ffn_down": .down, "ffn_gate_inp": .router,
        "ffn_gate_exps": .stackedGates, "ffn_up_exps": .stackedUps, "ffn_down_exps": .stackedDowns,
    ]

    /// The name inside a layer (`attn_q.bias`, `ffn_gate.3`), or the whole name outside one.
    public var description: String {
        switch self {
        case .expertGate(let e): return "ffn_gate.\(e)"
        case .expertUp(let e): return "ffn_up.\(e)"
        case .expertDown(let e): return "ffn_down.\(e)"
        case .other(let name): return name
        default: return Self.byName.first { $0.value == self }?.key ?? "unknown"
        }
    }

    /// The down projection of a dense block or of any expert: its columns are the FFN rows.
    public var isDownProjection: Bool {
        switch self {
        case .down, .stackedDowns, .expertDown: return true
        default: return false
        }
    }
}

extension TensorInfo {
    /// What this tensor is for.
    public var role: TensorRole { TensorRole(name: name) }
}

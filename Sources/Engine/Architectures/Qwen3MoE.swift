extension ArchitectureRecipe {
    /// Qwen3-MoE: Qwen3 attention; the feed-forward block routes each token to the top-k of
    /// `expertCount` SwiGLU experts by the softmax of `ffn_gate_inp . x`, the chosen weights
    /// renormalized to sum to one (Hugging Face `norm_topk_prob = true`).
    static let qwen3MoE = ArchitectureRecipe(ropeLayout: .neox, hasQKVBias: false, hasQKNorm: true,
                                             isMixtureOfExperts: true, normalizesTopKWeights: true)
}

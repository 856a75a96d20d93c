extension ArchitectureRecipe {
    /// Qwen3: no biases; instead each head of q and k is RMS-normalized (weights `[headDim]`,
    /// shared by all heads) after the projection and before NeoX RoPE.
    static let qwen3 = ArchitectureRecipe(ropeLayout: .neox, hasQKVBias: false, hasQKNorm: true,
                                          isMixtureOfExperts: false, normalizesTopKWeights: false)
}

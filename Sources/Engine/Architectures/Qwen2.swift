extension ArchitectureRecipe {
    /// Qwen2 / Qwen2.5: Llama's block with biases on the q, k and v projections, and NeoX RoPE
    /// (Hugging Face layout: element i rotates with i + headDim/2).
    static let qwen2 = ArchitectureRecipe(ropeLayout: .neox, hasQKVBias: true, hasQKNorm: false,
                                          isMixtureOfExperts: false, normalizesTopKWeights: false)
}

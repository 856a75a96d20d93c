extension ArchitectureRecipe {
    /// Llama 1-3, Mistral, SmolLM: pre-norm attention and SwiGLU, no biases. Q/K rows are stored
    /// permuted (Meta layout, kept by llama.cpp's converter), so RoPE rotates adjacent pairs; Llama
    /// 3.1 adds frequency scaling (`ModelDescription.ropeScaling`).
    static let llama = ArchitectureRecipe(ropeLayout: .adjacentPairs, hasQKVBias: false, hasQKNorm: false,
                                          isMixtureOfExperts: false, normalizesTopKWeights: false)
}

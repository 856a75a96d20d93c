import ModelFormat

/// Models known by their published dimensions, for plans of clusters whose model file is not at
/// hand (`dllama plan --model-shape llama3.1-70b`): the tensor directory is the one a Q40 `.m`
/// of distributed-llama's converter has (F32 embedding, Q40 matrices, F32 norms).
public enum PublishedShapes {
    /// Llama 3.1's configuration files: dimensions, heads, vocabulary, RoPE scaling.
    public static let all: [String: ModelDescription] = [
        "llama3.1-8b": llama31(dim: 4096, hiddenDim: 14336, layers: 32, heads: 32),
        "llama3.1-70b": llama31(dim: 8192, hiddenDim: 28672, layers: 80, heads: 64),
        "llama3.1-405b": llama31(dim: 16384, hiddenDim: 53248, layers: 126, heads: 128),
    ]

    public static var names: [String] { all.keys.sorted() }

    private static func llama31(dim: Int, hiddenDim: Int, layers: Int, heads: Int) -> ModelDescription {
        ModelDescription(architecture: .llama, dim: dim, hiddenDim: hiddenDim, layerCount: layers, headCount: heads,
                         kvHeadCount: 8, headDim: 128, vocabSize: 128_256, maxSeqLen: 131_072, ropeTheta: 500_000,
                         ropeStyle: .adjacentPairs, ropeScaling: RopeScaling(kind: .llama3, factor: 8, lowFrequencyFactor: 1,
                                                                     highFrequencyFactor: 4, originalContextLength: 8192),
                         normEpsilon: 1e-5, weightType: .q4_0, tiedEmbedding: false)
    }
}

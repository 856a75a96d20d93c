/// The transformer families the engine runs.
public enum Architecture: String, Codable, Sendable, CaseIterable {
    case llama      // Llama 1-3, Mistral, SmolLM: adjacent-pair RoPE, no biases
    case qwen2      // q/k/v biases, NeoX RoPE
    case qwen3      // q/k RMSNorm per head, NeoX RoPE
    case qwen3MoE = "qwen3moe"  // Qwen3 attention with top-k routed experts
}

/// How RoPE pairs the dimensions of a head.
public enum RopeStyle: String, Codable, Sendable {
    /// Rotates dimensions (2i, 2i+1): Meta Llama weights, and `llama` GGUFs (q/k rows permuted).
    case adjacentPairs
    /// Rotates dimension j with j + headDim/2: Falcon, GPT-NeoX, Qwen.
    case neox
}

/// How RoPE frequencies are stretched for a longer context.
public enum RopeScalingKind: String, Codable, Sendable {
    /// Llama 3.1: low frequencies divided by `factor`, high ones kept, a smooth blend between
    /// (distributed-llama header keys 14-17; GGUF files carry it as a `rope_freqs` tensor).
    case llama3
    /// Positions divided by `factor` (GGUF `rope.scaling.type = linear`).
    case linear
    /// YaRN (GGUF `rope.scaling.type = yarn`).
    case yarn
}

public struct RopeScaling: Codable, Sendable, Equatable {
    public var kind: RopeScalingKind
    public var factor: Float
    public var lowFrequencyFactor: Float
    public var highFrequencyFactor: Float
    public var originalContextLength: Int

    public init(kind: RopeScalingKind, factor: Float, lowFrequencyFactor: Float = 1, highFrequencyFactor: Float = 4,
                originalContextLength: Int) {
        self.kind = kind
        self.factor = factor
        self.lowFrequencyFactor = lowFrequencyFactor
        self.highFrequencyFactor = highFrequencyFactor
        self.originalContextLength = originalContextLength
    }
}

public enum Activation: String, Codable, Sendable {
    case silu, gelu
}

/// What a model is, independent of the file format it came in: both `.m` and GGUF files map to
/// this one description.
public struct ModelDescription: Codable, Sendable, Equatable {
    public var architecture: Architecture
    public var dim: Int
    /// Dense FFN size (`hidden_dim`, GGUF `feed_forward_length`).
    public var hiddenDim: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var vocabSize: Int
    /// The context length the model was trained for; `--max-seq-len` may lower it.
    public var maxSeqLen: Int
    public var expertCount: Int
    public var activeExpertCount: Int
    public var expertHiddenDim: Int
    public var activation: Activation
    public var ropeTheta: Float
    public var ropeStyle: RopeStyle
    public var ropeScaling: RopeScaling?
    public var normEpsilon: Float
    /// The type of the attention and FFN matrices (layer 0's q projection).
    public var weightType: TensorType
    /// True when the output projection reuses the token embedding (no separate `output` tensor).
    public var tiedEmbedding: Bool

    public init(
        architecture: Architecture, dim: Int, hiddenDim: Int, layerCount: Int, headCount: Int,
        kvHeadCount: Int, headDim: Int, vocabSize: Int, maxSeqLen: Int, expertCount: Int = 0,
        activeExpertCount: Int = 0, expertHiddenDim: Int = 0, activation: Activation = .silu,
        ropeTheta: Float, ropeStyle: RopeStyle, ropeScaling: RopeScaling? = nil,
        normEpsilon: Float, weightType: TensorType, tiedEmbedding: Bool
    ) {
        self.architecture = architecture
        self.dim = dim
        self.hiddenDim = hiddenDim
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
        self.vocabSize = vocabSize
        self.maxSeqLen = maxSeqLen
        self.expertCount = expertCount
        self.activeExpertCount = activeExpertCount
        self.expertHiddenDim = expertHiddenDim
        self.activation = activation
        self.ropeTheta = ropeTheta
        self.ropeStyle = ropeStyle
        self.ropeScaling = ropeScaling
        self.normEpsilon = normEpsilon
        self.weightType = weightType
        self.tiedEmbedding = tiedEmbedding
    }

    /// Width of all query heads together: `headDim * headCount`.
    public var qDim: Int { headDim * headCount }
    /// Width of all key (or value) heads together: `headDim * kvHeadCount`.
    public var kvDim: Int { headDim * kvHeadCount }
    public var isMoE: Bool { expertCount > 0 }

    /// Checks the dimensions make a runnable transformer; `path` names the file in the error.
    func validate(path: String) throws {
        func check(_ ok: Bool, _ reason: String) throws {
            if !ok { throw ModelFormatError.invalidHeader(path: path, reason: reason) }
        }
        try check(dim > 0 && layerCount > 0 && headCount > 0 && kvHeadCount > 0 && headDim > 0 && vocabSize > 0,
                  "dim, layers, heads, kv heads, head dim and vocab must be positive (dim \(dim), layers \(layerCount), heads \(headCount), kv heads \(kvHeadCount), head dim \(headDim), vocab \(vocabSize))")
        try check(headCount % kvHeadCount == 0, "\(headCount) heads are not a multiple of \(kvHeadCount) kv heads")
        try check(hiddenDim > 0 || isMoE, "hidden dim must be positive")
        try check(maxSeqLen > 0, "max sequence length must be positive")
        if isMoE {
            try check(activeExpertCount > 0 && activeExpertCount <= expertCount,
                      "\(activeExpertCount) active experts of \(expertCount)")
            try check(expertHiddenDim > 0, "expert hidden dim must be positive")
        }
        try check(normEpsilon > 0 && normEpsilon < 1, "norm epsilon \(normEpsilon) out of range")
    }
}

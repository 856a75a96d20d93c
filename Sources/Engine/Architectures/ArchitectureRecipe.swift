import ModelFormat
import QuantKernels

/// What sets one transformer family apart from the others. The forward pass (`NodeCompute`) is
/// written once; each family's file declares its recipe, and `recipe(for:)` looks it up.
struct ArchitectureRecipe: Sendable {
    /// Which head elements RoPE rotates together.
    var ropeLayout: RoPE.Layout
    /// q/k/v projections carry biases (`attn_q.bias`, ...).
    var hasQKVBias: Bool
    /// q and k are RMS-normalized per head before RoPE (`attn_q_norm`, `attn_k_norm`).
    var hasQKNorm: Bool
    /// A router picks experts for the feed-forward block.
    var isMixtureOfExperts: Bool
    /// Expert weights are renormalized to sum to one over the chosen experts.
    var normalizesTopKWeights: Bool

    /// Every family the engine runs; a new architecture adds its file and one entry here.
    static let registry: [Architecture: ArchitectureRecipe] = [
        .llama: .llama, .qwen2: .qwen2, .qwen3: .qwen3, .qwen3MoE: .qwen3MoE,
    ]

    /// The model's own RoPE style wins: `.m` files may say NeoX for a Llama-architecture model.
    func ropeLayout(for model: ModelDescription) -> RoPE.Layout {
        model.ropeStyle == .neox ? .neox : .adjacentPairs
    }
}

/// Whether the engine can run a model file, checked before anything is loaded or connected.
///
///     try ModelSupport.check(file)   // throws ModelFormatError naming the file and what is missing
public enum ModelSupport {
    /// Refuses an architecture the engine has no recipe for, a file that lacks what its family's
    /// forward pass uses, and RoPE scaling the engine does not implement.
    public static func check(_ file: ModelFile) throws {
        guard let recipe = ArchitectureRecipe.registry[file.model.architecture] else {
            throw ModelFormatError.unsupportedArchitecture(path: file.path, architecture: file.model.architecture.rawValue)
        }
        try recipe.check(file)
    }
}

extension ArchitectureRecipe {
    /// Refuses a file that lacks what this family's forward pass uses (a Qwen2 file without its
    /// q/k/v biases would run, and answer garbage), or whose RoPE scaling is not implemented here
    /// (linear and YaRN: ignoring them gives wrong text with no error).
    func check(_ file: ModelFile) throws {
        if let scaling = file.model.ropeScaling, scaling.kind != .llama3 {
            throw ModelFormatError.unsupportedRopeScaling(path: file.path, kind: scaling.kind.rawValue, factor: scaling.factor)
        }
        let roles = Set(file.tensors.filter { $0.layer == 0 }.map(\.role))
        let needed: [(Bool, TensorRole)] = [(hasQKVBias, .queryBias), (hasQKNorm, .queryNorm), (isMixtureOfExperts, .router)]
        for (uses, role) in needed where uses && !roles.contains(role) {
            throw ModelFormatError.missingTensor(path: file.path, tensor: "blk.0.\(role)")
        }
    }
}

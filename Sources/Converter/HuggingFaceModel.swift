import Foundation
import ModelFormat

/// A Hugging Face checkpoint's `config.json` and tensor names mapped onto the `.m` layout.
///
/// Architectures: `LlamaForCausalLM` and `MistralForCausalLM` (q/k rows permuted for adjacent-pair
/// RoPE, since Hugging Face stores them for the rotate-half form), `Qwen3ForCausalLM` and
/// `Qwen3MoeForCausalLM` (NeoX RoPE, stored as is). Everything the `.m` format or the engine cannot
/// express is refused by name: biases (all of Qwen2), RoPE scaling other than Llama 3.1's,
/// activations other than SiLU and tanh-GELU, MoE variants with dense layers or unnormalized
/// routing, norm epsilons that are not a power of ten.
enum HuggingFaceModel {
    static func source(_ checkpoint: HuggingFaceCheckpoint) throws -> ConversionSource {
        let config = checkpoint.config
        let path = checkpoint.configPath
        var notes: [String] = []

        func refuse(_ what: String, _ reason: String) -> ConverterError {
            .cannotConvertFaithfully(path: path, what: what, reason: reason)
        }
        func int(_ key: String) throws -> Int {
            guard !config[key].isNull else { throw ConverterError.invalidConfig(path: path, key: key, reason: "is missing") }
            guard let value = config[key].int, value >= 0 else {
                throw ConverterError.invalidConfig(path: path, key: key, reason: "is not a non-negative integer")
            }
            return value
        }
        func optionalInt(_ key: String) throws -> Int? { config[key].isNull ? nil : try int(key) }

        let modelType = config["model_type"].string ?? ""
        let className = config["architectures"].array?.first?.string ?? ""
        let architecture: Architecture
        switch (modelType, className) {
        case ("llama", _), ("mistral", _), (_, "LlamaForCausalLM"), (_, "MistralForCausalLM"): architecture = .llama
        case ("qwen3", _), (_, "Qwen3ForCausalLM"): architecture = .qwen3
        case ("qwen3_moe", _), (_, "Qwen3MoeForCausalLM"): architecture = .qwen3MoE
        case ("qwen2", _), (_, "Qwen2ForCausalLM"):
            throw refuse("a Qwen2 model", "its q/k/v projections have biases, and a .m file has no bias tensors")
        default:
            throw ConverterError.unsupportedArchitecture(path: path, architecture: className.isEmpty ? modelType : className)
        }

        if config["attention_bias"].bool == true { throw refuse("attention_bias: true", "a .m file has no bias tensors") }
        if config["mlp_bias"].bool == true { throw refuse("mlp_bias: true", "a .m file has no bias tensors") }

        let activation: Activation
        switch config["hidden_act"].string ?? config["hidden_activation"].string ?? "silu" {
        case "silu", "swish": activation = .silu
        case "gelu_pytorch_tanh", "gelu_new": activation = .gelu
        case let other: throw refuse("hidden_act \"\(other)\"", "the engine computes SiLU or the tanh form of GELU only")
        }

        let dim = try int("hidden_size")
        let headCount = try int("num_attention_heads")
        guard headCount > 0 else { throw ConverterError.invalidConfig(path: path, key: "num_attention_heads", reason: "is 0") }
        let headDim = try optionalInt("head_dim") ?? dim / headCount
        var maxSeqLen = try int("max_position_embeddings")
        // Mistral's sliding window equals full attention for contexts no longer than the window.
        if let window = try optionalInt("sliding_window"), config["use_sliding_window"].bool ?? (architecture == .llama), window < maxSeqLen {
            notes.append("sliding window of \(window) tokens: the context is capped at \(window), where full attention (what the engine computes) equals it")
            maxSeqLen = window
        }

        let rope = config["rope_parameters"].object != nil ? config["rope_parameters"] : config["rope_scaling"]
        let thetaValue = config["rope_parameters"]["rope_theta"].double ?? config["rope_theta"].double ?? 10000
        guard thetaValue >= 1, thetaValue <= Double(Int32.max), thetaValue.rounded() == thetaValue else {
            throw refuse("rope_theta \(thetaValue)", "the .m header stores it as a 32-bit integer")
        }
        var scaling: RopeScaling?
        let ropeType = rope["rope_type"].string ?? rope["type"].string ?? "default"
        switch ropeType {
        case "default": break
        case "llama3" where architecture == .llama:
            func integral(_ key: String) throws -> Int {
                guard let value = rope[key].double, value.rounded() == value, value >= 1, value <= Double(Int32.max) else {
                    throw refuse("rope_scaling.\(key) \(rope[key].double.map { String($0) } ?? "(missing)")",
                                 "the .m header stores Llama 3.1 RoPE scaling as positive integers")
                }
                return Int(value)
            }
            scaling = RopeScaling(kind: .llama3, factor: Float(try integral("factor")),
                                  lowFrequencyFactor: Float(try integral("low_freq_factor")),
                                  highFrequencyFactor: Float(try integral("high_freq_factor")),
                                  originalContextLength: try integral("original_max_position_embeddings"))
        default:
            throw refuse("RoPE scaling \"\(ropeType)\"", "the engine implements Llama 3.1's frequency scaling only")
        }

        let epsilon = config["rms_norm_eps"].double ?? 1e-6
        try checkPowerOfTen(epsilon) { refuse("rms_norm_eps \(epsilon)", $0) }

        var expertCount = 0, activeExperts = 0, expertHidden = 0
        if architecture == .qwen3MoE {
            expertCount = try int("num_experts")
            activeExperts = try int("num_experts_per_tok")
            expertHidden = try int("moe_intermediate_size")
            if config["norm_topk_prob"].bool != true {
                throw refuse("norm_topk_prob: false", "the engine renormalizes the chosen experts' router weights")
            }
            if let step = try optionalInt("decoder_sparse_step"), step != 1 {
                throw refuse("decoder_sparse_step \(step)", "a .m file makes every layer a mixture of experts")
            }
            if let dense = config["mlp_only_layers"].array, !dense.isEmpty {
                throw refuse("mlp_only_layers \(dense.compactMap(\.int))", "a .m file makes every layer a mixture of experts")
            }
        }
        if architecture != .llama, config["use_sliding_window"].bool == true {
            throw refuse("use_sliding_window: true", "the engine attends to the whole context in every layer")
        }

        let embedding = checkpoint.tensor("model.embed_tokens.weight")
        let tied = config["tie_word_embeddings"].bool ?? (checkpoint.tensor("lm_head.weight") == nil)
        let model = ModelDescription(
            architecture: architecture, dim: dim, hiddenDim: try optionalInt("intermediate_size") ?? 0,
            layerCount: try int("num_hidden_layers"), headCount: headCount,
            kvHeadCount: try optionalInt("num_key_value_heads") ?? headCount, headDim: headDim,
            vocabSize: try int("vocab_size"), maxSeqLen: maxSeqLen, expertCount: expertCount,
            activeExpertCount: activeExperts, expertHiddenDim: expertHidden, activation: activation,
            ropeTheta: Float(thetaValue), ropeStyle: architecture == .llama ? .adjacentPairs : .neox,
            ropeScaling: scaling, normEpsilon: Float(epsilon),
            weightType: checkpoint.tensor("model.layers.0.self_attn.q_proj.weight")?.type ?? embedding?.type ?? .f32,
            tiedEmbedding: tied)
        try ConversionPlan.check(model, path: path)

        var tensors: [String: SourceTensor] = [:]
        var used: Set<String> = []
        for name in try model.dllamaTensorNames() {
            let hfName = huggingFaceName(of: StableName(name), tied: tied)
            guard let tensor = checkpoint.tensor(hfName) else {
                throw ConverterError.missingTensor(path: checkpoint.folder, tensor: hfName)
            }
            tensors[name] = tensor
            used.insert(hfName)
        }
        for name in checkpoint.tensorNames where !used.contains(name) {
            if name.hasSuffix(".rotary_emb.inv_freq") { continue }  // recomputed from rope_theta
            if name == "lm_head.weight" && tied {
                notes.append("lm_head.weight ignored: tie_word_embeddings makes the output projection the embedding")
                continue
            }
            throw ConverterError.unexpectedTensor(path: checkpoint.tensor(name)?.file.path ?? checkpoint.folder, tensor: name)
        }
        return ConversionSource(inputPath: checkpoint.folder, kind: "Hugging Face \(className.isEmpty ? modelType : className)",
                                model: model, tensors: tensors, permutesQueryKeyRows: architecture == .llama,
                                vocabulary: nil, notes: notes)
    }

    /// The Hugging Face tensor name of a `.m` tensor.
    static func huggingFaceName(of name: StableName, tied: Bool) -> String {
        guard let layer = name.layer else {
            switch name.role {
            case "token_embd": return "model.embed_tokens.weight"
            case "output_norm": return "model.norm.weight"
            default: return tied ? "model.embed_tokens.weight" : "lm_head.weight"
            }
        }
        let prefix = "model.layers.\(layer)."
        let projections = ["ffn_gate": "gate_proj", "ffn_down": "down_proj", "ffn_up": "up_proj"]
        if let expert = name.expert, let projection = projections[name.role] {
            return prefix + "mlp.experts.\(expert).\(projection).weight"
        }
        let suffixes = [
            "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
            "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_down": "mlp.down_proj",
            "ffn_up": "mlp.up_proj", "ffn_gate_inp": "mlp.gate", "attn_q_norm": "self_attn.q_norm",
            "attn_k_norm": "self_attn.k_norm", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
        ]
        return prefix + (suffixes[name.role] ?? name.role) + ".weight"
    }
}

/// Checks `epsilon` is 10^-k for k in 1...12, which is all a `.m` header can store.
func checkPowerOfTen(_ epsilon: Double, refusal: (String) -> ConverterError) throws {
    let exponent = (-log10(epsilon)).rounded()
    guard epsilon > 0, (1...12).contains(exponent), abs(epsilon / pow(10, -exponent) - 1) < 1e-3 else {
        throw refusal("the .m header stores the norm epsilon as a power of ten (1e-5, 1e-6, ...)")
    }
}

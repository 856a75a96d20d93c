import Foundation

/// Seeded random numbers (SplitMix64) for test weights.
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    mutating func symmetric() -> Float { Float(Double(next() >> 11) / Double(1 << 53) * 2 - 1) }
}

/// A safetensors element type and how a float is stored in it.
enum SafetensorsDType: String {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"

    var size: Int { self == .f32 ? 4 : 2 }

    /// The value as stored and read back (what a correct reader sees).
    func rounded(_ x: Float) -> Float {
        switch self {
        case .f32: x
        case .f16: Float(Float16(x))
        case .bf16: Float(bitPattern: bf16Bits(x) << 16)
        }
    }

    /// Round to nearest even on the upper 16 bits.
    private func bf16Bits(_ x: Float) -> UInt32 {
        let bits = x.bitPattern
        return (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16
    }

    func append(_ x: Float, to data: inout Data) {
        switch self {
        case .f32: withUnsafeBytes(of: x.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        case .f16: withUnsafeBytes(of: Float16(x).bitPattern.littleEndian) { data.append(contentsOf: $0) }
        case .bf16: withUnsafeBytes(of: UInt16(bf16Bits(x)).littleEndian) { data.append(contentsOf: $0) }
        }
    }
}

/// A tensor of a test checkpoint: its values as stored (already rounded to the dtype).
struct TestTensor {
    var name: String
    var dtype: SafetensorsDType
    var shape: [Int]
    var values: [Float]
}

/// Writes `.safetensors` files the way the reference implementation does: u64 header length,
/// the JSON header padded with spaces to a multiple of 8, the tensors back to back.
enum SafetensorsWriter {
    static func write(_ tensors: [TestTensor], to path: String) throws {
        var header: [String: Any] = ["__metadata__": ["format": "pt"]]
        var data = Data()
        for t in tensors {
            let begin = data.count
            for x in t.values { t.dtype.append(x, to: &data) }
            header[t.name] = ["dtype": t.dtype.rawValue, "shape": t.shape, "data_offsets": [begin, data.count]]
        }
        try write(header: header, data: data, to: path)
    }

    /// A file with this exact header object (for damaged-header tests) and data.
    static func write(header: [String: Any], data: Data, to path: String) throws {
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(data)
        try file.write(to: URL(fileURLWithPath: path))
    }
}

/// A tiny Hugging Face checkpoint of a Llama, Qwen3 or Qwen3-MoE model with seeded random weights,
/// written as a real folder: config.json in the architecture's real layout, two safetensors
/// shards with model.safetensors.index.json, and optionally a tokenizer.json.
struct TinyCheckpoint {
    enum Kind { case llama, qwen3, qwen3MoE }

    var kind: Kind
    var dim = 64, hidden = 128, layers = 2, heads = 4, kvHeads = 2, headDim = 16
    var vocab = 256
    var experts = 4, activeExperts = 2, expertHidden = 32
    var tied = true
    var ropeTheta = 500_000.0
    /// Llama 3.1 scaling (factor, low, high, original context), Llama only.
    /// (8, 1, 4, 32) rather than Llama 3.2's (32, 1, 4, 8192): with an original context of 32, the scaling
    /// changes the rotation at the first positions enough for the logits to show it.
    var llama3Scaling: (Double, Double, Double, Int)? = (8, 1, 4, 32)
    var epsilon = 1e-5
    var seed: UInt64 = 1
    /// Each shard's dtype: BF16 embedding, F16 layer 0 (shard 1), F32 for the rest (shard 2).
    var tensors: [TestTensor] = []

    init(kind: Kind, vocab: Int = 256, configure: (inout TinyCheckpoint) -> Void = { _ in }) {
        self.kind = kind
        self.vocab = vocab
        if kind != .llama {
            headDim = 32  // qDim 128 != dim 64: the .m header must carry head_dim
            llama3Scaling = nil
            ropeTheta = 1_000_000
            epsilon = 1e-6
        }
        configure(&self)
        makeTensors()
    }

    var qDim: Int { heads * headDim }
    var kvDim: Int { kvHeads * headDim }

    private mutating func makeTensors() {
        var random = SeededRandom(seed: seed)
        var out: [TestTensor] = []
        func add(_ name: String, _ shape: [Int], _ dtype: SafetensorsDType, norm: Bool = false) {
            let count = shape.reduce(1, *)
            let scale = 1 / Float(shape.last!).squareRoot()
            let values = (0..<count).map { _ in
                dtype.rounded(norm ? 1 + 0.2 * random.symmetric() : 1.7 * scale * random.symmetric())
            }
            out.append(TestTensor(name: name, dtype: dtype, shape: shape, values: values))
        }
        add("model.embed_tokens.weight", [vocab, dim], .bf16)
        for l in 0..<layers {
            let dtype: SafetensorsDType = l == 0 ? .f16 : .f32
            let p = "model.layers.\(l)."
            add(p + "input_layernorm.weight", [dim], dtype, norm: true)
            add(p + "self_attn.q_proj.weight", [qDim, dim], dtype)
            add(p + "self_attn.k_proj.weight", [kvDim, dim], dtype)
            add(p + "self_attn.v_proj.weight", [kvDim, dim], dtype)
            add(p + "self_attn.o_proj.weight", [dim, qDim], dtype)
            if kind != .llama {
                add(p + "self_attn.q_norm.weight", [headDim], dtype, norm: true)
                add(p + "self_attn.k_norm.weight", [headDim], dtype, norm: true)
            }
            add(p + "post_attention_layernorm.weight", [dim], dtype, norm: true)
            if kind == .qwen3MoE {
                add(p + "mlp.gate.weight", [experts, dim], dtype)
                for e in 0..<experts {
                    add(p + "mlp.experts.\(e).gate_proj.weight", [expertHidden, dim], dtype)
                    add(p + "mlp.experts.\(e).up_proj.weight", [expertHidden, dim], dtype)
                    add(p + "mlp.experts.\(e).down_proj.weight", [dim, expertHidden], dtype)
                }
            } else {
                add(p + "mlp.gate_proj.weight", [hidden, dim], dtype)
                add(p + "mlp.up_proj.weight", [hidden, dim], dtype)
                add(p + "mlp.down_proj.weight", [dim, hidden], dtype)
            }
        }
        add("model.norm.weight", [dim], .f32, norm: true)
        if !tied { add("lm_head.weight", [vocab, dim], .f32) }
        tensors = out
    }

    func tensor(_ name: String) -> TestTensor { tensors.first { $0.name == name }! }

    /// config.json as the architecture's transformers config writes it.
    var config: [String: Any] {
        var c: [String: Any] = [
            "hidden_size": dim, "intermediate_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
            "num_key_value_heads": kvHeads, "head_dim": headDim, "vocab_size": vocab, "rms_norm_eps": epsilon,
            "rope_theta": ropeTheta, "tie_word_embeddings": tied, "hidden_act": "silu", "attention_bias": false,
            "attention_dropout": 0.0, "initializer_range": 0.02, "torch_dtype": "bfloat16", "transformers_version": "4.51.0",
            "use_cache": true, "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009],
        ]
        switch kind {
        case .llama:
            c["architectures"] = ["LlamaForCausalLM"]
            c["model_type"] = "llama"
            c["max_position_embeddings"] = 131072
            c["mlp_bias"] = false
            c["pretraining_tp"] = 1
            if let (factor, low, high, original) = llama3Scaling {
                c["rope_scaling"] = ["factor": factor, "low_freq_factor": low, "high_freq_factor": high,
                                     "original_max_position_embeddings": original, "rope_type": "llama3"]
            } else {
                c["rope_scaling"] = NSNull()
            }
        case .qwen3, .qwen3MoE:
            c["architectures"] = [kind == .qwen3 ? "Qwen3ForCausalLM" : "Qwen3MoeForCausalLM"]
            c["model_type"] = kind == .qwen3 ? "qwen3" : "qwen3_moe"
            c["max_position_embeddings"] = 40960
            c["max_window_layers"] = layers
            c["rope_scaling"] = NSNull()
            c["sliding_window"] = NSNull()
            c["use_sliding_window"] = false
            if kind == .qwen3MoE {
                c["num_experts"] = experts
                c["num_experts_per_tok"] = activeExperts
                c["moe_intermediate_size"] = expertHidden
                c["norm_topk_prob"] = true
                c["decoder_sparse_step"] = 1
                c["mlp_only_layers"] = [Int]()
                c["output_router_logits"] = false
                c["router_aux_loss_coef"] = 0.001
            }
        }
        return c
    }

    /// Writes the folder: config.json, two shards and their index, and `tokenizer` as tokenizer.json.
    func write(to folder: String, tokenizer: String? = nil, config override: [String: Any] = [:]) throws {
        let config = self.config.merging(override) { $1 }
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: folder + "/config.json"))
        let first = tensors.filter { $0.name == "model.embed_tokens.weight" || $0.name.hasPrefix("model.layers.0.") }
        let second = tensors.filter { t in !first.contains { $0.name == t.name } }
        let shards = [("model-00001-of-00002.safetensors", first), ("model-00002-of-00002.safetensors", second)]
        var weightMap: [String: String] = [:]
        for (name, group) in shards {
            try SafetensorsWriter.write(group, to: folder + "/" + name)
            for t in group { weightMap[t.name] = name }
        }
        let total = tensors.reduce(0) { $0 + $1.values.count * $1.dtype.size }
        try JSONSerialization.data(withJSONObject: ["metadata": ["total_size": total], "weight_map": weightMap], options: [.sortedKeys])
            .write(to: URL(fileURLWithPath: folder + "/model.safetensors.index.json"))
        if let tokenizer {
            try FileManager.default.copyItem(atPath: tokenizer, toPath: folder + "/tokenizer.json")
        }
    }
}

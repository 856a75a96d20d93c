/// Maps a GGUF file's metadata and tensor table onto the format-independent `ModelDescription`
/// and stable tensor names (GGUF names without the `.weight` suffix).
enum GGUFModelMapping {
    static func model(of gguf: GGUFFile, path: String) throws -> ModelDescription {
        guard let archName = gguf.metadata["general.architecture"]?.string else {
            throw ModelFormatError.missingMetadata(path: path, key: "general.architecture")
        }
        guard let architecture = Architecture(rawValue: archName) else {
            throw ModelFormatError.unsupportedArchitecture(path: path, architecture: archName)
        }
        guard !gguf.tensors.isEmpty else {
            throw ModelFormatError.missingTensor(path: path, tensor: "token_embd.weight (this GGUF holds a vocabulary only)")
        }
        let meta = gguf.metadata
        func int(_ key: String) throws -> Int {
            guard let v = meta["\(archName).\(key)"] else { throw ModelFormatError.missingMetadata(path: path, key: "\(archName).\(key)") }
            guard let i = v.int else {
                throw ModelFormatError.invalidHeader(path: path, reason: "\(archName).\(key) is \(v.summary), not an integer")
            }
            return i
        }
        func optionalInt(_ key: String) throws -> Int? {
            meta["\(archName).\(key)"] == nil ? nil : try int(key)
        }
        func double(_ key: String) -> Double? { meta["\(archName).\(key)"]?.double }

        let byName = Dictionary(gguf.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        guard let embedding = byName["token_embd.weight"] else {
            throw ModelFormatError.missingTensor(path: path, tensor: "token_embd.weight")
        }
        guard let firstQ = byName["blk.0.attn_q.weight"] else {
            throw ModelFormatError.missingTensor(path: path, tensor: "blk.0.attn_q.weight")
        }
        let dim = try int("embedding_length")
        let headCount = try int("attention.head_count")
        let expertCount = try optionalInt("expert_count") ?? 0
        let vocabSize = try optionalInt("vocab_size") ?? embedding.dims.last ?? 0
        var scaling: RopeScaling?
        let scalingType = meta["\(archName).rope.scaling.type"]?.string ?? "linear"
        if let factor = double("rope.scaling.factor"), factor != 1, factor != 0, scalingType != "none" {
            guard let kind = RopeScalingKind(rawValue: scalingType) else {
                throw ModelFormatError.invalidHeader(path: path, reason: "rope scaling type \"\(scalingType)\" is not supported (linear, yarn)")
            }
            scaling = RopeScaling(kind: kind, factor: Float(factor),
                                  originalContextLength: try optionalInt("rope.scaling.original_context_length") ?? 0)
        }
        let model = ModelDescription(
            architecture: architecture, dim: dim,
            hiddenDim: try optionalInt("feed_forward_length") ?? 0,
            layerCount: try int("block_count"), headCount: headCount,
            kvHeadCount: try optionalInt("attention.head_count_kv") ?? headCount,
            headDim: try optionalInt("attention.key_length") ?? (headCount > 0 ? dim / headCount : 0),
            vocabSize: vocabSize, maxSeqLen: try int("context_length"),
            expertCount: expertCount, activeExpertCount: try optionalInt("expert_used_count") ?? 0,
            expertHiddenDim: try optionalInt("expert_feed_forward_length") ?? 0, activation: .silu,
            ropeTheta: Float(double("rope.freq_base") ?? 10000),
            ropeStyle: architecture == .llama ? .adjacentPairs : .neox, ropeScaling: scaling,
            normEpsilon: Float(double("attention.layer_norm_rms_epsilon") ?? 1e-5),
            weightType: firstQ.type, tiedEmbedding: byName["output.weight"] == nil)
        try model.validate(path: path)
        guard model.isMoE == (architecture == .qwen3MoE) else {
            throw ModelFormatError.invalidHeader(path: path, reason: "\(archName) with \(expertCount) experts")
        }
        return model
    }

    /// The tensor table with stable names, outermost-first shapes and absolute offsets.
    static func tensors(of gguf: GGUFFile) -> [TensorInfo] {
        gguf.tensors.map { t in
            let name = t.name.hasSuffix(".weight") ? String(t.name.dropLast(7)) : t.name
            return TensorInfo(name: name, type: t.type, shape: t.dims.reversed(),
                              offset: gguf.dataOffset + t.relativeOffset, byteCount: t.byteCount)
        }
    }

    /// Shapes each named tensor must have; a mismatch means the metadata and the tensors disagree.
    static func checkShapes(_ tensors: [String: TensorInfo], model: ModelDescription, path: String) throws {
        func expect(_ name: String, _ shape: [Int], required: Bool = true) throws {
            guard let t = tensors[name] else {
                if required { throw ModelFormatError.missingTensor(path: path, tensor: name) }
                return
            }
            guard t.shape == shape else {
                throw ModelFormatError.invalidTensor(path: path, tensor: name, reason: "shape \(t.shape), expected \(shape) from the metadata")
            }
        }
        let m = model
        try expect("token_embd", [m.vocabSize, m.dim])
        try expect("output", [m.vocabSize, m.dim], required: !m.tiedEmbedding)
        try expect("output_norm", [m.dim])
        for l in 0..<m.layerCount {
            try expect("blk.\(l).attn_q", [m.qDim, m.dim])
            try expect("blk.\(l).attn_k", [m.kvDim, m.dim])
            try expect("blk.\(l).attn_v", [m.kvDim, m.dim])
            try expect("blk.\(l).attn_output", [m.dim, m.qDim])
            try expect("blk.\(l).attn_norm", [m.dim])
            try expect("blk.\(l).ffn_norm", [m.dim])
            if m.isMoE {
                try expect("blk.\(l).ffn_gate_inp", [m.expertCount, m.dim])
                try expect("blk.\(l).ffn_gate_exps", [m.expertCount, m.expertHiddenDim, m.dim])
                try expect("blk.\(l).ffn_up_exps", [m.expertCount, m.expertHiddenDim, m.dim])
                try expect("blk.\(l).ffn_down_exps", [m.expertCount, m.dim, m.expertHiddenDim])
            } else {
                try expect("blk.\(l).ffn_gate", [m.hiddenDim, m.dim])
                try expect("blk.\(l).ffn_up", [m.hiddenDim, m.dim])
                try expect("blk.\(l).ffn_down", [m.dim, m.hiddenDim])
            }
            if m.architecture == .qwen3 || m.architecture == .qwen3MoE {
                try expect("blk.\(l).attn_q_norm", [m.headDim])
                try expect("blk.\(l).attn_k_norm", [m.headDim])
            }
            if m.architecture == .qwen2 {
                try expect("blk.\(l).attn_q.bias", [m.qDim])
                try expect("blk.\(l).attn_k.bias", [m.kvDim])
                try expect("blk.\(l).attn_v.bias", [m.kvDim])
            }
        }
    }
}

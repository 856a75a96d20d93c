import ModelFormat
import QuantKernels

/// The weight type of a conversion's output (`--weights`): the type of every attention and FFN
/// matrix and of the output projection; the embedding and the norms are always F32.
public enum WeightType: String, CaseIterable, Sendable {
    case f32, q40, q80

    public var tensorType: TensorType {
        switch self {
        case .f32: .f32
        case .q40: .q4_0
        case .q80: .q8_0
        }
    }
}

/// Which input row each output row of a tensor comes from.
enum RowOrder: Equatable {
    case identity
    /// Hugging Face q/k rows to adjacent-pair RoPE: each head's `[2][headDim/2]` rows become
    /// `[headDim/2][2]` (formats.md section 1: view `[heads][2][rows/heads/2]`, swap the last two).
    case adjacentPairRoPE(headDim: Int)
    /// Vocabulary rows reordered with the `.t` file: `newToOld[row]`; rows past it (a model's
    /// padding beyond the tokenizer's tokens) stay where they are.
    case vocabulary(newToOld: [Int])

    func sourceRow(_ row: Int) -> Int {
        switch self {
        case .identity:
            return row
        case .adjacentPairRoPE(let headDim):
            let head = row / headDim, within = row % headDim
            return head * headDim + (within % 2) * (headDim / 2) + within / 2
        case .vocabulary(let newToOld):
            return row < newToOld.count ? newToOld[row] : row
        }
    }
}

/// One tensor of the output file and where its rows come from.
struct PlannedTensor {
    var target: TensorInfo
    var source: SourceTensor
    var rowOrder: RowOrder

    /// Same encoding on both sides: the bytes are copied, blocks unchanged.
    var copiesBytes: Bool { source.type == target.type }
    /// Re-quantized (lossy): the error is measured.
    var measuresError: Bool { !copiesBytes && (target.type == .q4_0 || target.type == .q8_0) }
    /// The tensor's kind for the error report: `attn_q`, `ffn_down`, `output`.
    var role: String { StableName(target.name).role }
}

/// The whole conversion decided before a byte is written: the `.m` header, and for every tensor
/// of its layout the input tensor, its row order and whether it is copied or converted. Building
/// it checks every shape against the description and every type against what can be read.
struct ConversionPlan {
    var model: ModelDescription
    var header: DllamaHeader
    var tensors: [PlannedTensor]

    init(source: ConversionSource, weights: WeightType, vocabularyOrder: [Int]?) throws {
        var model = source.model
        model.weightType = weights.tensorType
        model.tiedEmbedding = false  // a .m file always stores the output projection
        try Self.check(model, path: source.inputPath)
        header = try DllamaHeader(model: model)
        self.model = model
        let shapeSource = source.kind.hasPrefix("GGUF") ? "the GGUF metadata" : "config.json"
        tensors = try model.dllamaLayout(headerSize: header.byteCount).map { target in
            guard let input = source.tensors[target.name] else {
                throw ConverterError.missingTensor(path: source.inputPath, tensor: target.name)
            }
            guard input.shape == target.shape else {
                throw ConverterError.shapeMismatch(path: input.file.path, tensor: input.name, shape: input.shape,
                                                   expected: target.shape, source: shapeSource)
            }
            _ = try input.blockType()
            var order = RowOrder.identity
            let role = StableName(target.name).role
            if source.permutesQueryKeyRows, role == "attn_q" || role == "attn_k" {
                order = .adjacentPairRoPE(headDim: model.headDim)
            } else if let vocabularyOrder, role == "token_embd" || role == "output" {
                order = .vocabulary(newToOld: vocabularyOrder)
            }
            return PlannedTensor(target: target, source: input, rowOrder: order)
        }
    }

    /// Checks the dimensions make a runnable model whose header values fit the `.m` format's i32s.
    static func check(_ m: ModelDescription, path: String) throws {
        let values: [(String, Int)] = [
            ("hidden_size", m.dim), ("num_hidden_layers", m.layerCount), ("num_attention_heads", m.headCount),
            ("num_key_value_heads", m.kvHeadCount), ("head_dim", m.headDim), ("vocab_size", m.vocabSize),
            ("max_position_embeddings", m.maxSeqLen), ("intermediate_size", m.isMoE ? max(m.hiddenDim, 1) : m.hiddenDim),
            ("num_experts", m.isMoE ? m.expertCount : 1), ("num_experts_per_tok", m.isMoE ? m.activeExpertCount : 1),
            ("moe_intermediate_size", m.isMoE ? m.expertHiddenDim : 1),
        ]
        for (key, value) in values where value < 1 || value > Int(Int32.max) {
            throw ConverterError.invalidConfig(path: path, key: key, reason: "is \(value), outside 1...\(Int32.max)")
        }
        guard m.headCount % m.kvHeadCount == 0 else {
            throw ConverterError.invalidConfig(path: path, key: "num_key_value_heads", reason: "(\(m.kvHeadCount)) does not divide the \(m.headCount) heads")
        }
        guard m.headDim % 2 == 0 else {
            throw ConverterError.invalidConfig(path: path, key: "head_dim", reason: "is \(m.headDim), but RoPE needs an even head dimension")
        }
        guard !m.isMoE || m.activeExpertCount <= m.expertCount else {
            throw ConverterError.invalidConfig(path: path, key: "num_experts_per_tok", reason: "(\(m.activeExpertCount)) exceeds the \(m.expertCount) experts")
        }
        if let s = m.ropeScaling {
            for (key, value) in [("factor", Double(s.factor)), ("low_freq_factor", Double(s.lowFrequencyFactor)),
                                 ("high_freq_factor", Double(s.highFrequencyFactor)), ("original_max_position_embeddings", Double(s.originalContextLength))]
            where !(value >= 1 && value <= Double(Int32.max)) {
                throw ConverterError.invalidConfig(path: path, key: "rope_scaling.\(key)", reason: "is \(value), outside 1...\(Int32.max)")
            }
        }
    }

    var outputBytes: Int { header.byteCount + tensors.reduce(0) { $0 + $1.target.byteCount } }

    /// Log lines saying what happens to each kind of tensor: copied, converted losslessly, re-quantized.
    var typeSummary: [String] {
        var groups: [String: (count: Int, bytes: Int)] = [:]
        var order: [String] = []
        for t in tensors {
            let how = t.copiesBytes ? "copied unchanged" : t.measuresError ? "re-quantized (lossy: measured error below)" : "converted exactly"
            let key = "\(t.source.typeName) -> \(t.target.type == .q4_0 ? "Q40" : t.target.type == .q8_0 ? "Q80" : t.target.type.description): \(how)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: (0, 0)].count += 1
            groups[key, default: (0, 0)].bytes += t.target.byteCount
        }
        return order.map { "  \($0), \(groups[$0]!.count) \(groups[$0]!.count == 1 ? "tensor" : "tensors"), \(formatBytes(groups[$0]!.bytes))" }
    }
}

import ModelFormat

/// What a conversion reads, whatever the input format: the model it describes and, for every
/// tensor of the `.m` layout (by stable name), where its rows are.
struct ConversionSource {
    var inputPath: String
    /// The input's kind for the log: `GGUF llama`, `Hugging Face Qwen3ForCausalLM`.
    var kind: String
    /// The model; `weightType` is the input's (layer 0's q projection), replaced by the target's.
    var model: ModelDescription
    /// Input tensors by `.m` stable name (`token_embd`, `blk.3.attn_q`, `blk.3.ffn_up.5`, `output`).
    var tensors: [String: SourceTensor]
    /// Whether q/k rows must be permuted from the Hugging Face layout to adjacent-pair RoPE.
    var permutesQueryKeyRows: Bool
    /// The vocabulary for the `.t` file, nil when the input carries none.
    var vocabulary: TokenTable?
    /// What was decided on the way, for the log.
    var notes: [String] = []
}

extension ModelDescription {
    /// The `.m` tensor names of this model, in file order.
    func dllamaTensorNames() throws -> [String] {
        try dllamaLayout().map(\.name)
    }
}

/// A `.m` stable name split into its layer and the rest: `blk.3.ffn_up.5` is (3, "ffn_up", 5).
struct StableName {
    var layer: Int?
    var role: String
    var expert: Int?

    init(_ name: String) {
        let parts = name.split(separator: ".").map(String.init)
        if parts.count >= 3, parts[0] == "blk", let layer = Int(parts[1]) {
            self.layer = layer
            role = parts[2]
            expert = parts.count > 3 ? Int(parts[3]) : nil
        } else {
            layer = nil
            role = name
            expert = nil
        }
    }
}

/// The tensor directory of a `.m` file, which stores no names or offsets: it is derived from the
/// header. Order and shapes follow formats.md section 1 (distributed-llama's `convert-hf.py`).
enum DllamaLayout {
    /// The tensors of `model` back to back from `headerSize`, with their offsets. With `fileSize`,
    /// the first tensor that does not fit is reported as truncation at once, so a damaged header
    /// (a billion layers) costs no more work than the file's size allows.
    static func tensors(of model: ModelDescription, headerSize: Int, path: String, fileSize: Int? = nil) throws -> [TensorInfo] {
        let wt = model.weightType
        var tensors: [TensorInfo] = []
        var offset = headerSize

        func put(_ name: String, _ type: TensorType, _ shape: [Int]) throws {
            guard let rowBytes = type.byteCount(elements: shape.last!) else {
                throw ModelFormatError.invalidHeader(
                    path: path,
                    reason: "tensor \(name) has rows of \(shape.last!) values, not a multiple of the \(type) block size \(type.blockSize)")
            }
            let (bytes, overflow) = rowBytes.multipliedReportingOverflow(by: shape.dropLast().reduce(1, *))
            guard !overflow, bytes < Int.max - offset else {
                throw ModelFormatError.invalidHeader(path: path, reason: "tensor \(name) shaped \(shape) is impossibly large")
            }
            if let fileSize, offset + bytes > fileSize {
                throw ModelFormatError.truncated(path: path, what: "tensor \(name) and any after it",
                                                 needed: bytes, available: max(fileSize - offset, 0))
            }
            tensors.append(TensorInfo(name: name, type: type, shape: shape, offset: offset, byteCount: bytes))
            offset += bytes
        }

        let dim = model.dim, qDim = model.qDim, kvDim = model.kvDim
        try put("token_embd", .f32, [model.vocabSize, dim])
        for l in 0..<model.layerCount {
            try put("blk.\(l).attn_q", wt, [qDim, dim])
            try put("blk.\(l).attn_k", wt, [kvDim, dim])
            try put("blk.\(l).attn_v", wt, [kvDim, dim])
            try put("blk.\(l).attn_output", wt, [dim, qDim])
            if model.isMoE {
                let hidden = model.expertHiddenDim
                try put("blk.\(l).ffn_gate_inp", .f32, [model.expertCount, dim])
                for e in 0..<model.expertCount {
                    try put("blk.\(l).ffn_gate.\(e)", wt, [hidden, dim])
                    try put("blk.\(l).ffn_down.\(e)", wt, [dim, hidden])
                    try put("blk.\(l).ffn_up.\(e)", wt, [hidden, dim])
                }
            } else {
                try put("blk.\(l).ffn_gate", wt, [model.hiddenDim, dim])
                try put("blk.\(l).ffn_down", wt, [dim, model.hiddenDim])
                try put("blk.\(l).ffn_up", wt, [model.hiddenDim, dim])
            }
            if model.architecture != .llama {
                try put("blk.\(l).attn_q_norm", .f32, [model.headDim])
                try put("blk.\(l).attn_k_norm", .f32, [model.headDim])
            }
            try put("blk.\(l).attn_norm", .f32, [dim])
            try put("blk.\(l).ffn_norm", .f32, [dim])
        }
        try put("output_norm", .f32, [dim])
        try put("output", wt, [model.vocabSize, dim])
        return tensors
    }
}

extension ModelDescription {
    /// The tensor directory a `.m` file of this model has (`headerSize` bytes of header first):
    /// what a planner needs to size a model it has only a description of.
    public func dllamaLayout(headerSize: Int = 8) throws -> [TensorInfo] {
        try DllamaLayout.tensors(of: self, headerSize: headerSize, path: "(\(architecture.rawValue) description)")
    }
}

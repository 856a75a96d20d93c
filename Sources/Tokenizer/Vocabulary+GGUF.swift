import ModelFormat

extension Vocabulary {
    /// Reads the vocabulary a GGUF file carries in its `tokenizer.ggml.*` metadata (formats.md
    /// section 4). Works on vocabulary-only GGUFs as well as on full models.
    ///
    /// ```swift
    /// let vocabulary = try Vocabulary(ggufPath: "SmolLM2-135M-Instruct.Q4_1.gguf")
    /// ```
    public init(ggufPath path: String) throws {
        try self.init(gguf: try GGUFFile.read(path: path), path: path)
    }

    /// The vocabulary of an already parsed GGUF file; `path` names it in errors.
    public init(gguf file: GGUFFile, path: String) throws {
        let metadata = file.metadata
        func require<T>(_ key: String, _ value: (GGUFValue) -> T?) throws -> T {
            guard let raw = metadata[key] else { throw TokenizerError.missingVocabulary(path: path, key: key) }
            guard let typed = value(raw) else {
                throw TokenizerError.invalidVocabulary(path: path, reason: "\(key) has the wrong type (\(raw.summary))")
            }
            return typed
        }
        let modelName: String = try require("tokenizer.ggml.model") { $0.string }
        let texts: [String] = try require("tokenizer.ggml.tokens") { $0.array?.strings }
        guard !texts.isEmpty else { throw TokenizerError.invalidVocabulary(path: path, reason: "tokenizer.ggml.tokens is empty") }
        let count = texts.count

        func optionalArray<T>(_ key: String, _ value: (GGUFArray) -> [T]?) throws -> [T]? {
            guard let raw = metadata[key] else { return nil }
            guard let array = raw.array.flatMap(value), array.count == count else {
                throw TokenizerError.invalidVocabulary(path: path, reason: "\(key) (\(raw.summary)) does not give one entry per token (\(count) tokens)")
            }
            return array
        }
        let scores = try optionalArray("tokenizer.ggml.scores") { $0.floats } ?? [Float](repeating: 0, count: count)
        let types = try optionalArray("tokenizer.ggml.token_type") { $0.ints }
        var kinds = types?.map { TokenKind(rawValue: $0) ?? .normal } ?? [TokenKind](repeating: .normal, count: count)

        func tokenID(_ key: String) throws -> Int? {
            guard let raw = metadata[key] else { return nil }
            guard let id = raw.int else { throw TokenizerError.invalidVocabulary(path: path, reason: "\(key) is not an integer (\(raw.summary))") }
            // Some converters write -1 (as u32 0xFFFFFFFF) for "none".
            if id < 0 || id == Int(UInt32.max) { return nil }
            guard id < count else {
                throw TokenizerError.invalidVocabulary(path: path, reason: "\(key) = \(id) is not a token id (the vocabulary has \(count) tokens)")
            }
            return id
        }
        let bos = try tokenID("tokenizer.ggml.bos_token_id")
        let endIDs = try ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"]
            .compactMap { try tokenID($0) }
        let unknown = try tokenID("tokenizer.ggml.unknown_token_id")
        let template = metadata["tokenizer.chat_template"]?.string

        switch modelName {
        case "llama":
            // Sentencepiece: `▁` (U+2581) is the space; `<0xNN>` tokens stand for one byte.
            let pieces = texts.enumerated().map { id, text -> [UInt8] in
                if kinds[id] == .byte, let byte = Self.byteFallbackValue(text) { return [byte] }
                return Self.replacingSentencePieceSpaces(Array(text.utf8))
            }
            self.init(model: .sentencePiece(addSpacePrefix: metadata["tokenizer.ggml.add_space_prefix"]?.bool ?? true),
                      pieces: pieces, scores: scores, kinds: kinds, bosID: bos,
                      addsBOS: metadata["tokenizer.ggml.add_bos_token"]?.bool ?? true,
                      endOfGenerationIDs: endIDs, unknownID: unknown, chatTemplateSource: template)
        case "gpt2":
            let preName: String = try require("tokenizer.ggml.pre") { $0.string }
            guard let family = PreTokenizerFamily(ggufName: preName) else {
                throw TokenizerError.unknownPreTokenizer(path: path, name: preName)
            }
            var pieces: [[UInt8]] = []
            pieces.reserveCapacity(count)
            for (id, text) in texts.enumerated() {
                // Regular tokens are byte-level mapped; added tokens (control, user-defined) are
                // plain text, which is also what an unmappable text must be.
                if kinds[id] == .normal || kinds[id] == .byte, let bytes = ByteLevelMapping.bytes(ofMapped: text) {
                    pieces.append(bytes)
                    if kinds[id] == .byte { kinds[id] = .normal }
                } else {
                    pieces.append(Array(text.utf8))
                    if kinds[id] == .normal { kinds[id] = .userDefined }
                }
            }
            let mergeTexts: [String] = try require("tokenizer.ggml.merges") { $0.array?.strings }
            let merges = try Self.mergeTable(mergeTexts, pieces: pieces, kinds: kinds, path: path)
            self.init(model: .byteLevelBPE(family, ignoreMerges: family.ignoresMerges),
                      pieces: pieces, scores: scores, kinds: kinds, bosID: bos,
                      // Without the key, llama.cpp starts Llama 3 prompts with BOS and the others without.
                      addsBOS: metadata["tokenizer.ggml.add_bos_token"]?.bool ?? (family == .llama3),
                      endOfGenerationIDs: endIDs, unknownID: unknown, chatTemplateSource: template, merges: merges)
        default:
            throw TokenizerError.unsupportedModel(path: path, model: modelName)
        }
    }

    /// `<0x0A>` -> 0x0A.
    static func byteFallbackValue(_ text: String) -> UInt8? {
        guard text.utf8.count == 6, text.hasPrefix("<0x"), text.hasSuffix(">") else { return nil }
        return UInt8(text.dropFirst(3).prefix(2), radix: 16)
    }

    static func replacingSentencePieceSpaces(_ bytes: [UInt8]) -> [UInt8] {
        // U+2581 LOWER ONE EIGHTH BLOCK is E2 96 81 in UTF-8.
        guard bytes.count >= 3 else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if i + 2 < bytes.count, bytes[i] == 0xE2, bytes[i + 1] == 0x96, bytes[i + 2] == 0x81 {
                out.append(0x20)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// The merge table keyed by token-id pairs. Each merge is "left right" in mapped text; its rank
    /// is its line number. A merge whose halves or result are not tokens cannot apply to token ids
    /// and is left out (llama.cpp would merge the text and then fall back to bytes; no released
    /// vocabulary has such merges).
    static func mergeTable(_ texts: [String], pieces: [[UInt8]], kinds: [TokenKind], path: String) throws -> [UInt64: MergeRule] {
        var idsByPiece: [[UInt8]: Int32] = [:]
        idsByPiece.reserveCapacity(pieces.count)
        for (id, piece) in pieces.enumerated() where kinds[id] == .normal && idsByPiece[piece] == nil {
            idsByPiece[piece] = Int32(id)
        }
        var table: [UInt64: MergeRule] = [:]
        table.reserveCapacity(texts.count)
        for (rank, text) in texts.enumerated() {
            // The halves are separated by the first space; a mapped token never contains a raw space.
            guard let space = text.utf8.firstIndex(of: 0x20) else {
                throw TokenizerError.invalidVocabulary(path: path, reason: "merge \(rank) \"\(text)\" is not two tokens separated by a space")
            }
            let leftText = String(decoding: text.utf8[..<space], as: UTF8.self)
            let rightText = String(decoding: text.utf8[text.utf8.index(after: space)...], as: UTF8.self)
            guard let left = ByteLevelMapping.bytes(ofMapped: leftText), let right = ByteLevelMapping.bytes(ofMapped: rightText),
                  let leftID = idsByPiece[left], let rightID = idsByPiece[right], let mergedID = idsByPiece[left + right]
            else { continue }
            let key = UInt64(UInt32(leftID)) << 32 | UInt64(UInt32(rightID))
            // A repeated merge keeps its first (lowest) rank.
            if table[key] == nil { table[key] = MergeRule(rank: Int32(rank), merged: mergedID) }
        }
        return table
    }
}

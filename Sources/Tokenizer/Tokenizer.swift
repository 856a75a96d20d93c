import ModelFormat

/// Text to token ids and back, exactly as the model was trained.
///
/// ```swift
/// let tokenizer = try Tokenizer(path: "SmolLM2-135M-Instruct.Q4_1.gguf")   // or a .t file
/// let ids = tokenizer.encode("The capital of France is")               // [504, 3575, 282, 4649, 314]
/// tokenizer.decode(ids)                                                // "The capital of France is"
/// let prompt = tokenizer.encode(chatText, parseSpecialTokens: true)    // "<|im_start|>" -> one token
/// ```
///
/// Special tokens (control and user-defined tokens; `bos_id` and above in a `.t` file) are
/// recognised in text only with `parseSpecialTokens`, which chat templates use; otherwise a user
/// typing `<|im_end|>` gets the ordinary tokens of those characters.
public struct Tokenizer: Sendable {
    /// The result of encoding: the ids, and how many input bytes no token could represent (they
    /// are left out; only a vocabulary without byte tokens or an unknown token has such bytes).
    public struct Encoding: Sendable, Equatable {
        public var ids: [Int]
        public var droppedByteCount: Int

        public init(ids: [Int], droppedByteCount: Int) {
            self.ids = ids
            self.droppedByteCount = droppedByteCount
        }
    }

    public let vocabulary: Vocabulary
    private let encoder: Encoder

    private enum Encoder: Sendable {
        case sentencePiece(SentencePieceEncoder, addSpacePrefix: Bool)
        case bpe(BPEEncoder)
        case scoreMerge(ScoreMergeEncoder)
    }

    public init(vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        switch vocabulary.model {
        case .sentencePiece(let addSpacePrefix):
            encoder = .sentencePiece(SentencePieceEncoder(vocabulary: vocabulary), addSpacePrefix: addSpacePrefix)
        case .byteLevelBPE(let family, let ignoreMerges):
            encoder = .bpe(BPEEncoder(vocabulary: vocabulary, family: family, ignoresMerges: ignoreMerges))
        case .scoreMerge:
            encoder = .scoreMerge(ScoreMergeEncoder(vocabulary: vocabulary))
        }
    }

    /// Loads a `.t` tokenizer file or the vocabulary of a GGUF file, told apart by their magic.
    public init(path: String) throws {
        let file = try MappedFile(path: path)
        if file.size >= 4, Int32(littleEndian: file.bytes.loadUnaligned(as: Int32.self)) == Vocabulary.tokenizerFileMagic {
            self.init(vocabulary: try Vocabulary(tokenizerFilePath: path))
        } else if file.size >= 4, Array(file.bytes[0..<4]) == Array("GGUF".utf8) {
            self.init(vocabulary: try Vocabulary(ggufPath: path))
        } else {
            throw TokenizerError.notATokenizerFile(path: path, reason: file.size < 4 ? "only \(file.size) bytes" : "neither the .t magic 0x567124 nor GGUF")
        }
    }

    /// The tokenizer for a model: `tokenizerPath` when given (`--tokenizer`), otherwise the
    /// vocabulary inside the model file, which must then be a GGUF (`.m` files carry none).
    ///
    /// ```swift
    /// let tokenizer = try Tokenizer(modelPath: "llama3.m", tokenizerPath: "llama3.t")
    /// ```
    public init(modelPath: String, tokenizerPath: String?) throws {
        if let tokenizerPath {
            try self.init(path: tokenizerPath)
            return
        }
        let file = try MappedFile(path: modelPath)
        if file.size >= 4, UInt32(littleEndian: file.bytes.loadUnaligned(as: UInt32.self)) == 0x0A00_ABCD {
            throw TokenizerError.modelCarriesNoVocabulary(path: modelPath)
        }
        try self.init(path: modelPath)
    }

    /// Refuses a tokenizer that belongs to another model than one with `vocabularyRows` rows.
    /// Models may pad their vocabulary past the tokenizer's (Qwen: by a few hundred rows), but a
    /// tokenizer with more tokens than the model, or far fewer, is another model's.
    public func checkBelongs(toVocabularyRows rows: Int, path: String) throws {
        let tokens = vocabulary.count
        if tokens > rows || tokens < rows - 1024 {
            throw TokenizerError.mismatchedModel(path: path, tokens: tokens, vocabularyRows: rows)
        }
    }

    /// The token ids of `text`, with BOS first when `addBOS` (default: the vocabulary's setting).
    public func encode(_ text: String, addBOS: Bool? = nil, parseSpecialTokens: Bool = false) -> [Int] {
        encodeReportingDropped(text, addBOS: addBOS, parseSpecialTokens: parseSpecialTokens).ids
    }

    /// Like `encode`, also counting the input bytes no token could represent.
    public func encodeReportingDropped(_ text: String, addBOS: Bool? = nil, parseSpecialTokens: Bool = false) -> Encoding {
        var ids: [Int] = []
        var dropped = 0
        if addBOS ?? vocabulary.addsBOS, let bos = vocabulary.bosID { ids.append(bos) }
        // llama.cpp prefixes the sentencepiece space to the first text and to text right after a
        // special token (`is_prev_special` in its `tokenize_impl`).
        var previousWasSpecial = true
        for fragment in SpecialTokenSplitter(vocabulary: vocabulary).fragments(of: text, parseSpecialTokens: parseSpecialTokens) {
            switch fragment {
            case .special(let id):
                ids.append(id)
                previousWasSpecial = true
            case .text(let piece):
                switch encoder {
                case .sentencePiece(let encoder, let addSpacePrefix):
                    encoder.encode(addSpacePrefix && previousWasSpecial ? " " + piece : piece, into: &ids, dropped: &dropped)
                case .bpe(let encoder):
                    encoder.encode(piece, into: &ids, dropped: &dropped)
                case .scoreMerge(let encoder):
                    encoder.encode(piece, into: &ids, dropped: &dropped)
                }
                previousWasSpecial = false
            }
        }
        return Encoding(ids: ids, droppedByteCount: dropped)
    }

    /// The bytes a token stands for (a special token's text; an out-of-range id gives none).
    public func bytes(of id: Int) -> [UInt8] {
        vocabulary.pieces.indices.contains(id) ? vocabulary.pieces[id] : []
    }

    /// The text of `ids`. Invalid UTF-8 (a cut multi-byte character) is repaired with U+FFFD; use
    /// `bytes(of:)` with a `UTF8StreamDecoder` to print tokens as they come.
    ///
    /// Special tokens come out as their text (BOS included). Sentencepiece vocabularies drop the
    /// space their encoder put in front of the first text, as sentencepiece's own decoder does, so
    /// that `decode(encode(text)) == text`.
    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        var atTextStart = true
        for id in ids {
            var piece = self.bytes(of: id)
            if vocabulary.isSpecial(id) {
                bytes += piece
                continue
            }
            if atTextStart, case .sentencePiece(_, true) = encoder, piece.first == 0x20 {
                piece.removeFirst()
            }
            atTextStart = false
            bytes += piece
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether generation ends at `id` (EOS, end of turn and the like).
    public func isEndOfGeneration(_ id: Int) -> Bool {
        vocabulary.endOfGenerationIDs.contains(id)
    }
}

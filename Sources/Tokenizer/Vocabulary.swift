/// The tokens of a model with everything the encoders and decoder need, independent of the file it
/// came from (`.t` or GGUF).
///
/// Every piece is stored as the raw bytes it stands for: byte-level BPE's printable-character
/// mapping is undone and sentencepiece's `▁` is a space, so encoders and the decoder work on bytes
/// whatever the source format.
///
/// ```swift
/// let vocabulary = try Vocabulary(ggufPath: "ggml-vocab-llama-bpe.gguf")
/// vocabulary.id(of: Array("Hello".utf8))   // 9906
/// vocabulary.pieces[9906]                  // the bytes of "Hello"
/// ```
public struct Vocabulary: Sendable {
    /// How the vocabulary turns text into tokens.
    public enum Model: Sendable, Equatable {
        /// Sentencepiece (GGUF model `llama`): score-ordered merges over characters, `<0xNN>` byte
        /// fallback, a space prefix.
        case sentencePiece(addSpacePrefix: Bool)
        /// Byte-level BPE (GGUF model `gpt2`): a pre-tokenizer family, then ranked merges per word.
        /// `ignoreMerges` takes a whole word that is itself a token without merging (Llama 3).
        case byteLevelBPE(PreTokenizerFamily, ignoreMerges: Bool)
        /// distributed-llama's `.t` encoder: shortest regular tokens, then highest-score merges.
        case scoreMerge
    }

    /// The GGUF `token_type` of a token (the `.t` format knows only regular and special).
    public enum TokenKind: Int, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// One rule of a byte-level BPE merge table: its rank (lower merges first) and the result.
    struct MergeRule: Sendable {
        var rank: Int32
        var merged: Int32
    }

    public let model: Model
    /// The bytes of each token, indexed by id.
    public let pieces: [[UInt8]]
    /// Sentencepiece scores (or `-id` for `.t` files of byte-level vocabularies); 0 when absent.
    public let scores: [Float]
    public let kinds: [TokenKind]
    public let bosID: Int?
    /// Whether a prompt starts with BOS when the caller does not say.
    public let addsBOS: Bool
    /// The end-of-sequence token the metadata names (templates write its text after a turn).
    public let eosID: Int?
    /// Tokens that end generation: EOS, end-of-turn and the like (sorted, no duplicates).
    public let endOfGenerationIDs: [Int]
    public let unknownID: Int?
    /// The chat template's source text (Jinja for GGUF), if the file carries one.
    public let chatTemplateSource: String?

    /// Regular tokens by their bytes (special tokens excluded, so raw text can never produce them).
    /// Keyed by slices so encoders look up a span of their input without copying it (an
    /// `ArraySlice` hashes and compares by its elements, whatever array it views).
    let regularIDs: [ArraySlice<UInt8>: Int32]
    /// Tokens that text may contain only when special-token parsing is asked for.
    let specialIDs: [Int]
    /// `<0xNN>` byte-fallback tokens (sentencepiece), by byte value.
    let byteFallbackIDs: [Int32?]
    /// Byte-level BPE merges, keyed by `left << 32 | right` token ids.
    let merges: [UInt64: MergeRule]

    public var count: Int { pieces.count }

    /// The regular token whose bytes are exactly `bytes`.
    public func id(of bytes: [UInt8]) -> Int? { regularIDs[bytes[...]].map(Int.init) }

    /// The special (control or user-defined) token whose text is exactly `text`.
    public func id(ofSpecial text: String) -> Int? {
        let bytes = Array(text.utf8)
        return specialIDs.first { pieces[$0] == bytes }
    }

    /// The token's text for display: its bytes as UTF-8, with invalid sequences repaired.
    public func pieceText(_ id: Int) -> String {
        guard pieces.indices.contains(id) else { return "" }
        return String(decoding: pieces[id], as: UTF8.self)
    }

    public func isSpecial(_ id: Int) -> Bool {
        guard kinds.indices.contains(id) else { return false }
        return kinds[id] == .control || kinds[id] == .userDefined
    }

    init(model: Model, pieces: [[UInt8]], scores: [Float], kinds: [TokenKind], bosID: Int?, addsBOS: Bool,
         endOfGenerationIDs: [Int], unknownID: Int?, chatTemplateSource: String?,
         merges: [UInt64: MergeRule] = [:]) {
        self.model = model
        self.pieces = pieces
        self.scores = scores
        self.kinds = kinds
        self.bosID = bosID
        self.addsBOS = addsBOS
        self.eosID = endOfGenerationIDs.first.flatMap { pieces.indices.contains($0) ? $0 : nil }
        self.unknownID = unknownID
        self.chatTemplateSource = chatTemplateSource
        self.merges = merges

        var regular: [ArraySlice<UInt8>: Int32] = [:]
        regular.reserveCapacity(pieces.count)
        var special: [Int] = []
        var byteFallback = [Int32?](repeating: nil, count: 256)
        for (id, piece) in pieces.enumerated() {
            switch kinds[id] {
            case .control, .userDefined:
                if !piece.isEmpty { special.append(id) }
            case .byte:
                if piece.count == 1 { byteFallback[Int(piece[0])] = Int32(id) }
            case .normal:
                // A duplicated piece keeps its first id, as the reference encoders do.
                if regular[piece[...]] == nil { regular[piece[...]] = Int32(id) }
            case .unknown, .unused:
                break
            }
        }
        regularIDs = regular
        byteFallbackIDs = byteFallback
        // Longest first, so `<|eot_id|>`-like tokens win over any shorter special token they start with.
        specialIDs = special.sorted { pieces[$0].count > pieces[$1].count || (pieces[$0].count == pieces[$1].count && $0 < $1) }

        var endIDs = Set(endOfGenerationIDs.filter { pieces.indices.contains($0) })
        // Chat models end a turn with a token of their own that the metadata often does not list
        // as EOS; llama.cpp adds these by text too.
        let endOfTurnTexts: Set<String> = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                                           "<|end_of_text|>", "<|eom_id|>", "<｜end▁of▁sentence｜>", "</s>"]
        for id in special where endOfTurnTexts.contains(String(decoding: pieces[id], as: UTF8.self)) {
            endIDs.insert(id)
        }
        self.endOfGenerationIDs = endIDs.sorted()
    }
}

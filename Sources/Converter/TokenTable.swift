import Tokenizer

/// A vocabulary as a distributed-llama `.t` file holds it: each token's raw bytes and score, which
/// tokens are special, BOS, the end-of-generation ids, whether prompts start with BOS, and the chat
/// template.
///
/// A `.t` reader takes the ids below `bos_id` as regular tokens and `bos_id` and above as special
/// ones. `dllamaOrder()` rearranges a vocabulary that does not fit that rule (SmolLM2 puts its 17
/// control tokens at ids 0-16 with BOS at 1) and says where every token went, so the embedding and
/// output rows can be permuted to match.
public struct TokenTable: Sendable, Equatable {
    public var pieces: [[UInt8]]
    /// Merge priorities: sentencepiece scores, or `-id` for byte-level BPE (a lower id merges first).
    public var scores: [Float]
    public var isSpecial: [Bool]
    public var bosID: Int?
    public var endOfGenerationIDs: [Int]
    public var addsBOS: Bool
    public var chatTemplate: String?

    public init(pieces: [[UInt8]], scores: [Float], isSpecial: [Bool], bosID: Int?, endOfGenerationIDs: [Int],
                addsBOS: Bool, chatTemplate: String?) {
        self.pieces = pieces
        self.scores = scores
        self.isSpecial = isSpecial
        self.bosID = bosID
        self.endOfGenerationIDs = endOfGenerationIDs
        self.addsBOS = addsBOS
        self.chatTemplate = chatTemplate
    }

    /// The table of a loaded vocabulary (a GGUF's). Byte-level BPE vocabularies carry no scores,
    /// so each token gets `-id`, as distributed-llama's converter gives them.
    public init(_ vocabulary: Vocabulary) {
        var scores = vocabulary.scores
        if case .byteLevelBPE = vocabulary.model { scores = (0..<vocabulary.count).map { -Float($0) } }
        self.init(pieces: vocabulary.pieces, scores: scores, isSpecial: (0..<vocabulary.count).map(vocabulary.isSpecial),
                  bosID: vocabulary.bosID, endOfGenerationIDs: vocabulary.endOfGenerationIDs, addsBOS: vocabulary.addsBOS,
                  chatTemplate: vocabulary.chatTemplateSource)
    }

    public var count: Int { pieces.count }

    /// The vocabulary reordered so that a `.t` reader sees the right tokens as special: the regular
    /// tokens in their order, then BOS, then the other special tokens in their order.
    /// `newToOld[new id] == old id`; nil when the vocabulary already has that order (nothing moves).
    ///
    /// A vocabulary without BOS uses its first special token as the boundary (`bos_id`, not added
    /// to prompts); one with neither cannot be written.
    public func dllamaOrder() throws -> (table: TokenTable, newToOld: [Int]?) {
        let boundary = bosID ?? isSpecial.firstIndex(of: true)
        guard let boundary else {
            throw ConverterError.invalidTokenizer(path: "(vocabulary)", reason: "it has no BOS and no special token, and a .t file needs bos_id to tell regular tokens from special ones")
        }
        let regular = indices.filter { !isSpecial[$0] && $0 != boundary }
        let special = indices.filter { isSpecial[$0] && $0 != boundary }
        let order = regular + [boundary] + special
        var table = self
        table.isSpecial = order.indices.map { $0 >= regular.count }
        table.bosID = regular.count
        if bosID == nil { table.addsBOS = false }
        if order == Array(indices) { return (table, nil) }
        var oldToNew = [Int](repeating: 0, count: count)
        for (new, old) in order.enumerated() { oldToNew[old] = new }
        table.pieces = order.map { pieces[$0] }
        table.scores = order.map { scores[$0] }
        table.endOfGenerationIDs = endOfGenerationIDs.map { oldToNew[$0] }.sorted()
        return (table, order)
    }

    private var indices: Range<Int> { 0..<count }

    /// A line for the log about what `dllamaOrder()` did.
    static func describeReordering(old: TokenTable, new: TokenTable, newToOld: [Int]?) -> String {
        guard let newToOld, let bos = new.bosID else {
            return "vocabulary: \(old.count) tokens, special tokens already from bos_id \(new.bosID ?? 0) on: ids unchanged"
        }
        let moved = newToOld.indices.filter { newToOld[$0] != $0 }.count
        let specialOld = newToOld[bos...].sorted()
        let contiguous = specialOld.last! - specialOld.first! + 1 == specialOld.count
        let span = specialOld.count == 1 ? "id \(specialOld[0])" : contiguous ? "ids \(specialOld.first!)-\(specialOld.last!)"
            : "ids \(specialOld.prefix(3).map(String.init).joined(separator: ", ")), ..."
        let bosText = String(decoding: new.pieces[bos], as: UTF8.self)
        return "vocabulary: the \(new.count - bos) special tokens (\(span)) moved after the \(bos) regular tokens, BOS \(bosText) "
            + "\(newToOld[bos]) -> \(bos), so a .t reader (ids below bos_id are regular) sees them as special; \(moved) ids change, "
            + "and the embedding and output rows are permuted to match"
    }
}

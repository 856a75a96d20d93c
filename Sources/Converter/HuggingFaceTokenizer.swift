import Foundation
import Tokenizer

/// A Hugging Face `tokenizer.json` (BPE model) read into a `TokenTable`, with BOS, end-of-generation
/// ids and the chat template from `config.json`, `tokenizer_config.json` and
/// `generation_config.json` beside it.
///
/// Token texts are turned back into the bytes they stand for: byte-level vocabularies (GPT-2
/// style, `ByteLevel` decoder) through the byte-to-character table, sentencepiece-style ones
/// (`▁` for the space, `<0xNN>` byte-fallback tokens) by replacing the space mark and decoding the
/// byte. Added tokens are special and keep their text. Scores are `-id`, as distributed-llama's
/// converter writes them.
enum HuggingFaceTokenizer {
    static func table(_ checkpoint: HuggingFaceCheckpoint, tokenizerPath path: String) throws -> TokenTable {
        func invalid(_ reason: String) -> ConverterError { .invalidTokenizer(path: path, reason: reason) }
        let root = try JSONValue.read(path: path, what: "tokenizer.json")
        let model = root["model"]
        guard (model["type"].string ?? "BPE") == "BPE", let vocab = model["vocab"].object else {
            throw invalid("its model is \(model["type"].string ?? "missing"), not BPE with a vocab")
        }
        let byteLevel = mentions(root["decoder"], "ByteLevel") || mentions(root["pre_tokenizer"], "ByteLevel")
        let sentencePiece = model["byte_fallback"].bool == true || mentions(root["decoder"], "Metaspace") || mentions(root["decoder"], "ByteFallback")
        guard byteLevel || sentencePiece else {
            throw invalid("neither a ByteLevel nor a sentencepiece-style (Metaspace, byte fallback) decoder, so its token texts cannot be turned into bytes")
        }

        var texts: [Int: (text: String, special: Bool)] = [:]
        for (text, id) in vocab {
            guard let id = JSONValue(id).int, id >= 0 else { throw invalid("vocab entry \(text) has no valid id") }
            texts[id] = (text, false)
        }
        for token in root["added_tokens"].array ?? [] {
            guard let id = token["id"].int, id >= 0, let text = token["content"].string else { throw invalid("an added token has no id or content") }
            texts[id] = (text, true)
        }
        let count = (texts.keys.max() ?? -1) + 1
        guard count > 0 else { throw invalid("no tokens") }
        if texts.count != count, let gap = (0..<count).first(where: { texts[$0] == nil }) {
            throw invalid("no token has id \(gap) (ids run to \(count - 1)), and a .t file cannot leave a hole")
        }
        var pieces: [[UInt8]] = []
        var isSpecial: [Bool] = []
        pieces.reserveCapacity(count)
        for id in 0..<count {
            let (text, special) = texts[id]!
            isSpecial.append(special)
            if special {
                pieces.append(Array(text.utf8))
            } else if byteLevel {
                pieces.append(ByteLevelMapping.bytes(ofMapped: text) ?? Array(text.utf8))
            } else {
                pieces.append(sentencePieceBytes(text))
            }
        }
        let idsByText = Dictionary(texts.map { ($0.value.text, $0.key) }, uniquingKeysWith: { a, b in min(a, b) })

        let config = checkpoint.config
        let tokenizerConfig = try checkpoint.sidecar("tokenizer_config.json").map { try JSONValue.read(path: $0, what: "tokenizer_config.json") } ?? JSONValue(nil)
        let generationConfig = try checkpoint.sidecar("generation_config.json").map { try JSONValue.read(path: $0, what: "generation_config.json") } ?? JSONValue(nil)
        func tokenID(_ value: JSONValue) -> Int? {
            if let id = value.int { return (0..<count).contains(id) ? id : nil }
            return (value.string ?? value["content"].string).flatMap { idsByText[$0] }
        }
        func tokenIDs(_ value: JSONValue) -> [Int] { value.array.map { $0.compactMap(tokenID) } ?? tokenID(value).map { [$0] } ?? [] }

        let bos = tokenID(config["bos_token_id"]) ?? tokenID(tokenizerConfig["bos_token"]) ?? tokenID(generationConfig["bos_token_id"])
        let eos = Set(tokenIDs(config["eos_token_id"]) + tokenIDs(tokenizerConfig["eos_token"]) + tokenIDs(generationConfig["eos_token_id"]))
        // Prompts start with BOS when the config says so, or when the post-processor puts it there.
        let addsBOS = tokenizerConfig["add_bos_token"].bool
            ?? bos.map { mentions(root["post_processor"], String(decoding: pieces[$0], as: UTF8.self)) } ?? false

        var template = tokenizerConfig["chat_template"].string
        if template == nil, let named = tokenizerConfig["chat_template"].array {
            template = (named.first { $0["name"].string == "default" } ?? named.first)?["template"].string
        }
        if template == nil, let file = checkpoint.sidecar("chat_template.jinja") {
            template = try? String(contentsOfFile: file, encoding: .utf8)
        }
        return TokenTable(pieces: pieces, scores: (0..<count).map { -Float($0) }, isSpecial: isSpecial, bosID: bos,
                          endOfGenerationIDs: eos.sorted(), addsBOS: addsBOS, chatTemplate: template)
    }

    /// Whether `value` (any JSON) contains the string `text` anywhere: a decoder's or
    /// pre-tokenizer's type in a `Sequence`, BOS in a post-processor template.
    static func mentions(_ value: JSONValue, _ text: String) -> Bool {
        if let s = value.string { return s == text }
        if let object = value.object { return object.values.contains { mentions(JSONValue($0), text) } }
        if let array = value.array { return array.contains { mentions($0, text) } }
        return false
    }

    /// `▁` is a space; `<0x0A>` is the byte 0x0A.
    static func sentencePieceBytes(_ text: String) -> [UInt8] {
        if text.count == 6, text.hasPrefix("<0x"), text.hasSuffix(">"), let byte = UInt8(text.dropFirst(3).prefix(2), radix: 16) {
            return [byte]
        }
        return Array(text.replacingOccurrences(of: "\u{2581}", with: " ").utf8)
    }
}

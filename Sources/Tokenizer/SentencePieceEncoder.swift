/// Sentencepiece BPE (GGUF model `llama`), as llama.cpp's `llm_tokenizer_spm_session`: the text
/// (spaces already stand for `▁`) starts as one symbol per UTF-8 character; the adjacent pair
/// whose concatenation is the token with the highest score merges first (the leftmost pair on a
/// tie). A symbol left that is not a token becomes its `<0xNN>` byte tokens (byte fallback), or the
/// unknown token when the vocabulary has no byte tokens.
struct SentencePieceEncoder: Sendable {
    let vocabulary: Vocabulary

    func encode(_ text: String, into output: inout [Int], dropped: inout Int) {
        let bytes = Array(text.utf8)
        var spans: [(range: Range<Int>, id: Int32)] = []
        var index = 0
        while index < bytes.count {
            let width = min(Self.utf8SequenceLength(leadByte: bytes[index]), bytes.count - index)
            spans.append((index..<index + width, vocabulary.regularIDs[bytes[index..<index + width]] ?? -1))
            index += width
        }
        var merger = PairMerger(spans: spans)
        merger.run { left, right in
            guard let merged = vocabulary.regularIDs[bytes[Int(left.start)..<Int(right.end)]] else { return nil }
            return (-Double(vocabulary.scores[Int(merged)]), merged)
        }
        for symbol in merger.result {
            if symbol.id >= 0 {
                output.append(Int(symbol.id))
                continue
            }
            for byte in bytes[Int(symbol.start)..<Int(symbol.end)] {
                if let id = vocabulary.byteFallbackIDs[Int(byte)] {
                    output.append(Int(id))
                } else if let unknown = vocabulary.unknownID {
                    output.append(unknown)
                } else {
                    dropped += 1
                }
            }
        }
    }

    /// The length of the UTF-8 sequence a lead byte starts (1 for a stray continuation byte).
    static func utf8SequenceLength(leadByte: UInt8) -> Int {
        switch leadByte {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }
}

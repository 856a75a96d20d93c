/// Byte-level BPE (GGUF model `gpt2`): the pre-tokenizer splits the text into words; each word's
/// bytes start as single-byte tokens and the adjacent pair with the lowest merge rank merges first
/// (the leftmost pair on a tie), as in llama.cpp's `llm_tokenizer_bpe_session` and HF `BPE`.
struct BPEEncoder: Sendable {
    let vocabulary: Vocabulary
    let family: PreTokenizerFamily
    let ignoresMerges: Bool
    /// The regular token of each single byte (every byte-level vocabulary has all 256).
    private let byteIDs: [Int32]

    init(vocabulary: Vocabulary, family: PreTokenizerFamily, ignoresMerges: Bool) {
        self.vocabulary = vocabulary
        self.family = family
        self.ignoresMerges = ignoresMerges
        byteIDs = (0..<256).map { vocabulary.regularIDs[[UInt8($0)][...]] ?? -1 }
    }

    func encode(_ text: String, into output: inout [Int], dropped: inout Int) {
        let scalars = Array(text.unicodeScalars)
        let bytes = Array(text.utf8)
        var byteOffsets = [Int](repeating: 0, count: scalars.count + 1)
        for (index, scalar) in scalars.enumerated() {
            byteOffsets[index + 1] = byteOffsets[index] + UTF8.width(scalar)
        }
        // Words repeat (" the", " of"): encode each distinct word once per call.
        var cache: [ArraySlice<UInt8>: [Int32]] = [:]
        for range in family.ranges(in: scalars) {
            let word = bytes[byteOffsets[range.lowerBound]..<byteOffsets[range.upperBound]]
            if let known = cache[word] {
                output.append(contentsOf: known.map(Int.init))
                continue
            }
            var ids: [Int32] = []
            encodeWord(word, into: &ids, dropped: &dropped)
            if word.count <= 64 { cache[word] = ids }
            output.append(contentsOf: ids.map(Int.init))
        }
    }

    private func encodeWord(_ word: ArraySlice<UInt8>, into ids: inout [Int32], dropped: inout Int) {
        if ignoresMerges || word.count == 1, let whole = vocabulary.regularIDs[word] {
            ids.append(whole)
            return
        }
        let base = word.startIndex
        var merger = PairMerger(spans: word.indices.map { (range: ($0 - base)..<($0 - base + 1), id: byteIDs[Int(word[$0])]) })
        let merges = vocabulary.merges
        merger.run { left, right in
            guard left.id >= 0, right.id >= 0,
                  let rule = merges[UInt64(UInt32(left.id)) << 32 | UInt64(UInt32(right.id))] else { return nil }
            return (Double(rule.rank), rule.merged)
        }
        for symbol in merger.result {
            if symbol.id >= 0 {
                ids.append(symbol.id)
            } else if let unknown = vocabulary.unknownID {
                ids.append(Int32(unknown))
            } else {
                dropped += Int(symbol.length)  // a byte the vocabulary has no token for
            }
        }
    }
}

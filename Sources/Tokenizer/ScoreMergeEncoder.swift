/// distributed-llama's `.t` encoder (formats.md section 3, `Tokenizer::encode` in its
/// `src/tokenizer.cpp`): bytes are grouped into the shortest regular token starting at each point,
/// then the adjacent pair whose concatenation is a regular token with the highest score merges,
/// the first (leftmost) pair winning a tie.
///
/// Unlike the reference, a byte that starts no regular token does not abort the process: it
/// becomes the unknown token if the vocabulary has one, and is otherwise left out and counted.
struct ScoreMergeEncoder: Sendable {
    let vocabulary: Vocabulary
    private let longestPiece: Int

    init(vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        // At least 1: a vocabulary whose regular pieces are all empty (a damaged file) still encodes,
        // every byte unknown.
        longestPiece = max(vocabulary.regularIDs.keys.map(\.count).max() ?? 1, 1)
    }

    func encode(_ text: String, into output: inout [Int], dropped: inout Int) {
        let bytes = Array(text.utf8)
        var spans: [(range: Range<Int>, id: Int32)] = []
        var index = 0
        while index < bytes.count {
            // The reference appends bytes to a buffer until the buffer is a regular token: the
            // shortest token that starts here.
            var found: (length: Int, id: Int32)?
            for length in 1...min(longestPiece, bytes.count - index) {
                if let id = vocabulary.regularIDs[bytes[index..<index + length]] {
                    found = (length, id)
                    break
                }
            }
            if let found {
                spans.append((index..<index + found.length, found.id))
                index += found.length
            } else {
                flush(&spans, bytes: bytes, into: &output)
                if let unknown = vocabulary.unknownID { output.append(unknown) } else { dropped += 1 }
                index += 1
            }
        }
        flush(&spans, bytes: bytes, into: &output)
    }

    /// Merges a run of spans and appends the resulting tokens.
    private func flush(_ spans: inout [(range: Range<Int>, id: Int32)], bytes: [UInt8], into output: inout [Int]) {
        guard !spans.isEmpty else { return }
        // Spans must be contiguous for the merger: a left-out byte ends the run.
        var merger = PairMerger(spans: spans)
        merger.run { left, right in
            guard let merged = vocabulary.regularIDs[bytes[Int(left.start)..<Int(right.end)]] else { return nil }
            return (-Double(vocabulary.scores[Int(merged)]), merged)
        }
        output.append(contentsOf: merger.result.map { Int($0.id) })
        spans.removeAll(keepingCapacity: true)
    }
}

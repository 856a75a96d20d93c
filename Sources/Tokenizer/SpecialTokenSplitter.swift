/// Cuts text into special tokens and the text between them, for prompts built by a chat template.
///
/// At each position the longest special token that starts there wins (so `<|eot_id|>` is never read
/// as a shorter special token it begins with); matching is on exact bytes.
struct SpecialTokenSplitter {
    enum Fragment: Equatable {
        case text(String)
        case special(Int)
    }

    let vocabulary: Vocabulary

    func fragments(of text: String, parseSpecialTokens: Bool) -> [Fragment] {
        guard !text.isEmpty else { return [] }
        guard parseSpecialTokens, !vocabulary.specialIDs.isEmpty else { return [.text(text)] }
        // Special tokens by first byte, longest first (specialIDs is sorted longest first).
        var byFirstByte = [[Int]](repeating: [], count: 256)
        for id in vocabulary.specialIDs { byFirstByte[Int(vocabulary.pieces[id][0])].append(id) }

        let bytes = Array(text.utf8)
        var fragments: [Fragment] = []
        var textStart = 0
        var index = 0
        scan: while index < bytes.count {
            for id in byFirstByte[Int(bytes[index])] {
                let piece = vocabulary.pieces[id]
                if index + piece.count <= bytes.count, bytes[index..<index + piece.count].elementsEqual(piece) {
                    if textStart < index { fragments.append(.text(String(decoding: bytes[textStart..<index], as: UTF8.self))) }
                    fragments.append(.special(id))
                    index += piece.count
                    textStart = index
                    continue scan
                }
            }
            index += 1
        }
        if textStart < bytes.count { fragments.append(.text(String(decoding: bytes[textStart...], as: UTF8.self))) }
        return fragments
    }
}

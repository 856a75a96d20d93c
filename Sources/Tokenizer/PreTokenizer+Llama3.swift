extension PreTokenizerScanner {
    /// Llama 3 (`llama-bpe`) and, with `maxDigits` 1, Qwen2. The regex it mirrors:
    ///
    ///     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
    ///
    /// (Qwen2 has `\p{N}` in place of `\p{N}{1,3}`.)
    func splitLlama3(in range: Range<Int>, maxDigits: Int) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            let next = llama3PieceEnd(at: index, end: end, maxDigits: maxDigits)
            pieces.append(index..<next)
            index = next
        }
        return pieces
    }

    private func llama3PieceEnd(at i: Int, end: Int, maxDigits: Int) -> Int {
        let c = classes[i]
        // (?i:'s|'t|'re|'ve|'m|'ll|'d): contractions, in either case.
        let contraction = contractionLength(at: i, end: end, caseInsensitive: true)
        if contraction > 0 { return i + contraction }

        // [^\r\n\p{L}\p{N}]?\p{L}+ : letters, with one leading non-letter, non-digit, non-newline
        // character (a space, an apostrophe, a bracket...).
        if c.contains(.letter) { return runEnd(from: i, to: end) { $0.contains(.letter) } }
        if !c.contains(.lineBreak), !c.contains(.number), i + 1 < end, classes[i + 1].contains(.letter) {
            return runEnd(from: i + 1, to: end) { $0.contains(.letter) }
        }

        // \p{N}{1,3}: digits in groups of at most three, counted from the left.
        if c.contains(.number) {
            return runEnd(from: i, to: min(end, i + maxDigits)) { $0.contains(.number) }
        }

        // ' ?[^\s\p{L}\p{N}]+[\r\n]*': punctuation with an optional leading space, and the line
        // breaks right after it.
        let symbolStart = scalars[i] == " " && i + 1 < end && classes[i + 1].isOther ? i + 1 : i
        if classes[symbolStart].isOther {
            let symbolsEnd = runEnd(from: symbolStart, to: end) { $0.isOther }
            return runEnd(from: symbolsEnd, to: end) { $0.contains(.lineBreak) }
        }

        // \s*[\r\n]+ : whitespace up to and including its last line break. (\s* is greedy and
        // backs off only until a line break follows, so the match ends at the run's last \r or \n.)
        let whitespaceRunEnd = runEnd(from: i, to: end) { $0.contains(.whitespace) }
        if let lastBreak = (i..<whitespaceRunEnd).last(where: { classes[$0].contains(.lineBreak) }) {
            return lastBreak + 1
        }

        // \s+(?!\S)|\s+
        if c.contains(.whitespace) { return whitespaceEnd(from: i, end: end) }
        return i + 1  // unreachable: every scalar is a letter, digit, whitespace or other
    }
}

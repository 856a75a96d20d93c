extension PreTokenizerScanner {
    /// GPT-2 (`gpt-2`, and SmolLM between digits). The regex it mirrors:
    ///
    ///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    ///
    /// Contractions are lowercase only, and unlike Llama 3 a letter run takes at most a space in
    /// front, digits are not grouped, and line breaks are ordinary whitespace.
    func splitGPT2(in range: Range<Int>) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            let next = gpt2PieceEnd(at: index, end: end)
            pieces.append(index..<next)
            index = next
        }
        return pieces
    }

    private func gpt2PieceEnd(at i: Int, end: Int) -> Int {
        let contraction = contractionLength(at: i, end: end, caseInsensitive: false)
        if contraction > 0 { return i + contraction }

        // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': a run of one class with an optional leading space.
        let runs: [(CharacterClass) -> Bool] = [{ $0.contains(.letter) }, { $0.contains(.number) }, { $0.isOther }]
        for test in runs {
            let start = scalars[i] == " " && i + 1 < end && test(classes[i + 1]) ? i + 1 : i
            if test(classes[start]) { return runEnd(from: start, to: end, test) }
        }

        // \s+(?!\S)|\s+
        if classes[i].contains(.whitespace) { return whitespaceEnd(from: i, end: end) }
        return i + 1  // unreachable: every scalar is a letter, digit, whitespace or other
    }
}

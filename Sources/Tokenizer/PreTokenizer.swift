/// The text-splitting rules byte-level BPE applies before merging, one family per
/// `tokenizer.ggml.pre` value. Merges never cross the boundary between two pieces.
///
/// Each family mirrors the regex llama.cpp (`llama-vocab.cpp`) and Hugging Face `tokenizers` use
/// for it, written as a hand scanner over Unicode scalars: at each position the alternatives are
/// tried in the regex's order and the first that matches wins (regex alternation is ordered, not
/// longest-match).
///
/// ```swift
/// let pieces = PreTokenizerFamily.llama3.split("Hello world!!")   // ["Hello", " world", "!!"]
/// ```
public enum PreTokenizerFamily: String, CaseIterable, Sendable {
    case llama3 = "llama-bpe"
    case gpt2 = "gpt-2"
    case smollm
    case qwen2

    /// The family for a `tokenizer.ggml.pre` value, or nil for one not supported.
    public init?(ggufName: String) {
        switch ggufName {
        case "llama-bpe", "llama3", "llama-v3": self = .llama3
        case "gpt-2", "gpt2": self = .gpt2
        case "smollm": self = .smollm
        case "qwen2": self = .qwen2
        default: return nil
        }
    }

    /// Llama 3's tokenizer takes a whole word that is itself a token without merging
    /// (`ignore_merges` in its tokenizer.json, `ignore_merges` in llama.cpp).
    var ignoresMerges: Bool { self == .llama3 }

    /// Splits `text` into the pieces BPE encodes separately.
    public func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return ranges(in: scalars).map { String(String.UnicodeScalarView(scalars[$0])) }
    }

    /// The pieces of `scalars` as index ranges, in order, covering every scalar.
    func ranges(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        let classes = scalars.map(CharacterClass.init)
        let scanner = PreTokenizerScanner(scalars: scalars, classes: classes)
        switch self {
        case .llama3: return scanner.splitLlama3(in: 0..<scalars.count, maxDigits: 3)
        case .qwen2: return scanner.splitLlama3(in: 0..<scalars.count, maxDigits: 1)
        case .gpt2: return scanner.splitGPT2(in: 0..<scalars.count)
        case .smollm:
            // SmolLM (and StarCoder): first every digit alone (`\p{N}`, HF `Digits(individual_digits)`),
            // then the GPT-2 rules inside each stretch between digits.
            var result: [Range<Int>] = []
            var start = 0
            for index in scalars.indices where classes[index].contains(.number) {
                if start < index { result += scanner.splitGPT2(in: start..<index) }
                result.append(index..<index + 1)
                start = index + 1
            }
            if start < scalars.count { result += scanner.splitGPT2(in: start..<scalars.count) }
            return result
        }
    }
}

/// Shared helpers of the scanners: the text, its classes, and run lengths.
struct PreTokenizerScanner {
    let scalars: [Unicode.Scalar]
    let classes: [CharacterClass]

    /// The end of the run starting at `start` of scalars whose class satisfies `test`, before `end`.
    func runEnd(from start: Int, to end: Int, _ test: (CharacterClass) -> Bool) -> Int {
        var index = start
        while index < end && test(classes[index]) { index += 1 }
        return index
    }

    /// The length of a contraction (`'s 't 're 've 'm 'll 'd`) at `index`, or 0.
    func contractionLength(at index: Int, end: Int, caseInsensitive: Bool) -> Int {
        guard scalars[index] == "'", index + 1 < end else { return 0 }
        func lower(_ i: Int) -> UInt32 {
            let v = scalars[i].value
            return caseInsensitive && (65...90).contains(v) ? v + 32 : v
        }
        switch lower(index + 1) {
        case 0x73, 0x74, 0x6D, 0x64: return 2  // s t m d
        case 0x72 where index + 2 < end && lower(index + 2) == 0x65: return 3  // re
        case 0x76 where index + 2 < end && lower(index + 2) == 0x65: return 3  // ve
        case 0x6C where index + 2 < end && lower(index + 2) == 0x6C: return 3  // ll
        default: return 0
        }
    }

    /// `\s+(?!\S)` then `\s+`, for a whitespace run starting at `start`: the run minus its last
    /// character when a non-space follows (that character then leads the next piece, as in
    /// " world"), the whole run otherwise.
    func whitespaceEnd(from start: Int, end: Int) -> Int {
        let runEnd = runEnd(from: start, to: end) { $0.contains(.whitespace) }
        if runEnd == end || runEnd - start == 1 { return runEnd }
        return runEnd - 1
    }
}

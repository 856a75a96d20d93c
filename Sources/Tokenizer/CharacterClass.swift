/// The character classes the pre-tokenizer regexes use, per Unicode scalar:
/// `\p{L}` (general category L*), `\p{N}` (N*), `\s` (the White_Space property, the set llama.cpp's
/// `unicode_cpt_flags` and the Rust `regex` crate use) and `[\r\n]`.
struct CharacterClass: OptionSet, Sendable {
    let rawValue: UInt8
    static let letter = CharacterClass(rawValue: 1)
    static let number = CharacterClass(rawValue: 2)
    static let whitespace = CharacterClass(rawValue: 4)
    static let lineBreak = CharacterClass(rawValue: 8)  // \r or \n (also whitespace)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(_ scalar: Unicode.Scalar) {
        if scalar.isASCII {
            self = Self.ascii[Int(scalar.value)]
            return
        }
        self = Self.classify(scalar)
    }

    /// `[^\s\p{L}\p{N}]`: punctuation, symbols, controls and the like.
    var isOther: Bool { rawValue & 7 == 0 }

    private static let ascii: [CharacterClass] = (0..<128).map { classify(Unicode.Scalar(UInt8($0))) }

    private static func classify(_ scalar: Unicode.Scalar) -> CharacterClass {
        let properties = scalar.properties
        var result: CharacterClass = []
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            result.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            result.insert(.number)
        default:
            break
        }
        if properties.isWhitespace { result.insert(.whitespace) }
        if scalar == "\r" || scalar == "\n" { result.insert(.lineBreak) }
        return result
    }
}

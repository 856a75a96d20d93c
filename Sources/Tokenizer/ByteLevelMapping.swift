/// GPT-2's byte-to-character table: byte-level BPE vocabularies (GGUF model `gpt2`, HF `ByteLevel`)
/// store each byte as a printable character so that merges can be written as text.
///
/// The printable bytes `!`...`~`, `¡`...`¬` and `®`...`ÿ` stand for themselves; the other 68 bytes,
/// taken in increasing order, become U+0100, U+0101, ... (so the space 0x20 is `Ġ` U+0120 and the
/// newline 0x0A is `Ċ` U+010A). The vocabulary undoes this at load time; encoders work on raw bytes.
public enum ByteLevelMapping {
    /// The character that stands for each byte.
    static let characterForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(UInt8(byte)) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte each mapped character stands for, indexed by scalar value (U+0000...U+0143;
    /// -1 for characters that stand for no byte). An array, not a dictionary: loading a
    /// 128 000-token vocabulary with 280 000 merges looks up millions of characters.
    static let byteForCharacter: [Int16] = {
        var inverse = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in characterForByte.enumerated() { inverse[Int(scalar.value)] = Int16(byte) }
        return inverse
    }()

    static func isPrintable(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// The raw bytes a mapped token text stands for, or nil if a character is outside the table
    /// (then the text is not byte-level mapped: an added token written as plain text).
    public static func bytes(ofMapped text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            let value = Int(scalar.value)
            guard value < byteForCharacter.count, byteForCharacter[value] >= 0 else { return nil }
            out.append(UInt8(byteForCharacter[value]))
        }
        return out
    }

    /// The mapped text of raw bytes (for display and tests).
    static func mappedText(of bytes: some Sequence<UInt8>) -> String {
        var text = String.UnicodeScalarView()
        for byte in bytes { text.append(characterForByte[Int(byte)]) }
        return String(text)
    }
}

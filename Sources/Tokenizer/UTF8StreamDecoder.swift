/// Turns a stream of token byte pieces into text, holding back an incomplete UTF-8 sequence until
/// its remaining bytes arrive, so that no chunk it returns is ever invalid text.
///
/// A byte that cannot start or continue a valid sequence is replaced by U+FFFD at once (as
/// `String(decoding:as:)` would), rather than stalling the stream.
public struct UTF8StreamDecoder: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// Adds `bytes` and returns the text that is now complete (possibly empty).
    public mutating func decode(_ bytes: some Sequence<UInt8>) -> String {
        pending.append(contentsOf: bytes)
        let keep = Self.incompleteSuffixLength(pending)
        let ready = pending[..<(pending.count - keep)]
        let text = String(decoding: ready, as: UTF8.self)
        pending.removeFirst(pending.count - keep)
        return text
    }

    /// Whatever is still held back, repaired with U+FFFD: call at the end of the stream.
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of a trailing sequence that is a valid but unfinished UTF-8 prefix (0 if none).
    static func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
        // A sequence is at most 4 bytes: look back at most 3 for its lead byte.
        for back in 1...min(3, bytes.count) {
            let byte = bytes[bytes.count - back]
            if byte & 0xC0 == 0x80 { continue }  // continuation byte: keep looking for the lead
            let needed: Int
            switch byte {
            case 0xC2...0xDF: needed = 2
            case 0xE0...0xEF: needed = 3
            case 0xF0...0xF4: needed = 4
            default: return 0  // ASCII or an invalid lead: nothing to wait for
            }
            return back < needed ? back : 0
        }
        return 0
    }
}

import Foundation

/// Variants of the committed fixtures made on the fly, for cases no fixture generator writes.
public enum FixtureVariants {
    /// A copy of `Tests/Fixtures/gguf/tiny-llama.gguf` (linear RoPE scaling, factor 8) whose
    /// `llama.rope.scaling.type` says `yarn`. "yarn" is two bytes shorter than "linear", so the
    /// key `llama.rope.scaling.original_context_length` gets two bytes more (`xx` in front: the
    /// reader no longer finds it, which it treats as absent) and everything after the metadata,
    /// tensor directory and data included, stays where it was.
    public static func yarnScaledGGUF(in scratch: ScratchDirectory) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Paths.fixture("gguf/tiny-llama.gguf"))))
        try replace(&bytes, lengthPrefixed("linear"), with: lengthPrefixed("yarn"))
        let key = "llama.rope.scaling.original_context_length"
        try replace(&bytes, lengthPrefixed(key), with: lengthPrefixed("xx" + key))
        return try scratch.write("tiny-llama-yarn.gguf", bytes)
    }

    /// A GGUF string: its length as a little-endian UInt64, then its UTF-8 bytes.
    static func lengthPrefixed(_ text: String) -> [UInt8] {
        let utf8 = Array(text.utf8)
        return (0..<8).map { UInt8(truncatingIfNeeded: UInt64(utf8.count) >> (8 * $0)) } + utf8
    }

    struct MissingBytes: Error, CustomStringConvertible {
        var description: String
    }

    /// Replaces the first occurrence of `old`, or throws when the fixture no longer holds it.
    static func replace(_ bytes: inout [UInt8], _ old: [UInt8], with new: [UInt8]) throws {
        guard let start = (0...(bytes.count - old.count)).first(where: { bytes[$0..<$0 + old.count].elementsEqual(old) }) else {
            throw MissingBytes(description: "tiny-llama.gguf no longer holds \"\(String(decoding: old.dropFirst(8), as: UTF8.self))\"")
        }
        bytes.replaceSubrange(start..<start + old.count, with: new)
    }
}

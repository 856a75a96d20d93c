import Testing
import TestSupport
@testable import Tokenizer

@Suite("streaming UTF-8 decoding")
struct UTF8StreamDecoderTests {
    @Test("multi-byte characters split across pieces come out whole, never as U+FFFD")
    func splitCharacters() {
        let text = "héllo, 世界 🦙!"
        let bytes = Array(text.utf8)
        // Feed one byte at a time: every prefix boundary is tried.
        var decoder = UTF8StreamDecoder()
        var out = ""
        for b in bytes {
            let chunk = decoder.decode([b])
            #expect(!chunk.contains("\u{FFFD}"))
            out += chunk
        }
        out += decoder.flush()
        #expect(out == text)
    }

    @Test("invalid bytes are replaced at once and do not stall the stream")
    func invalidBytes() {
        var decoder = UTF8StreamDecoder()
        #expect(decoder.decode([0x61, 0xFF, 0x62]) == "a\u{FFFD}b")
        #expect(decoder.decode([0xE4, 0xB8]) == "")          // first two bytes of 世
        #expect(decoder.decode([0x41]) == "\u{FFFD}A")       // broken by an ASCII byte
        #expect(decoder.decode([0xF0, 0x9F]) == "")
        #expect(decoder.flush() == "\u{FFFD}")               // a stream ending mid-character
        #expect(decoder.flush() == "")
    }
}

@Suite("streaming decode of real token pieces")
struct StreamingDecodeTests {
    @Test("pieces that split characters (byte-fallback and byte-level tokens) stream out whole", .enabled(if: Assets.present, Assets.missing),
          arguments: ["llama-spm", "gpt-2", "llama-bpe"])
    func tokenPieces(family: String) throws {
        let tokenizer = try LoadedTokenizers.vocab(family)
        let text = "Emoji 🦙🇫🇷 and 我能吞下玻璃 — ʕ•ᴥ•ʔ"
        let ids = tokenizer.encode(text, addBOS: false)
        // At least one token must be less than a whole character, or the test proves nothing.
        #expect(ids.contains { String(decoding: tokenizer.bytes(of: $0), as: UTF8.self).contains("\u{FFFD}") })
        var decoder = UTF8StreamDecoder()
        var streamed = ""
        for id in ids {
            let chunk = decoder.decode(tokenizer.bytes(of: id))
            #expect(!chunk.contains("\u{FFFD}"))
            streamed += chunk
        }
        streamed += decoder.flush()
        // The sentencepiece space prefix is the decoder's to drop, as `decode` does.
        #expect(streamed == (family == "llama-spm" ? " " + text : text))
        #expect(tokenizer.decode(ids) == text)
    }
}

import Foundation
import Testing
import Tokenizer
@testable import Converter

/// The `.t` writer and the reordering that lets a `.t` reader (ids below `bos_id` regular, the rest
/// special) read a vocabulary whose special tokens come first.
@Suite("vocabularies as .t files")
struct TokenTableTests {
    /// 3 special tokens first (BOS at 1, as SmolLM2 has), then 5 regular ones.
    static let specialFirst = TokenTable(
        pieces: ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "a", "b", "ab", " ", " ab"].map { Array($0.utf8) },
        scores: (0..<8).map { -Float($0) }, isSpecial: [true, true, true, false, false, false, false, false],
        bosID: 1, endOfGenerationIDs: [0, 2], addsBOS: false, chatTemplate: "{{ messages }}")

    @Test("special tokens move after the regular ones, BOS first among them; scores and eos ids follow their tokens")
    func reorder() throws {
        let (table, newToOld) = try Self.specialFirst.dllamaOrder()
        #expect(newToOld == [3, 4, 5, 6, 7, 1, 0, 2])
        #expect(table.bosID == 5 && table.isSpecial == [false, false, false, false, false, true, true, true])
        #expect(table.pieces.map { String(decoding: $0, as: UTF8.self) } == ["a", "b", "ab", " ", " ab", "<|im_start|>", "<|endoftext|>", "<|im_end|>"])
        #expect(table.scores == [-3, -4, -5, -6, -7, -1, 0, -2])
        #expect(table.endOfGenerationIDs == [6, 7])
    }

    @Test("a vocabulary already in .t order is left as it is")
    func alreadyOrdered() throws {
        var table = Self.specialFirst
        table.pieces = Array(table.pieces[3...] + table.pieces[..<3])
        table.isSpecial = [false, false, false, false, false, true, true, true]
        table.bosID = 5
        let (ordered, newToOld) = try table.dllamaOrder()
        #expect(newToOld == nil && ordered == table)
    }

    @Test("without BOS the first special token is the boundary and prompts get no BOS; with no special token at all it is refused")
    func noBOS() throws {
        var table = Self.specialFirst
        table.bosID = nil
        table.addsBOS = true
        let (ordered, newToOld) = try table.dllamaOrder()
        #expect(newToOld == [3, 4, 5, 6, 7, 0, 1, 2] && ordered.bosID == 5 && !ordered.addsBOS)
        table.isSpecial = [Bool](repeating: false, count: 8)
        #expect(throws: ConverterError.self) { try table.dllamaOrder() }
    }

    @Test("the written file reads back through our .t reader and encodes with its merges")
    func roundTrip() throws {
        let folder = try ScratchDirectory()
        let (table, _) = try Self.specialFirst.dllamaOrder()
        try Data(TokenizerFileWriter.encoded(table)).write(to: URL(fileURLWithPath: folder.file("t.t")))
        let vocabulary = try Vocabulary(tokenizerFilePath: folder.file("t.t"))
        #expect(vocabulary.pieces == table.pieces && vocabulary.scores == table.scores && vocabulary.bosID == 5)
        #expect((0..<8).map(vocabulary.isSpecial) == table.isSpecial)
        #expect(vocabulary.chatTemplateSource == "{{ messages }}" && !vocabulary.addsBOS)
        #expect(Set([6, 7]).isSubset(of: vocabulary.endOfGenerationIDs))
        // " ab": the bytes " ", "a", "b" (ids 3, 0, 1), then "a" + "b" -> "ab" (2), then " " + "ab" -> " ab" (4).
        #expect(Tokenizer(vocabulary: vocabulary).encode(" ab") == [4])
    }

    /// The header as distributed-llama's reader (`Tokenizer::Tokenizer` in tokenizer.cpp) takes it:
    /// known keys only, version 1, max_token_length at least 1, template then eos ids then tokens.
    @Test("the header holds only keys distributed-llama's reader knows, with version 1 and max_token_length")
    func referenceReaderHeader() throws {
        let (table, _) = try Self.specialFirst.dllamaOrder()
        let bytes = TokenizerFileWriter.encoded(table)
        func int(_ at: Int) -> Int32 { bytes[at..<(at + 4)].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) } }
        #expect(int(0) == 0x567124)
        let headerSize = Int(int(4))
        var keys: [Int32: Int32] = [:]
        for at in stride(from: 8, to: headerSize, by: 8) { keys[int(at)] = int(at + 4) }
        #expect(Set(keys.keys).isSubset(of: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))
        #expect(keys[0] == 1 && keys[1] == 8 && keys[2] == 13 && keys[3] == 5 && keys[7] == 14 && keys[9] == 2 && keys[10] == 0)
        // Then the template, the eos ids, and 8 tokens of (score, length, bytes) to the last byte.
        var at = headerSize + 14 + 2 * 4
        for piece in table.pieces {
            #expect(Int(int(at + 4)) == piece.count)
            at += 8 + piece.count
        }
        #expect(at == bytes.count)
    }
}

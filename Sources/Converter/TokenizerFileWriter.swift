import Foundation
import ModelFormat
import Tokenizer

/// Writes a distributed-llama `.t` tokenizer file (formats.md section 3):
///
///     i32 magic 0x567124; i32 header size = 8 + 8 * keys; keys x (i32 key, i32 value)
///     chat template bytes (key 7); eos ids (key 9 of them); per token: f32 score, u32 length, bytes
///
/// Keys written: 0 version 1, 1 vocab_size, 2 max_token_length, 3 bos_id, 7 chat template length
/// (when there is one), 9 number of eos ids, 10 add_bos. Both our reader and distributed-llama's
/// read it; the table must already be in `.t` order (`TokenTable.dllamaOrder()`).
enum TokenizerFileWriter {
    static func encoded(_ table: TokenTable) -> [UInt8] {
        var out: [UInt8] = []
        func put(_ value: Int32) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        let template = Array((table.chatTemplate ?? "").utf8)
        var keys: [(Int32, Int32)] = [(0, 1), (1, Int32(table.count)), (2, Int32(table.pieces.map(\.count).max() ?? 1)),
                                      (3, Int32(table.bosID ?? 0))]
        if !template.isEmpty { keys.append((7, Int32(template.count))) }
        keys += [(9, Int32(table.endOfGenerationIDs.count)), (10, table.addsBOS ? 1 : 0)]
        put(Vocabulary.tokenizerFileMagic)
        put(Int32(8 + 8 * keys.count))
        for (key, value) in keys {
            put(key)
            put(value)
        }
        out += template
        for id in table.endOfGenerationIDs { put(Int32(id)) }
        for (piece, score) in zip(table.pieces, table.scores) {
            put(Int32(bitPattern: score.bitPattern))
            put(Int32(piece.count))
            out += piece
        }
        return out
    }

    /// Writes `table` to `DllamaModelWriter.partialPath(of: path)`; the caller renames it into
    /// place once the model is complete too (`commit`).
    static func writePartial(_ table: TokenTable, to path: String) throws {
        let partial = DllamaModelWriter.partialPath(of: path)
        guard FileManager.default.createFile(atPath: partial, contents: Data(encoded(table))) else {
            throw ConverterError.cannotWrite(path: partial, reason: String(cString: strerror(errno)))
        }
    }

    static func commit(_ path: String) throws {
        guard rename(DllamaModelWriter.partialPath(of: path), path) == 0 else {
            throw ConverterError.cannotWrite(path: path, reason: "cannot move the finished file into place: \(String(cString: strerror(errno)))")
        }
    }
}

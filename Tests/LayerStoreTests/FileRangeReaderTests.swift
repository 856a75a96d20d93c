import Foundation
import Testing
import ModelFormat
@testable import LayerStore

@Suite("file range reads")
struct FileRangeReaderTests {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/oracle/dllama_model_llama_q40.m").path

    @Test("reads exactly the tensor's bytes and counts them")
    func readsAndCounts() throws {
        let file = try ModelFile(path: path)
        let reader = try FileRangeReader(path: path)
        let wo = try file.tensor("blk.1.attn_output").matrix
        let range = try wo.byteRange(rows: 8..<16)
        let bytes = try reader.read(range)
        #expect(bytes == Array(try file.bytes(range)))
        #expect(reader.bytesRead == range.count)
        _ = try reader.read(0..<8)
        #expect(reader.bytesRead == range.count + 8)
    }

    @Test("a range past the end is an error, not a short read")
    func pastTheEnd() throws {
        let reader = try FileRangeReader(path: path)
        #expect(throws: ModelFormatError.self) { try reader.read((reader.size - 4)..<(reader.size + 4)) }
        #expect(reader.bytesRead == 0)
        #expect(throws: ModelFormatError.self) { try FileRangeReader(path: path + ".missing") }
    }
}

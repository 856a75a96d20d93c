import Testing
@testable import ModelFormat

@Suite("row and column slices")
struct SliceTests {
    @Test("row ranges are contiguous; column ranges are one run per row")
    func ranges() throws {
        let file = try ModelFile(path: Paths.oracle("dllama_model_llama_q40.m"))
        let wo = try file.tensor("blk.0.attn_output").matrix  // [64][64] Q4_0: 2 blocks of 18 bytes a row
        #expect(wo.rowBytes == 36)
        #expect(try wo.byteRange(rows: 16..<32) == (wo.offset + 16 * 36)..<(wo.offset + 32 * 36))
        let columns = try wo.byteRanges(rows: 2..<5, columns: 32..<64)
        #expect(columns == (2..<5).map { (wo.offset + $0 * 36 + 18)..<(wo.offset + $0 * 36 + 36) })
        // The slice's bytes are the matching part of the row's bytes.
        let row = try file.bytes(wo.byteRange(rows: 3..<4))
        let part = try file.bytes(columns[1])
        #expect(Array(row[18..<36]) == Array(part))
    }

    @Test("slices that split a block or leave the matrix are refused")
    func refused() throws {
        let file = try ModelFile(path: Paths.oracle("dllama_model_llama_q40.m"))
        let wo = try file.tensor("blk.0.attn_output").matrix
        #expect(throws: ModelFormatError.self) { try wo.byteRanges(rows: 0..<1, columns: 16..<48) }
        #expect(throws: ModelFormatError.self) { try wo.byteRange(rows: 60..<65) }
        #expect(throws: ModelFormatError.self) { try wo.byteRanges(rows: 0..<1, columns: 32..<96) }
        #expect(throws: ModelFormatError.self) { try file.bytes(0..<(file.fileSize + 1)) }
    }

    @Test("F32 columns slice at any element")
    func f32Columns() throws {
        let file = try ModelFile(path: Paths.oracle("dllama_model_llama_f32.m"))
        let w2 = try file.tensor("blk.1.ffn_down").matrix  // [64][128] F32
        let ranges = try w2.byteRanges(rows: 0..<2, columns: 5..<9)
        #expect(ranges == [(w2.offset + 20)..<(w2.offset + 36), (w2.offset + 512 + 20)..<(w2.offset + 512 + 36)])
    }

    @Test("byte sizes parse and print in binary units")
    func byteSizes() {
        #expect(parseByteSize("30M") == 30 << 20)
        #expect(parseByteSize("4G") == 4 << 30)
        #expect(parseByteSize("1.5GiB") == 3 << 29)
        #expect(parseByteSize("512") == 512)
        #expect(parseByteSize("12x") == nil)
        #expect(parseByteSize("-1G") == nil)
        #expect(parseByteSize("") == nil)
        #expect(formatBytes(98_362_432) == "93.8 MiB")
        #expect(formatBytes(17) == "17 B")
    }

    @Test("tensor types have GGML's block sizes")
    func typeSizes() {
        // gguf-py GGML_QUANT_SIZES: (values per block, bytes per block)
        let expected: [TensorType: (Int, Int)] = [
            .f32: (1, 4), .f16: (1, 2), .bf16: (1, 2), .q4_0: (32, 18), .q4_1: (32, 20), .q5_0: (32, 22),
            .q5_1: (32, 24), .q8_0: (32, 34), .q2_K: (256, 84), .q3_K: (256, 110), .q4_K: (256, 144),
            .q5_K: (256, 176), .q6_K: (256, 210), .q8_K: (256, 292),
        ]
        for type in TensorType.allCases {
            #expect((type.blockSize, type.blockBytes) == expected[type]!, "\(type)")
        }
        #expect(TensorType.q4_0.byteCount(elements: 64) == 36)
        #expect(TensorType.q4_0.byteCount(elements: 48) == nil)
    }
}

import Testing
@testable import QuantKernels

@Suite("Block types")
struct BlockTypeTests {
    @Test("every block struct has the GGML byte size", arguments: BlockType.allCases)
    func structSizes(type: BlockType) {
        if let size = type.cStructBytes { #expect(size == type.bytesPerBlock) }
    }

    @Test("GGML sizes: Q40 18, Q41 20, Q80 34, Q4_K 144, Q5_K 176, Q6_K 210")
    func publishedSizes() {
        #expect(BlockType.q40.rowBytes(4096) == 128 * 18)
        #expect(BlockType.q41.rowBytes(64) == 40)
        #expect(BlockType.q80.rowBytes(32) == 34)
        #expect(BlockType.q4K.rowBytes(512) == 288)
        #expect(BlockType.q5K.rowBytes(256) == 176)
        #expect(BlockType.q6K.rowBytes(256) == 210)
        #expect(BlockType.f16.rowBytes(3) == 6)
    }

    @Test("activations pair Q80 with the 32-value block types, Q8_K with the K-quants and F32 with float weights")
    func activationTypes() {
        #expect(BlockType.q40.activationType == .q80)
        #expect(BlockType.q41.activationType == .q80)
        #expect(BlockType.q50.activationType == .q80)
        #expect(BlockType.q51.activationType == .q80)
        #expect(BlockType.q4K.activationType == .q8K)
        #expect(BlockType.q5K.activationType == .q8K)
        #expect(BlockType.q6K.activationType == .q8K)
        #expect(BlockType.f16.activationType == .f32)
        #expect(BlockType.bf16.activationType == nil)
        #expect(BlockType.q8K.rowBytes(512) == 2 * 292)
    }

    @Test("GGML and distributed-llama type ids map to block types")
    func typeIds() {
        #expect(BlockType(ggmlType: 2) == .q40)
        #expect(BlockType(ggmlType: 3) == .q41)
        #expect(BlockType(ggmlType: 8) == .q80)
        #expect(BlockType(ggmlType: 14) == .q6K)
        #expect(BlockType(ggmlType: 30) == .bf16)
        #expect(BlockType(ggmlType: 10) == nil)  // Q2_K: not read here
        #expect(BlockType(dllamaFloatType: 2) == .q40)
        #expect(BlockType(dllamaFloatType: 3) == .q80)
        #expect(BlockType(dllamaFloatType: 4) == nil)
    }
}

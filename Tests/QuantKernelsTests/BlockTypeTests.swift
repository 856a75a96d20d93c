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

    @Test("activations pair Q80 with the 8- and 4-bit weights and F32 with float weights")
    func activationTypes() {
        #expect(BlockType.q40.activationType == .q80)
        #expect(BlockType.q41.activationType == .q80)
        #expect(BlockType.f16.activationType == .f32)
        #expect(BlockType.q6K.activationType == nil)
    }
}

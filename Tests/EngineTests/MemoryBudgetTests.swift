import Foundation
import LayerStore
import QuantKernels
import Scheduler
import Testing
@testable import Engine

@Suite("how a node holds its weights")
struct MemoryBudgetTests {
    let plan = try! Plan.make(model: PublishedShapes.all["llama3.1-8b"]!, tensors: try! PublishedShapes.all["llama3.1-8b"]!.dllamaLayout(),
                              nodes: 1, mode: .tensor, maxSeqLen: 1024, activationType: .q80)

    @Test("with no mode and no budget: resident when it fits three quarters of what is available, else mapped")
    func automatic() {
        let resident = MemoryBudget.allocatedBytes(plan: plan, mode: .resident)
        #expect(MemoryBudget.automaticMode(plan: plan, available: resident * 2) == .resident)
        #expect(MemoryBudget.automaticMode(plan: plan, available: resident / 3 * 4 + 8) == .resident)
        #expect(MemoryBudget.automaticMode(plan: plan, available: resident) == .mapped)
        #expect(MemoryBudget.automaticMode(plan: plan, available: nil) == .mapped)
    }
}

@Suite("owned buffers")
struct OwnedBufferTests {
    @Test("a huge-page buffer is aligned to 2 MiB and holds exactly the bytes asked for; a small one is 64-byte aligned")
    func alignment() {
        for (count, huge) in [(3 << 20, true), ((2 << 20) - 1, true), (5000, false), (0, false)] {
            let buffer = OwnedBuffer(byteCount: count, hugePages: true)
            #expect(buffer.bytes.count == count)
            guard count > 0 else { continue }
            let address = Int(bitPattern: buffer.bytes.baseAddress!)
            #expect(address % (huge && count >= HugePages.pageBytes ? HugePages.pageBytes : 64) == 0, "\(count) bytes")
            buffer.bytes.initializeMemory(as: UInt8.self, repeating: 7)
            #expect(buffer.bytes[count - 1] == 7)
        }
    }
}

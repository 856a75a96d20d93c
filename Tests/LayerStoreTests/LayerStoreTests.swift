import Foundation
import Testing
import TestSupport
import ModelFormat
import Scheduler
import QuantKernels
@testable import LayerStore

enum Files {
    static func fixture(_ path: String) throws -> ModelFile { try ModelFile(path: Paths.fixture(path)) }
    static func smolLM2() throws -> ModelFile { try ModelFile(path: Paths.asset(Assets.smolLM2)) }
}

@Suite("layer store")
struct LayerStoreTests {
    /// The bytes a slice must hold, gathered independently from the memory map row by row.
    func expectedBytes(_ tensor: TensorInfo, _ ownership: TensorOwnership, _ file: ModelFile) throws -> [UInt8] {
        let m = tensor.matrix
        var out: [UInt8] = []
        func take(_ r: Range<Int>) throws { out += Array(try file.bytes(r)) }
        switch ownership {
        case .none, .lookup: break
        case .whole: try take(tensor.byteRange)
        case .rows(let r): for row in r { try take(try m.byteRange(rows: row..<(row + 1))) }
        case .columns(let c): for range in try m.byteRanges(rows: 0..<m.rows, columns: c) { try take(range) }
        case .expertRows(let r):
            for e in 0..<tensor.shape[0] { try take(try tensor.matrix(at: e).byteRange(rows: r)) }
        case .expertColumns(let c):
            for e in 0..<tensor.shape[0] {
                let x = try tensor.matrix(at: e)
                for range in try x.byteRanges(rows: 0..<x.rows, columns: c) { try take(range) }
            }
        }
        return out
    }

    /// The view holds `expected` (file bytes), or for a converted type the same values within
    /// the new type's rounding.
    func expectHolds(_ view: TensorView?, _ expected: [UInt8], _ tensor: TensorInfo, node: Int) throws {
        guard let view else {
            #expect(expected.isEmpty, "\(tensor.name) missing on node \(node)")
            return
        }
        if view.layout.storedType == view.layout.type {
            #expect(Array(view.bytes) == expected, "\(tensor.name) on node \(node) differs from the file")
            return
        }
        let n = expected.count / view.layout.type.blockBytes * view.layout.type.blockSize
        var original = [Float](repeating: 0, count: n), held = [Float](repeating: 0, count: n)
        Quantization.dequantize(expected, from: TypeConversion.blockType(view.layout.type)!, into: &original)
        Quantization.dequantize(Array(view.bytes), from: TypeConversion.blockType(view.type)!, into: &held)
        let scale = original.map(abs).max() ?? 1
        let worst = zip(original, held).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= scale / 100, "\(tensor.name) converted \(view.layout.type) -> \(view.type): error \(worst)")
    }

    func checkResident(_ file: ModelFile, nodes: Int, mode: PlanMode) throws {
        let plan = try Plan.make(model: file.model, tensors: file.tensors, nodes: nodes, mode: mode)
        var readsPerNode: [[Range<Int>]] = []
        for (share, estimate) in zip(plan.nodes, plan.estimates) {
            let store = try LayerStore(file: file, share: share, auditReads: true)
            #expect(store.bytesRead == estimate.weightBytes)
            let mapped = try LayerStore(file: file, share: share, mode: .mapped, auditReads: true)
            // Mapped: only what cannot be viewed in place (column slices, conversions) is read.
            #expect(mapped.bytesRead <= estimate.weightBytes)
            if plan.nodes.count == 1 && file.tensors.allSatisfy({ [.f32, .f16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K].contains($0.type) }) {
                #expect(mapped.bytesRead == 0 && mapped.residentBytes <= 64)
            }
            for tensor in file.tensors {
                let ownership = share.ownership(of: tensor, model: file.model)
                let expected = try expectedBytes(tensor, ownership, file)
                if let layer = tensor.layer, store.layers.contains(layer) {
                    try store.withLayer(layer) { weights in
                        try expectHolds(weights[tensor.role], expected, tensor, node: share.node)
                    }
                } else if tensor.layer == nil {
                    try expectHolds(store.globals[tensor.role], expected, tensor, node: share.node)
                }
            }
            readsPerNode.append(store.readLog)
        }
        // No byte is read by two nodes unless every node holds that tensor whole (norms).
        let replicated = file.tensors.filter { t in
            let holders = plan.nodes.map { $0.ownership(of: t, model: file.model) }.filter { $0 != .none && $0 != .lookup }
            return holders.count > 1 && holders.allSatisfy { $0 == .whole }
        }
        func isReplicated(_ r: Range<Int>) -> Bool { replicated.contains { $0.byteRange.contains(r.lowerBound) } }
        let reads = readsPerNode.flatMap { $0.filter { !isReplicated($0) } }.sorted { $0.lowerBound < $1.lowerBound }
        for (a, b) in zip(reads, reads.dropFirst()) {
            #expect(a.upperBound <= b.lowerBound, "bytes \(b.lowerBound)..<\(a.upperBound) read twice")
        }
    }

    @Test("each node of a tensor-parallel plan holds exactly its slices, read from its own file",
          arguments: [("oracle/dllama_model_llama_q40.m", 2), ("oracle/dllama_model_qwen3moe_q40.m", 2),
                      ("oracle/dllama_model_qwen3_f32.m", 2), ("gguf/tiny-qwen2.gguf", 2), ("gguf/tiny-qwen3moe.gguf", 1)])
    func tensorParallel(fixture: String, nodes: Int) throws {
        try checkResident(try Files.fixture(fixture), nodes: nodes, mode: .tensor)
    }

    @Test("pipeline nodes read only their own layers")
    func pipeline() throws {
        try checkResident(try Files.fixture("oracle/dllama_model_llama_f32.m"), nodes: 2, mode: .pipeline)
    }

    @Test("hybrid nodes read only their stage's layers, and their slices of them")
    func hybrid() throws {
        try checkResident(try Files.fixture("oracle/dllama_model_qwen3moe_q40.m"), nodes: 4, mode: .hybrid)
    }

    @Test("SmolLM2 on 3 nodes: slices match and no byte is read twice", .enabled(if: Assets.present, Assets.missing))
    func smolLM2() throws {
        try checkResident(try Files.smolLM2(), nodes: 3, mode: .tensor)
    }

    @Test("streaming gives the same bytes as resident, within a ring of two layer buffers", .enabled(if: Assets.present, Assets.missing))
    func streaming() throws {
        let file = try Files.smolLM2()
        let plan = try Plan.make(model: file.model, tensors: file.tensors, nodes: 1)
        let share = plan.nodes[0]
        let resident = try LayerStore(file: file, share: share)
        let nonLayer = resident.globals.values.reduce(0) { $0 + $1.layout.byteCount }
        // Held: the small non-layer slices; streamed in chunks through one layer-sized buffer: the
        // output projection (the tied embedding, larger than a layer); plus two layer slots.
        let small = resident.globals.values.filter { $0.layout.storedByteCount <= resident.largestLayerBytes }
            .reduce(0) { $0 + ($1.layout.storedByteCount + 63) / 64 * 64 }
        let budget = small + 3 * resident.largestLayerBytes + 4096
        let streamed = try LayerStore(file: file, share: share, mode: .streaming(weightBudget: budget))
        #expect(streamed.slotCount == 2)
        #expect(streamed.residentBytes <= budget + 64 * resident.globals.count)
        let readAfterOpen = streamed.bytesRead
        for pass in 0..<2 {
            for layer in streamed.layers {
                let a = try resident.withLayer(layer) { w in w.tensors.mapValues { Array($0.bytes) } }
                let b = try streamed.withLayer(layer) { w in w.tensors.mapValues { Array($0.bytes) } }
                #expect(a == b, "layer \(layer), pass \(pass)")
            }
        }
        // Every pass reads every layer again (and no more than one layer ahead of use).
        let perPass = resident.bytesRead - nonLayer
        #expect(streamed.bytesRead - readAfterOpen >= 2 * perPass)
        #expect(streamed.bytesRead - readAfterOpen <= 2 * perPass + 2 * resident.largestLayerBytes)
        // The output projection (tied embedding) is streamed in row chunks with the same bytes.
        let held = try #require(resident.globals[.tokenEmbedding])
        var streamedRows: [UInt8] = []
        var nextRow = 0
        try streamed.withRowChunks(of: .tokenEmbedding) { chunk, rows in
            #expect(rows.lowerBound == nextRow)
            nextRow = rows.upperBound
            streamedRows += Array(chunk.bytes)
        }
        #expect(nextRow == held.layout.rowCount)
        #expect(streamedRows == Array(held.bytes))
        // Out of order still works.
        let late = try streamed.withLayer(17) { $0.layer }
        let early = try streamed.withLayer(3) { $0.layer }
        #expect((late, early) == (17, 3))
    }

    @Test("a budget below one layer is refused with the sizes")
    func budgetTooSmall() throws {
        let file = try Files.fixture("oracle/dllama_model_llama_q40.m")
        let plan = try Plan.make(model: file.model, tensors: file.tensors, nodes: 1)
        #expect(throws: LayerStoreError.self) {
            try LayerStore(file: file, share: plan.nodes[0], mode: .streaming(weightBudget: 1000))
        }
        let store = try LayerStore(file: file, share: plan.nodes[0])
        #expect(throws: LayerStoreError.layerNotOwned(9)) { try store.withLayer(9) { _ in } }
    }

    @Test("embedding rows are read on demand")
    func embeddingRow() throws {
        let file = try Files.fixture("oracle/dllama_model_llama_f32.m")
        let plan = try Plan.make(model: file.model, tensors: file.tensors, nodes: 1)
        let store = try LayerStore(file: file, share: plan.nodes[0])
        var row = [UInt8](repeating: 0, count: 64 * 4)
        try row.withUnsafeMutableBytes { try store.readEmbeddingRow(7, into: $0) }
        let embedding = try file.tensor("token_embd")
        #expect(row == Array(try file.bytes(embedding.offset + 7 * 256..<embedding.offset + 8 * 256)))
    }
}

@Suite("Tensor types at load")
struct TypeConversionTests {
    @Test("every quantized GGUF type with a kernel is held as it is in the file; BF16 becomes F32")
    func native() throws {
        for type in [TensorType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K, .f16, .f32] {
            #expect(try TypeConversion.storedType(for: type, rowLength: 512, tensor: "w") == type)
        }
        #expect(try TypeConversion.storedType(for: .bf16, rowLength: 512, tensor: "w") == .f32)
        #expect(LayerStore.typesConvertedAtLoad([]).isEmpty)
    }

    @Test("a K-quant row (or a node's slice of one) that is not whole 256-value super-blocks is refused by name")
    func partialSuperBlocks() {
        #expect {
            try TypeConversion.storedType(for: .q4_K, rowLength: 896, tensor: "blk.0.ffn_down.weight")
        } throws: { error in
            "\(error)".contains("blk.0.ffn_down.weight") && "\(error)".contains("896 values") && "\(error)".contains("256-value Q4_K")
        }
        #expect(throws: ModelFormatError.self) { try TypeConversion.storedType(for: .q5_0, rowLength: 48, tensor: "w") }
        #expect(throws: ModelFormatError.self) { try TypeConversion.storedType(for: .q2_K, rowLength: 512, tensor: "w") }
    }
}

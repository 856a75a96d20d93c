import Foundation
import Testing
@testable import ModelFormat

/// The oracle models in Tests/Fixtures/oracle were written by ../shared/oracle/make_tiny_model.py
/// (see Tests/Fixtures/README.md for the commands): an implementation of the format we did not write.
@Suite("distributed-llama .m files")
struct DllamaFileTests {
    static let oracleModels = [
        "dllama_model_llama_q40.m", "dllama_model_llama_f32.m", "dllama_model_qwen3_q40.m",
        "dllama_model_qwen3_f32.m", "dllama_model_qwen3moe_q40.m", "dllama_model_qwen3moe_f32.m",
    ]

    @Test("reads the header of each oracle model", arguments: oracleModels)
    func description(name: String) throws {
        let file = try ModelFile(path: Paths.oracle(name))
        let m = file.model
        #expect(file.format == .dllama)
        #expect((m.dim, m.hiddenDim, m.layerCount, m.headCount, m.kvHeadCount, m.headDim) == (64, 128, 2, 4, 2, 16))
        #expect((m.vocabSize, m.maxSeqLen, m.ropeTheta, m.activation) == (256, 128, 10000, .silu))
        #expect(m.weightType == (name.hasSuffix("q40.m") ? .q4_0 : .f32))
        #expect(!m.tiedEmbedding)
        switch m.architecture {
        case .llama:
            #expect(name.contains("llama"))
            #expect(m.ropeStyle == .adjacentPairs && m.normEpsilon == 1e-5 && !m.isMoE)
        case .qwen3:
            #expect(name.contains("qwen3_"))
            #expect(m.ropeStyle == .neox && m.normEpsilon == 1e-6 && !m.isMoE)
        case .qwen3MoE:
            #expect(name.contains("qwen3moe"))
            #expect((m.expertCount, m.activeExpertCount, m.expertHiddenDim) == (4, 2, 64))
        case .qwen2:
            Issue.record("a .m file cannot be qwen2")
        }
    }

    @Test("derives a tensor directory that tiles the file exactly", arguments: oracleModels)
    func directory(name: String) throws {
        let file = try ModelFile(path: Paths.oracle(name))
        let tensors = file.tensors
        #expect(tensors.first?.name == "token_embd" && tensors.first?.offset == file.headerByteCount)
        #expect(tensors.last?.name == "output")
        #expect(tensors.last.map { $0.offset + $0.byteCount } == file.fileSize)
        for (a, b) in zip(tensors, tensors.dropFirst()) { #expect(a.offset + a.byteCount == b.offset) }
        let m = file.model
        let perLayer = 4 + (m.isMoE ? 1 + 3 * m.expertCount : 3) + (m.architecture == .llama ? 0 : 2) + 2
        #expect(tensors.count == 1 + m.layerCount * perLayer + 2)
        let q = try file.tensor("blk.1.attn_q")
        #expect(q.shape == [64, 64] && q.type == m.weightType && q.layer == 1)
        #expect(try file.tensor("blk.0.attn_output").shape == [m.dim, m.qDim])
        if m.isMoE {
            #expect(try file.expertMatrix(layer: 1, expert: 3, kind: "ffn_down").columns == 64)
        }
    }

    @Test("writes each oracle model back byte for byte", arguments: oracleModels)
    func roundTrip(name: String) throws {
        let source = try ModelFile(path: Paths.oracle(name))
        let scratch = try ScratchDirectory()
        let header = try #require(source.dllamaHeader)
        let writer = try DllamaModelWriter(path: scratch.file(name), header: header)
        #expect(writer.layout == source.tensors)
        for tensor in writer.pendingTensors { try writer.append(source.bytes(of: tensor)) }
        try writer.finish()
        let original = try Data(contentsOf: URL(fileURLWithPath: source.path))
        let rewritten = try Data(contentsOf: URL(fileURLWithPath: scratch.file(name)))
        #expect(original == rewritten)
    }

    @Test("builds the converter's header, key order included, from the description alone", arguments: oracleModels)
    func headerFromDescription(name: String) throws {
        let source = try ModelFile(path: Paths.oracle(name))
        #expect(try DllamaHeader(model: source.model) == source.dllamaHeader)
    }

    @Test("refuses a tensor of the wrong size and leaves no file behind")
    func writerChecksSizes() throws {
        let source = try ModelFile(path: Paths.oracle("dllama_model_llama_q40.m"))
        let scratch = try ScratchDirectory()
        let path = scratch.file("out.m")
        do {
            let writer = try DllamaModelWriter(path: path, header: try #require(source.dllamaHeader))
            try writer.append(source.bytes(of: source.tensors[0]))
            let error = modelFormatError { try writer.append([UInt8](repeating: 0, count: 7)) }
            #expect(error?.description.contains("blk.0.attn_q") == true)
            #expect(modelFormatError { try writer.finish() } != nil)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
    }
}

import Foundation
import ModelFormat
import Scheduler
import Testing
import TestSupport
@testable import Engine

/// Issue 15, defect 7: RoPE scaling the engine does not implement was read and then ignored,
/// giving wrong text with no error. Every way into the engine now refuses it.
@Suite("what the engine runs and refuses")
struct ModelSupportTests {
    @Test("linear and YaRN RoPE scaling are refused by name, by the check and by the engine itself",
          arguments: ["linear", "yarn"])
    func unimplementedRoPEScaling(kind: String) throws {
        let scratch = try ScratchDirectory()
        let path = kind == "yarn" ? try FixtureVariants.yarnScaledGGUF(in: scratch) : Paths.fixture("gguf/tiny-llama.gguf")
        let file = try ModelFile(path: path)
        #expect(file.model.ropeScaling?.kind.rawValue == kind)
        #expect(file.model.ropeScaling?.factor == 8)
        let expected = ModelFormatError.unsupportedRopeScaling(path: path, kind: kind, factor: 8)
        #expect(throws: expected) { try ModelSupport.check(file) }
        // An API caller building the engine directly gets the same refusal, before any allocation.
        #expect(throws: expected) { _ = try Transformer(file: file, options: .init(maxSeqLen: 16)) }
        #expect("\(expected)".contains("\(kind) RoPE scaling") && "\(expected)".contains("does not implement"))
    }

    @Test("the same model without the scaling runs")
    func plainModelRuns() throws {
        let file = try ModelFile(path: Paths.fixture("oracle/dllama_model_llama_q40.m"))
        #expect(file.model.ropeScaling == nil)
        try ModelSupport.check(file)
        let engine = try Transformer(file: file, options: .init(maxSeqLen: 16))
        #expect(try engine.forward(token: 1, position: 0).count == file.model.vocabSize)
    }
}

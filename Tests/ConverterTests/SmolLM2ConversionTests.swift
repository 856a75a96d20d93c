import Foundation
import Testing
import TestSupport
import ModelFormat
import Tokenizer
import Engine
@testable import Converter

/// SmolLM2-135M-Instruct (GGUF: Q4_1 matrices, Q8_0 embedding, tied output, 17 control tokens at
/// ids 0-16 with BOS at 1) converted to `.m` + `.t` and run in the engine.
@Suite("SmolLM2 GGUF to .m")
struct SmolLM2ConversionTests {
    static let prompt = "The capital of France is"
    /// The vocabulary moves its 17 special tokens to the end: regular token `id` becomes `id - 17`.
    static let shift = 17

    struct Converted {
        let folder: ScratchDirectory
        let report: ConversionReport
        let log: [String]
        var model: String { report.outputPath }
        var tokenizer: String { report.tokenizerPath! }
    }

    static func convert(_ weights: WeightType) throws -> Converted {
        let folder = try ScratchDirectory()
        var log: [String] = []
        let converter = try Converter(inputPath: try Paths.asset("SmolLM2-135M-Instruct.Q4_1.gguf"))
        let report = try converter.convert(ConversionOptions(outputPath: folder.file("smollm2.m"), weights: weights, threads: 2)) { event in
            if case .note(let line) = event { log.append(line) }
        }
        #expect(folder.contents == ["smollm2.m", "smollm2.t"])
        return Converted(folder: folder, report: report, log: log)
    }

    /// A greedy run: the prompt's ids, the logits at its last token, and each generated id with
    /// its top-2 margin.
    struct Run {
        var prompt: [Int]
        var logits: [Float]
        var steps: [(id: Int, margin: Float)]
        var text: String
    }

    static func run(model: String, tokenizer: String?, steps: Int) throws -> Run {
        let engine = try Transformer(file: try ModelFile(path: model), options: .init(threads: 2, maxSeqLen: 64))
        let tokenizer = try Tokenizer(modelPath: model, tokenizerPath: tokenizer)
        let prompt = tokenizer.encode(Self.prompt)
        for (position, token) in prompt.dropLast().enumerated() {
            try engine.forward(token: token, position: position, computeLogits: false)
        }
        var token = prompt.last!
        var run = Run(prompt: prompt, logits: [], steps: [], text: "")
        for position in (prompt.count - 1)..<(prompt.count - 1 + steps) {
            let logits = Array(try engine.forward(token: token, position: position))
            if run.logits.isEmpty { run.logits = logits }
            let order = logits.indices.sorted { logits[$0] > logits[$1] }
            token = order[0]
            run.steps.append((token, logits[order[0]] - logits[order[1]]))
        }
        run.text = tokenizer.decode(run.steps.map(\.id))
        return run
    }

    static let gguf = Result { try run(model: try Paths.asset("SmolLM2-135M-Instruct.Q4_1.gguf"), tokenizer: nil, steps: 12) }

    /// Checks `ours` (ids of the reordered vocabulary) generates `expected`'s ids (GGUF ids) up to
    /// the first step where either run's top-2 margin is under `nearTie` (there a numerically
    /// different but correct engine may choose the runner-up); returns how many agreed.
    @discardableResult
    static func expectSameGreedy(_ ours: Run, _ expected: [(id: Int, margin: Float)], nearTie: Float) -> Int {
        var agreed = 0
        for (mine, theirs) in zip(ours.steps, expected) {
            if mine.margin < nearTie || theirs.margin < nearTie { break }
            #expect(mine.id + Self.shift == theirs.id, "step \(agreed)")
            guard mine.id + Self.shift == theirs.id else { break }
            agreed += 1
        }
        #expect(agreed >= 3, "agreed for \(agreed) steps")
        return agreed
    }

    @Test("F32: the float32 oracle's top-5 logits within 0.02 and its 12 greedy tokens (\" Paris.\\n\\nThe answer is: 201\")")
    func f32() throws {
        let converted = try Self.convert(.f32)
        #expect(converted.report.errors.isEmpty)  // dequantizing to F32 is exact
        let run = try Self.run(model: converted.model, tokenizer: converted.tokenizer, steps: 12)
        #expect(run.prompt == [504, 3575, 282, 4649, 314].map { $0 - Self.shift })
        // np_reference.py (Tests/Fixtures/engine/smollm2_np_reference.json) computes in float32 on
        // the dequantized weights, as the engine does on an F32 file: no activation quantization.
        let oracle = [7042: 17.3713, 260: 14.8886, 4528: 13.2450, 2250: 13.0095, 1315: 12.9515]
        for (id, value) in oracle {
            #expect(abs(run.logits[id - Self.shift] - Float(value)) < 0.02, "logit of \(id): \(run.logits[id - Self.shift]) vs \(value)")
        }
        let oracleIDs = [7042, 30, 198, 198, 504, 2988, 314, 42, 216, 34, 32, 33]
        #expect(run.steps.map { $0.id + Self.shift } == oracleIDs)
        #expect(run.text == " Paris.\n\nThe answer is: 201")
        Self.expectSameGreedy(run, try Self.gguf.get().steps, nearTie: 0.5)
    }

    @Test("Q80: Q8_0 output rows copied unchanged, the GGUF's text, the .t holds the GGUF's tokens reordered", .enabled(if: Assets.present, Assets.missing))
    func q80() throws {
        let converted = try Self.convert(.q80)
        let file = try ModelFile(path: converted.model), source = try ModelFile(path: try Paths.asset("SmolLM2-135M-Instruct.Q4_1.gguf"))
        // The tied output is the Q8_0 embedding: its blocks are copied, row r from GGUF row newToOld[r].
        let output = try file.bytes(of: try file.tensor("output")), embedding = try source.bytes(of: try source.tensor("token_embd"))
        let rowBytes = try file.tensor("output").rowBytes
        for (new, old) in [(0, 17), (1, 18), (49134, 49151), (49135, 1), (49136, 0), (49137, 2), (49151, 16)] {
            #expect(Array(output[(new * rowBytes)..<((new + 1) * rowBytes)]) == Array(embedding[(old * rowBytes)..<((old + 1) * rowBytes)]), "row \(new)")
        }
        // Same numerics as the GGUF run but Q80 instead of Q4_1 weights: the same text up to a near-tie.
        let run = try Self.run(model: converted.model, tokenizer: converted.tokenizer, steps: 12)
        let gguf = try Self.gguf.get()
        let agreed = Self.expectSameGreedy(run, gguf.steps, nearTie: 0.5)
        let ggufTokenizer = try Tokenizer(path: source.path)
        #expect(run.text.hasPrefix(ggufTokenizer.decode(gguf.steps.prefix(agreed).map { $0.id })) && run.text.hasPrefix(" Paris."))

        let original = try Vocabulary(ggufPath: source.path), reordered = try Vocabulary(tokenizerFilePath: converted.tokenizer)
        let newToOld = Array(17..<49152) + [1, 0] + Array(2...16)
        #expect(reordered.count == original.count && reordered.bosID == 49135)
        #expect(newToOld.indices.allSatisfy { reordered.pieces[$0] == original.pieces[newToOld[$0]] })
        #expect(newToOld.indices.allSatisfy { reordered.isSpecial($0) == original.isSpecial(newToOld[$0]) })
        #expect(reordered.pieceText(49137) == "<|im_end|>" && reordered.endOfGenerationIDs.contains(49137))
        #expect(reordered.chatTemplateSource == original.chatTemplateSource && !reordered.addsBOS)
        #expect(converted.log.contains { $0.contains("17 special tokens") && $0.contains("1 -> 49135") })
        let errors = converted.report.errors.filter { $0.from == "Q4_1" }
        #expect(errors.count == 7 && errors.allSatisfy { $0.relativeError > 0.002 && $0.relativeError < 0.02 })
    }

    @Test("Q40: runs, and the log and report give the measured error of each tensor kind (about 9%)")
    func q40() throws {
        let converted = try Self.convert(.q40)
        let errors = converted.report.errors
        #expect(Set(errors.map(\.role)) == ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_down", "ffn_up", "output"])
        #expect(errors.allSatisfy { $0.to == "Q40" && $0.relativeError > 0.05 && $0.relativeError < 0.15 }, "\(errors)")
        #expect(errors.first { $0.role == "output" }?.from == "Q8_0")
        #expect(converted.log.contains { $0.hasPrefix("re-quantization error") })
        #expect(converted.log.contains { $0.contains("ffn_down") && $0.contains("Q4_1 -> Q40") && $0.contains("%") })
        let run = try Self.run(model: converted.model, tokenizer: converted.tokenizer, steps: 4)
        #expect(!run.text.isEmpty)
    }
}

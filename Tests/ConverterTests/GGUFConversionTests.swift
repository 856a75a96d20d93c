import Foundation
import Testing
import ModelFormat
import Engine
@testable import Converter

/// The tiny GGUF fixtures (Tests/Fixtures/gguf, written by the `gguf` package; no vocabulary)
/// converted to `.m` and run in the engine against the GGUF itself.
@Suite("GGUF to .m")
struct GGUFConversionTests {
    static let tokens = [1, 17, 42, 99, 3, 127]

    /// The engine's logits for `tokens` on each file, position by position.
    static func logits(_ path: String) throws -> [[Float]] {
        let engine = try Transformer(file: try ModelFile(path: path), options: .init(threads: 2, maxSeqLen: 16))
        return try tokens.enumerated().map { Array(try engine.forward(token: $1, position: $0)) }
    }

    static func convert(_ input: String, _ weights: WeightType) throws -> (ScratchDirectory, ConversionReport) {
        let out = try ScratchDirectory()
        let report = try Converter(inputPath: input).convert(ConversionOptions(outputPath: out.file("tiny.m"), weights: weights))
        #expect(out.contents == ["tiny.m"] && report.tokenizerPath == nil)  // no vocabulary, no .t
        return (out, report)
    }

    /// Largest logit difference over the largest logit, over all positions.
    static func relativeDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
        zip(a, b).map { x, y in zip(x, y).map { abs($0 - $1) }.max()! / x.map(abs).max()! }.max()!
    }

    @Test("Qwen3 (Q4_1) and Qwen3-MoE (Q5_0, stacked experts split per expert) to F32: the GGUF's logits",
          arguments: ["tiny-qwen3", "tiny-qwen3moe"])
    func qwen(name: String) throws {
        let input = Paths.fixture("gguf/\(name).gguf")
        let (out, report) = try Self.convert(input, .f32)
        let file = try ModelFile(path: out.file("tiny.m"))
        #expect(file.model.architecture == (name == "tiny-qwen3" ? .qwen3 : .qwen3MoE) && file.model.ropeStyle == .neox)
        #expect(report.errors.isEmpty)
        // The GGUF run quantizes activations to 8 bits before its Q4_1 / Q5_0 products; the F32 file does not.
        let difference = Self.relativeDifference(try Self.logits(input), try Self.logits(out.file("tiny.m")))
        #expect(difference < 0.03, "largest relative logit difference \(difference)")
    }

    /// tiny-llama.gguf with its linear RoPE scaling factor set to 1 (no scaling), so it converts.
    static func unscaledTinyLlama(in folder: ScratchDirectory) throws -> String {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: Paths.fixture("gguf/tiny-llama.gguf")))
        let key = Data("llama.rope.scaling.factor".utf8)
        let at = bytes.range(of: key)!.upperBound + 4  // after the key, the value type (u32 6 = f32)
        bytes.replaceSubrange(at..<(at + 4), with: withUnsafeBytes(of: Float(1).bitPattern.littleEndian) { Data($0) })
        let path = folder.file("tiny-llama-unscaled.gguf")
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("Llama Q4_0 to Q40: blocks copied unchanged, q/k not permuted again, the GGUF's logits exactly")
    func llamaBlockCopy() throws {
        let scratch = try ScratchDirectory()
        let input = try Self.unscaledTinyLlama(in: scratch)
        let (out, report) = try Self.convert(input, .q40)
        #expect(report.errors.isEmpty)  // Q4_0 -> Q40 only (the Q8_0 embedding becomes F32, exactly)
        let m = try ModelFile(path: out.file("tiny.m")), gguf = try ModelFile(path: input)
        for name in ["blk.0.attn_q", "blk.0.attn_k", "blk.1.ffn_down", "output"] {
            #expect(Array(try m.bytes(of: try m.tensor(name))) == Array(try gguf.bytes(of: try gguf.tensor(name))), "\(name)")
        }
        #expect(Self.relativeDifference(try Self.logits(input), try Self.logits(out.file("tiny.m"))) < 1e-5)
    }

    @Test("what a .m file cannot hold is refused with the reason", arguments: [
        ("tiny-qwen2", "biases"),
        ("tiny-llama", "linear RoPE scaling"),
    ])
    func refused(name: String, reason: String) throws {
        let out = try ScratchDirectory()
        #expect {
            try Converter(inputPath: Paths.fixture("gguf/\(name).gguf")).convert(ConversionOptions(outputPath: out.file("x.m")))
        } throws: { error in
            (error as? ConverterError)?.description.contains(reason) == true
        }
        #expect(out.contents.isEmpty)
    }

    @Test("Llama 3.1 RoPE scaling is recovered from rope_freqs divisors, other divisors are refused")
    func ropeFrequencies() {
        for (theta, headDim, scaling) in [(500_000.0, 128, (8, 1, 4, 8192)), (500_000.0, 64, (32, 1, 4, 8192)), (10_000.0, 64, (4, 2, 8, 4096))] {
            let expected = RopeScaling(kind: .llama3, factor: Float(scaling.0), lowFrequencyFactor: Float(scaling.1),
                                       highFrequencyFactor: Float(scaling.2), originalContextLength: scaling.3)
            let divisors = (0..<headDim / 2).map { Float(Llama3RopeScaling.divisor(pair: $0, headDim: headDim, theta: theta, expected)) }
            let found = Llama3RopeScaling.infer(divisors: divisors, headDim: headDim, theta: theta)
            // Any parameters that give the same divisors are the same scaling for the engine.
            #expect(found.map { s in (0..<headDim / 2).allSatisfy { abs(Llama3RopeScaling.divisor(pair: $0, headDim: headDim, theta: theta, s) - Double(divisors[$0])) < 1e-4 * Double(divisors[$0]) } } == true)
            #expect(found?.factor == expected.factor)
        }
        #expect(Llama3RopeScaling.infer(divisors: [Float](repeating: 2.5, count: 64), headDim: 128, theta: 500_000) == nil)
        #expect(Llama3RopeScaling.infer(divisors: (0..<64).map { 1 + Float($0) / 10 }, headDim: 128, theta: 500_000) == nil)
    }
}

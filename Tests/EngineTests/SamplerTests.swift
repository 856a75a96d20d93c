import Foundation
import Testing
import TestSupport
@testable import Engine

/// The sampler against a numpy transcription of distributed-llama's (sampler_goldens.txt, made by
/// Tests/Fixtures/tokenizer/make_sampler_goldens.py), and each extra stage on small cases.
@Suite("samplers")
struct SamplerTests {
    static let goldenLines: [[Substring]] = {
        let text = (try? String(contentsOfFile: Paths.fixture("engine/sampler_goldens.txt"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { $0.split(separator: " ") }
    }()

    /// The logits the golden script uses: 4 sin(0.37 i + step) + (i mod 7) / 10.
    static func logits(step: Int, vocabulary: Int) -> [Float] {
        (0..<vocabulary).map { index -> Float in
            let wave: Double = 4 * sin(0.37 * Double(index) + Double(step))
            let ramp: Double = Double(index % 7) * 0.1
            return Float(wave + ramp)
        }
    }

    @Test("xorshift64* gives the reference's numbers for a seed")
    func randomNumbers() throws {
        let lines = Self.goldenLines.filter { $0.first == "rng" }
        #expect(lines.count == 3)
        for line in lines {
            var random = XorShiftRandom(seed: UInt64(line[1])!)
            let expected = line[2...].map { UInt32($0)! }
            #expect((0..<expected.count).map { _ in random.nextUInt32() } == expected, "seed \(line[1])")
        }
        var random = XorShiftRandom(seed: 42)
        let coin = random.nextFloat()
        #expect(coin == Float(1_456_360_119 >> 8) / 16_777_216)
        #expect((0..<1000).allSatisfy { _ in (0..<1).contains(random.nextFloat()) })
    }

    @Test("temperature + top-p reproduce the reference's draws step after step")
    func referenceDraws() throws {
        let lines = Self.goldenLines.filter { $0.first == "sample" }
        #expect(lines.count == 8)
        for line in lines {
            let seed = UInt64(line[1])!, temperature = Float(line[2])!, topP = Float(line[3])!, vocabulary = Int(line[4])!
            let expected = line[5...].map { Int($0)! }
            var sampler = Sampler(SamplingParameters(temperature: temperature, topP: topP, seed: seed))
            let ids = expected.indices.map { sampler.sample(logits: Self.logits(step: $0, vocabulary: vocabulary)) }
            #expect(ids == expected, "seed \(seed) temperature \(temperature) top-p \(topP)")
        }
    }

    @Test("temperature 0 is argmax, the first maximum winning a tie")
    func greedy() {
        var sampler = Sampler(SamplingParameters(temperature: 0, seed: 1))
        #expect(sampler.sample(logits: [0.1, 3, -2, 3, 1]) == 1)
        #expect(sampler.random == XorShiftRandom(seed: 1))  // greedy draws no random number
    }

    @Test("top-k 1 always picks the most likely token")
    func topKOne() {
        var sampler = Sampler(SamplingParameters(temperature: 1.5, topP: 1, topK: 1, seed: 9))
        let logits = Self.logits(step: 3, vocabulary: 500)
        let best = Sampler.argmax(logits)
        #expect((0..<50).allSatisfy { _ in sampler.sample(logits: logits) == best })
    }

    @Test("top-k keeps the k highest logits, ties to the lower id")
    func topK() {
        var candidates = SamplingCandidates(logits: [1, 5, 3, 5, 0])
        TopK(k: 3).apply(to: &candidates)
        #expect(candidates.ids == [1, 3, 2])
    }

    @Test("min-p drops tokens far less likely than the best and renormalises")
    func minP() {
        var candidates = SamplingCandidates(logits: [0, 0, 0, 0])
        candidates.values = [0.5, 0.3, 0.15, 0.05]
        MinP(minP: 0.2).apply(to: &candidates)  // threshold 0.1
        #expect(candidates.ids == [0, 1, 2])
        #expect(abs(candidates.values.reduce(0, +) - 1) < 1e-6)
        var sampler = Sampler(SamplingParameters(temperature: 1, topP: 1, minP: 0.5, seed: 5))
        let logits: [Float] = [2, 2, -5, -5, -5]  // only tokens 0 and 1 survive min-p 0.5
        #expect((0..<100).allSatisfy { _ in sampler.sample(logits: logits) < 2 })
    }

    @Test("repetition penalty divides positive and multiplies negative logits of recent tokens")
    func repetitionPenalty() {
        var logits: [Float] = [2, -2, 2, 1]
        RepetitionPenalty(penalty: 2).apply(to: &logits, recentTokens: [0, 1, 1, 7])
        #expect(logits == [1, -4, 2, 1])
        var sampler = Sampler(SamplingParameters(temperature: 0, repetitionPenalty: 3, seed: 1))
        #expect(sampler.sample(logits: [3, 2.5, 0], recentTokens: [0]) == 1)
    }

    @Test("presence penalty subtracts once per recent token, frequency penalty once per occurrence")
    func presenceAndFrequencyPenalties() {
        var logits: [Float] = [2, -2, 2, 1]
        PresenceFrequencyPenalty(presence: 0.5, frequency: 0.25).apply(to: &logits, recentTokens: [0, 1, 1, 7])
        #expect(logits == [1.25, -3, 2, 1])
        var sampler = Sampler(SamplingParameters(temperature: 0, frequencyPenalty: 0.3, seed: 1))
        #expect(sampler.sample(logits: [3, 2.5, 0], recentTokens: [0, 0]) == 1)
        #expect(SamplingParameters(presencePenalty: 0.1, seed: 1).penalizesRecentTokens)
        #expect(!SamplingParameters(seed: 1).penalizesRecentTokens)
    }

    @Test("top-p keeps the smallest set of likely tokens whose mass exceeds p")
    func topP() {
        var candidates = SamplingCandidates(logits: [0, 0, 0, 0])
        candidates.values = [0.1, 0.6, 0.25, 0.05]
        let topP = TopP(p: 0.8)
        // The nucleus is {1, 2} (0.6 + 0.25 > 0.8): every coin lands in it.
        let drawn = Set(stride(from: Float(0), to: 1, by: 0.01).map { topP.draw(from: candidates, coin: $0) })
        #expect(drawn == [1, 2])
    }
}

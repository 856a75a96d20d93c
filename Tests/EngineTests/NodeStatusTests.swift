import Foundation
import ModelFormat
import Testing
import TestSupport
import Tokenizer
@testable import Engine

/// `Step.status` (every node's own figures, gathered by the root) and a generation its caller stops.
@Suite("node status and caller-stopped generation")
struct NodeStatusTests {
    @Test("a status step travels as one byte and decodes back")
    func wire() throws {
        #expect(Step.status.encoded() == [3])
        #expect(try Step(decoding: [3]) == .status)
    }

    @Test("three nodes in one process: each reports its token steps, their compute and sync time, and its traffic", .enabled(if: Assets.present, Assets.missing))
    func threeNodes() throws {
        let file = try ModelFile(path: SmolLM2Tests.path)
        let engine = try Transformer(file: file, options: .init(threads: 1, maxSeqLen: 64, nodes: 3))
        try engine.prefill([504, 3575], first: 0)
        for (position, token) in [282, 4649].enumerated() { _ = try engine.forwardGreedy(token: token, position: 2 + position) }
        let nodes = try engine.nodeStatus()
        #expect(nodes.map(\.node) == [0, 1, 2])
        for node in nodes {
            // Prefill batches are not token steps: two tokens were stepped one at a time.
            #expect(node.tokenSteps == 2, "\(node)")
            #expect(node.tokenComputeNanoseconds > 0 && node.tokenSyncNanoseconds > 0, "\(node)")
            #expect(node.sentBytes > 0 && node.receivedBytes > 0, "\(node)")
            #expect(node.residentBytes > 0 && node.peakResidentBytes >= node.residentBytes, "\(node)")
        }
        // Asking again changes nothing but the traffic of the status round itself.
        let again = try engine.nodeStatus()
        #expect(again.map(\.tokenSteps) == [2, 2, 2])
        #expect(again[1].sentBytes > nodes[1].sentBytes)
        engine.shutdown()
    }

    @Test("one node: the status is local, and a caller's stop ends generation after that token", .enabled(if: Assets.present, Assets.missing))
    func callerStops() throws {
        let file = try ModelFile(path: SmolLM2Tests.path)
        let engine = try Transformer(file: file, options: .init(threads: 2, maxSeqLen: 64))
        let tokenizer = try Tokenizer(path: SmolLM2Tests.path)
        let generator = Generator(transformer: engine, tokenizer: tokenizer)
        var sampler = Sampler(SamplingParameters(temperature: 0, seed: 1))
        var seen: [Int] = []
        let (tokens, stats) = try generator.generateTokens(prompt: [504, 3575, 282, 4649, 314], maxTokens: 20, sampler: &sampler) { token in
            seen.append(token)
            return seen.count == 2 ? .stop : .proceed
        }
        #expect(tokens == seen && tokens.count == 2)
        #expect(tokens.first == 7042)  // " Paris"
        #expect(stats.stoppedByCaller && !stats.stoppedAtEndOfGeneration)
        // The second token was sampled but never stepped: the cache holds the prompt and the first.
        #expect(generator.cachedTokens == [504, 3575, 282, 4649, 314, 7042])
        #expect(generator.reusablePrefix(of: [504, 3575, 282, 4649, 314, 7042, 13]) == 6)
        let status = try engine.nodeStatus()
        #expect(status.count == 1 && status[0].tokenSteps == 2 && status[0].tokenSyncNanoseconds == 0)
    }
}

import Foundation
import ModelFormat
import Scheduler
import Testing
import Transport
@testable import Engine

@Suite("link predictions from a measured compute profile")
struct LinkPredictionTests {
    let model = PublishedShapes.all["llama3.1-8b"]!

    func plan(_ nodes: Int, mode: PlanMode = .tensor) throws -> Plan {
        try Plan.make(model: model, tensors: try model.dllamaLayout(), nodes: nodes, mode: mode, maxSeqLen: 1024, activationType: .q80)
    }

    func sample(compute: Double, sync: Double, nodes: Int) -> BenchmarkSample {
        BenchmarkSample(promptTokens: 8, generatedTokens: 8, prefillTokensPerSecond: 1, generationTokensPerSecond: 1,
                        timeToFirstTokenMilliseconds: 1, computeMillisecondsPerToken: compute, syncMillisecondsPerToken: sync,
                        sentBytesPerToken: 0, receivedBytesPerToken: 0, peakResidentBytes: Array(repeating: 1, count: nodes))
    }

    func report(cores: Int) throws -> BenchmarkReport {
        let one = try plan(1), two = try plan(2)
        return BenchmarkReport(
            date: Date(), machine: .init(cpu: "test", cores: cores, kernelPath: "scalar", linkShape: nil), model: "m", architecture: "llama",
            modelWeightBytes: one.estimates[0].weightBytes, promptTokens: 8, tokens: 8, warmupTokens: 0, rounds: 1,
            bufferFloatType: "q80", mode: "tensor",
            results: [BenchmarkResult(nodes: 1, threads: 1, plan: one, samples: [sample(compute: 500, sync: 0, nodes: 1)]),
                      BenchmarkResult(nodes: 2, threads: 1, plan: two, samples: [sample(compute: 260, sync: Double(two.collectivesPerToken) * 0.05, nodes: 2)])])
    }

    @Test("the compute line goes through both measured points; a collective costs what loopback measured")
    func fit() throws {
        let profile = try ComputeProfile(report: try report(cores: 2), threads: 1)
        let one = try plan(1), two = try plan(2)
        #expect(abs(profile.fixedMilliseconds + profile.millisecondsPerGigabyte * Double(one.estimates[0].weightBytes) / 1e9 - 500) < 1e-6)
        #expect(abs(profile.fixedMilliseconds + profile.millisecondsPerGigabyte * Double(two.estimates[0].weightBytes) / 1e9 - 260) < 1e-6)
        #expect(abs(profile.collectiveMilliseconds - 0.05) < 1e-9 && profile.collectiveFrom == 2)
    }

    @Test("runs whose nodes shared cores are left out, and none left is an error saying what to measure")
    func sharedCores() throws {
        let profile = try ComputeProfile(report: try report(cores: 1), threads: 1)
        #expect(profile.fittedOn == [1] && profile.fixedMilliseconds == 0 && profile.collectiveFrom == nil)
        #expect(throws: PredictionError.self) { try ComputeProfile(report: try report(cores: 2), threads: 4) }
    }

    @Test("each step of latency adds one latency per all-reduce, plus the step and the candidate")
    func latency() throws {
        let profile = try ComputeProfile(report: try report(cores: 2), threads: 1)
        for nodes in [2, 4] {
            let p = try plan(nodes)
            let fast = LinkPrediction(plan: p, link: LinkShape(bitsPerSecond: 1e9, latencySeconds: 0.001), profile: profile)
            let slow = LinkPrediction(plan: p, link: LinkShape(bitsPerSecond: 1e9, latencySeconds: 0.002), profile: profile)
            let perAllReduce = nodes == 2 ? 1.0 : 2.0  // a swap, or there and back through the root
            #expect(abs(slow.linkMilliseconds - fast.linkMilliseconds - (Double(2 * model.layerCount) * perAllReduce + 2)) < 1e-6)
            #expect(abs(fast.tokensPerSecond * fast.millisecondsPerToken - 1000) < 1e-6)
        }
        let alone = LinkPrediction(plan: try plan(1), link: LinkShape(bitsPerSecond: 1e9, latencySeconds: 0.001), profile: profile)
        #expect(alone.linkMilliseconds == 0 && abs(alone.computeMilliseconds - 500) < 1e-6)
    }

    @Test("a slower rate costs the vectors' bytes: the root sends the sum to each worker in turn")
    func rate() throws {
        let profile = try ComputeProfile(report: try report(cores: 2), threads: 1)
        let p = try plan(4)
        let fast = LinkPrediction(plan: p, link: LinkShape(bitsPerSecond: 2e9, latencySeconds: 0), profile: profile)
        let slow = LinkPrediction(plan: p, link: LinkShape(bitsPerSecond: 1e9, latencySeconds: 0), profile: profile)
        let vector = Double(ActivationWireType.q80.bytes(dim: model.dim) + 8)
        let bytes = 3 * 18 + Double(2 * model.layerCount) * 4 * vector + 16  // steps, 1 + 3 vectors per all-reduce, candidate
        #expect(abs((slow.linkMilliseconds - fast.linkMilliseconds) - bytes * 8 / 2e9 * 1000) < 1e-6)
    }
}

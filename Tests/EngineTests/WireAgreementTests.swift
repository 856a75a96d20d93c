import Foundation
import Testing
import TestSupport
import ModelFormat
import Scheduler
import Transport
@testable import Engine

/// How closely a split SmolLM2 follows one node, by wire encoding: one node's greedy path is fed
/// to both, token by token, for 64 steps. f32 and f16 make every clear choice (top-2 margin above
/// 0.5) as one node does; q80, whose 8-bit blocks flatten the small values sharing a block with
/// SmolLM2's activation outliers, is measured. A measurement more than a check (four minutes in a
/// debug build), so it runs when asked: `DLLAMA_MEASURE=1 swift test --filter WireAgreementTests`
/// prints the table in docs/protocol.md. `ClusterAgreementTests` checks the same over TCP in CI.
@Suite("agreement with one node, by wire encoding", .enabled(if: ProcessInfo.processInfo.environment["DLLAMA_MEASURE"] == "1"))
struct WireAgreementTests {
    @Test("2 and 3 in-process nodes, each encoding", .enabled(if: Assets.present, Assets.missing), arguments: [2, 3], ActivationWireType.allCases)
    func agreement(nodes: Int, wire: ActivationWireType) throws {
        let file = try ModelFile(path: SmolLM2Tests.path)
        let single = try Transformer(file: file, options: .init(threads: 1, maxSeqLen: 128))
        let split = try Transformer(file: file, options: .init(threads: 1, maxSeqLen: 128, nodes: nodes, activationType: wire))
        var token = 7454, agreed = 0, confident = 0, confidentAgreed = 0, steps = 0
        var worst: Float = 0
        for position in 0..<72 {
            let a = Array(try single.forward(token: token, position: position))
            let b = Array(try split.forward(token: token, position: position))
            let order = a.indices.sorted { a[$0] > a[$1] }
            let best = b.indices.max { b[$0] < b[$1] }!
            if position >= 8 {
                steps += 1
                if best == order[0] { agreed += 1 }
                if a[order[0]] - a[order[1]] > 0.5 {
                    confident += 1
                    if best == order[0] { confidentAgreed += 1 }
                }
                worst = max(worst, order.prefix(10).map { abs(a[$0] - b[$0]) }.max()!)
            }
            token = order[0]
        }
        print("agreement \(wire.rawValue) \(nodes) nodes: top token \(agreed)/\(steps), clear choices \(confidentAgreed)/\(confident), "
              + "largest top-10 logit difference \(String(format: "%.2f", worst))")
        if wire != .q80 {
            #expect(confidentAgreed == confident)
            #expect(worst < 1)
        }
        #expect(agreed >= steps / 2)
    }
}

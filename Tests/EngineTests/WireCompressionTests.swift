import Foundation
import Testing
import TestSupport
import ModelFormat
import Scheduler
import Transport
@testable import Engine

/// LZ4 on real activations: SmolLM2's partial sums as the root sends them to its workers, every
/// frame offered to LZ4 (`CompressionPolicy.always`). Whatever the ratio, a frame never grows
/// (raw bytes go when LZ4 does not pay) and the byte counts add up. The ratios it prints are the
/// ones in docs/protocol.md: `swift test --filter WireCompressionTests`.
@Suite("LZ4 on real activations")
struct WireCompressionTests {
    @Test("SmolLM2 partials on 2 and 3 nodes, each encoding: never larger than raw", .enabled(if: Assets.present, Assets.missing), arguments: [2, 3], ActivationWireType.allCases)
    func ratio(nodes: Int, wire: ActivationWireType) throws {
        let file = try ModelFile(path: SmolLM2Tests.path)
        let engine = try Transformer(file: file, options: .init(threads: 1, maxSeqLen: 64, nodes: nodes, activationType: wire))
        let root = try #require(engine.collective as? StarCollective)
        root.links.compactMap { $0 }.forEach { $0.compression = .always }
        var token = 7454
        for position in 0..<8 { token = try engine.forwardGreedy(token: token, position: position) }
        let traffic = root.traffic
        let frames = 8 * 2 * file.model.layerCount * (nodes - 1)
        let raw = frames * ActivationEncoding(rawValue: wire.rawValue)!.byteCount(file.model.dim)
        #expect(traffic.compressibleBytes == raw)
        #expect(traffic.compressedBytes <= traffic.compressibleBytes)
        let ratio = Double(traffic.compressedBytes) / Double(traffic.compressibleBytes)
        print("LZ4 on SmolLM2 \(wire.rawValue) partials, \(nodes) nodes: \(traffic.compressibleBytes) -> \(traffic.compressedBytes) bytes (\(String(format: "%.3f", ratio)))")
    }
}

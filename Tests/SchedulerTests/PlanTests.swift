import Foundation
import Testing
import TestSupport
import ModelFormat
@testable import Scheduler

enum Models {
    static func smolLM2() throws -> ModelFile { try ModelFile(path: Paths.asset(Assets.smolLM2)) }

    static func fixture(_ path: String) throws -> ModelFile { try ModelFile(path: Paths.fixture(path)) }

    /// Llama 3 8B's published dimensions, Q40 weights: a description, no file.
    static let llama3_8B = ModelDescription(
        architecture: .llama, dim: 4096, hiddenDim: 14336, layerCount: 32, headCount: 32, kvHeadCount: 8,
        headDim: 128, vocabSize: 128_256, maxSeqLen: 8192, ropeTheta: 500_000, ropeStyle: .adjacentPairs,
        normEpsilon: 1e-5, weightType: .q4_0, tiedEmbedding: false)
}

@Suite("partition plans")
struct PlanTests {
    @Test("SmolLM2 (3 KV heads) on 1, 2 and 3 nodes", .enabled(if: Assets.present, Assets.missing), arguments: [1, 2, 3])
    func smolLM2(nodes: Int) throws {
        let file = try Models.smolLM2()
        let plan = try Plan.make(model: file.model, tensors: file.tensors, nodes: nodes)
        let expectedKV = [1: [3], 2: [2, 1], 3: [1, 1, 1]][nodes]!
        #expect(plan.nodes.map(\.kvHeads.count) == expectedKV)
        #expect(plan.nodes.map(\.queryHeads.count) == expectedKV.map { $0 * 3 })
        #expect(plan.nodes.allSatisfy { $0.ffnRows.count % 32 == 0 })
        #expect(plan.collectivesPerToken == (nodes == 1 ? 0 : 62))
        // Resident weights add up to the model's once the replicated norms are counted per node.
        let replicated = file.tensors.filter { $0.type == .f32 }.reduce(0) { $0 + $1.byteCount }
        let total = plan.estimates.reduce(0) { $0 + $1.weightBytes }
        #expect(total == file.statistics.tensorBytes + (nodes - 1) * replicated)
        try expectCoverage(plan, tensors: file.tensors)
    }

    @Test("3 nodes: the root sends about 72 kB and receives about 200 kB a token (distributed-llama: 76 / 199)", .enabled(if: Assets.present, Assets.missing))
    func traffic() throws {
        let file = try Models.smolLM2()
        let plan = try Plan.make(model: file.model, tensors: file.tensors, nodes: 3)
        // 60 all-reduces of a 576-value Q80 vector (612 bytes and an 8-byte frame header) with each
        // of 2 workers, plus a 10-byte step each; 2 workers' 16384 F32 logits.
        #expect(plan.estimates[0].sentBytesPerToken == 2 * (60 * 620 + 18))
        #expect(plan.estimates[0].receivedBytesPerToken == 2 * 60 * 620 + 2 * (16384 * 4 + 8))
    }

    @Test("a Llama-3-8B-shaped model on 1 to 8 nodes", arguments: 1...8)
    func llama3(nodes: Int) throws {
        let model = Models.llama3_8B
        let tensors = try model.dllamaLayout()
        let plan = try Plan.make(model: model, tensors: tensors, nodes: nodes)
        let kv = plan.nodes.map(\.kvHeads.count)
        #expect(kv.reduce(0, +) == 8 && kv.max()! - kv.min()! <= 1)
        #expect(kv == kv.sorted(by: >))
        if nodes == 3 { #expect(kv == [3, 3, 2]) }
        if nodes == 5 { #expect(kv == [2, 2, 2, 1, 1]) }
        if nodes == 6 { #expect(kv == [2, 2, 1, 1, 1, 1]) }
        try expectCoverage(plan, tensors: tensors)
    }

    @Test("speed weights the shares; declared RAM only when a share by speed would not fit")
    func weighted() throws {
        let model = Models.llama3_8B
        let tensors = try model.dllamaLayout()
        let roomy = try Plan.make(model: model, tensors: tensors, nodes: 2, capacities: NodeCapacity.parse(ram: "8G,16G", speed: nil, nodes: 2))
        #expect(roomy.nodes.map(\.kvHeads.count) == [4, 4])
        #expect(roomy.estimates.allSatisfy { !$0.streams })
        // Half of the model (2.3 GB) does not fit 2G: the RAM-weighted split lets node 0 hold its share.
        let tight = try Plan.make(model: model, tensors: tensors, nodes: 2, capacities: NodeCapacity.parse(ram: "2G,16G", speed: nil, nodes: 2))
        #expect(tight.nodes.map(\.kvHeads.count) == [1, 7])
        #expect(tight.estimates.allSatisfy { !$0.streams })
        let pipeline = try Plan.make(model: model, tensors: tensors, nodes: 2,
                                     capacities: NodeCapacity.parse(ram: nil, speed: "1,3", nodes: 2), mode: .pipeline)
        #expect(pipeline.nodes.map(\.layers) == [0..<8, 8..<32])
        #expect(pipeline.collectivesPerToken == 3)
        try expectCoverage(pipeline, tensors: tensors)
    }

    @Test("unequal declared RAM that all fits does not starve a node (issue 15: 1G,2G,4G was refused)",
          .enabled(if: Assets.present, Assets.missing))
    func unequalRAM() throws {
        let file = try Models.smolLM2()
        let plan = try Plan.make(model: file.model, tensors: file.tensors, nodes: 3,
                                 capacities: NodeCapacity.parse(ram: "1G,2G,4G", speed: nil, nodes: 3))
        #expect(plan.nodes.map(\.kvHeads.count) == [1, 1, 1])
        try plan.checkFits(tensors: file.tensors)
    }

    @Test("the context defaults to the model's, at most 4096 tokens; a request is capped at the model's")
    func defaultContext() throws {
        var model = Models.llama3_8B
        let tensors = try model.dllamaLayout()
        #expect(try Plan.make(model: model, tensors: tensors, nodes: 1).maxSeqLen == 4096)
        #expect(try Plan.make(model: model, tensors: tensors, nodes: 1, maxSeqLen: 6000).maxSeqLen == 6000)
        #expect(try Plan.make(model: model, tensors: tensors, nodes: 1, maxSeqLen: 100_000).maxSeqLen == 8192)
        model.maxSeqLen = 2048
        #expect(try Plan.make(model: model, tensors: try model.dllamaLayout(), nodes: 1).maxSeqLen == 2048)
    }

    @Test("pipeline plans on the oracle MoE model cover every tensor once", arguments: [1, 2])
    func pipelineMoE(nodes: Int) throws {
        let file = try Models.fixture("oracle/dllama_model_qwen3moe_q40.m")
        try expectCoverage(try Plan.make(model: file.model, tensors: file.tensors, nodes: nodes, mode: .pipeline), tensors: file.tensors)
        try expectCoverage(try Plan.make(model: file.model, tensors: file.tensors, nodes: nodes), tensors: file.tensors)
    }

    @Test("stacked GGUF experts are held by expert rows and columns")
    func stackedExperts() throws {
        let file = try Models.fixture("gguf/tiny-qwen3moe.gguf")
        let plan = try Plan.make(model: file.model, tensors: file.tensors, nodes: 1)
        try expectCoverage(plan, tensors: file.tensors)
        let down = try file.tensor("blk.0.ffn_down_exps")
        #expect(plan.nodes[0].ownership(of: down, model: file.model) == .expertColumns(0..<32))
        // Its 32 expert rows are a single Q5_0 block: no 2-way split exists.
        #expect(throws: PlanError.tooFewUnits(what: "expert FFN rows", units: 1, nodes: 2)) {
            try Plan.make(model: file.model, tensors: file.tensors, nodes: 2)
        }
    }

    @Test("impossible plans are refused with the reason and what to do", .enabled(if: Assets.present, Assets.missing))
    func refusals() throws {
        let file = try Models.smolLM2()
        #expect(throws: PlanError.tooManyNodesForKVHeads(nodes: 8, kvHeads: 3)) {
            try Plan.make(model: file.model, tensors: file.tensors, nodes: 8)
        }
        #expect(PlanError.tooManyNodesForKVHeads(nodes: 8, kvHeads: 3).description
            == "8 nodes but the model has 3 KV heads: use at most 3 nodes, or a hybrid plan (pipeline stages of tensor-parallel groups) or a pipeline plan")
        #expect(throws: PlanError.tooManyNodesForLayers(nodes: 31, layers: 30)) {
            try Plan.make(model: file.model, tensors: file.tensors, nodes: 31, mode: .pipeline)
        }
        #expect(throws: PlanError.self) { try NodeCapacity.parse(ram: "4G,4G", speed: nil, nodes: 3) }
        #expect(throws: PlanError.self) { try NodeCapacity.parse(ram: "lots", speed: nil, nodes: 1) }
        #expect(throws: PlanError.emptyShare(node: 1, what: "KV heads")) {
            try Plan.make(model: file.model, tensors: file.tensors, nodes: 2,
                          capacities: NodeCapacity.parse(ram: nil, speed: "10,1", nodes: 2))
        }
        let tight = try Plan.make(model: file.model, tensors: file.tensors, nodes: 1,
                                  capacities: NodeCapacity.parse(ram: "40M", speed: nil, nodes: 1))
        #expect(throws: PlanError.self) { try tight.checkFits(tensors: file.tensors) }
    }

    @Test("a node short of RAM for its whole share streams instead of failing", .enabled(if: Assets.present, Assets.missing))
    func streams() throws {
        let file = try Models.smolLM2()
        let plan = try Plan.make(model: file.model, tensors: file.tensors, nodes: 1,
                                 capacities: NodeCapacity.parse(ram: "100M", speed: nil, nodes: 1), maxSeqLen: 256)
        #expect(plan.estimates[0].streams)
        try plan.checkFits(tensors: file.tensors)
        #expect(plan.estimates[0].kvCacheBytes == 30 * 2 * 256 * 3 * 64 * 2)  // F16 by default
    }

    @Test("the KV cache estimate follows the cache type: F32 twice F16, and the RAM estimate with it", .enabled(if: Assets.present, Assets.missing))
    func kvCacheType() throws {
        let file = try Models.smolLM2()
        let f16 = try Plan.make(model: file.model, tensors: file.tensors, nodes: 3, maxSeqLen: 256)
        let f32 = try Plan.make(model: file.model, tensors: file.tensors, nodes: 3, maxSeqLen: 256, kvCacheType: .f32)
        #expect(f16.kvCacheType == .f16 && f32.kvCacheType == .f32)
        for node in 0..<3 {
            let kvHeads = f16.nodes[node].kvHeads.count
            #expect(f16.estimates[node].kvCacheBytes == 30 * 2 * 256 * kvHeads * 64 * 2)
            #expect(f32.estimates[node].kvCacheBytes == 2 * f16.estimates[node].kvCacheBytes)
            #expect(f32.estimates[node].estimatedRAM - f16.estimates[node].estimatedRAM == f16.estimates[node].kvCacheBytes)
        }
        // The type travels with the plan (workers learn it from the plan in the setup message).
        let decoded = try JSONDecoder().decode(Plan.self, from: JSONEncoder().encode(f32))
        #expect(decoded == f32 && decoded.kvCacheType == .f32)
    }

    /// Every tensor is either replicated on every node that holds it, or its elements are held exactly once
    /// across the nodes' row, column and whole-tensor shares (the embedding of an untied model
    /// may instead be only looked up).
    func expectCoverage(_ plan: Plan, tensors: [TensorInfo]) throws {
        for t in tensors {
            let ownerships = plan.nodes.map { $0.ownership(of: t, model: plan.model) }
            // Replicated among the nodes that hold it (all nodes, or a hybrid plan's stage).
            let holders = ownerships.filter { $0 != .none && $0 != .lookup }
            if holders.count > 1 && holders.allSatisfy({ $0 == .whole }) { continue }
            let matrices = t.shape.count == 3 ? t.shape[0] : 1
            let rows = t.rowCount / matrices, columns = t.rowLength
            var rectangles: [(rows: Range<Int>, columns: Range<Int>)] = []
            for o in ownerships {
                switch o {
                case .none, .lookup: break
                case .whole: rectangles.append((0..<rows, 0..<columns))
                case .rows(let r), .expertRows(let r): rectangles.append((r, 0..<columns))
                case .columns(let c), .expertColumns(let c): rectangles.append((0..<rows, c))
                }
            }
            if rectangles.isEmpty && ownerships.contains(.lookup) && t.name == "token_embd" { continue }
            let area = rectangles.reduce(0) { $0 + $1.rows.count * $1.columns.count }
            #expect(area == rows * columns, "\(t.name): \(ownerships)")
            for (i, a) in rectangles.enumerated() {
                for b in rectangles[(i + 1)...] {
                    #expect(!(a.rows.overlaps(b.rows) && a.columns.overlaps(b.columns)), "\(t.name) held twice: \(ownerships)")
                }
            }
        }
    }
}

@Suite("hybrid plans")
struct HybridPlanTests {
    @Test("more nodes than KV heads: tensor-parallel groups as pipeline stages", arguments: [4, 5, 6, 12, 16])
    func llama3(nodes: Int) throws {
        let model = Models.llama3_8B
        let tensors = try model.dllamaLayout()
        let plan = try Plan.make(model: model, tensors: tensors, nodes: nodes, mode: .hybrid)
        let stages = plan.stageGroups()
        #expect(stages.count == (nodes + 7) / 8)
        #expect(stages.map(\.count).max()! <= 8)
        // Stages cover the layers in order, and only the last computes logits.
        #expect(stages.map { plan.nodes[$0.lowerBound].layers.lowerBound } == stages.indices.map { s in
            s == 0 ? 0 : plan.nodes[stages[s - 1].lowerBound].layers.upperBound })
        #expect(plan.nodes[stages.last!.lowerBound].layers.upperBound == 32)
        #expect(plan.nodes.filter { !$0.vocabRows.isEmpty }.count == stages.last!.count)
        try PlanTests().expectCoverage(plan, tensors: tensors)
    }

    @Test("SmolLM2 on 5 nodes: stages of 3 and 2, shares sized by their stage", .enabled(if: Assets.present, Assets.missing))
    func smolLM2() throws {
        let file = try Models.smolLM2()
        let plan = try Plan.make(model: file.model, tensors: file.tensors, nodes: 5, mode: .hybrid)
        #expect(plan.stageGroups() == [0..<3, 3..<5])
        #expect(plan.nodes.map(\.layers) == [0..<18, 0..<18, 0..<18, 18..<30, 18..<30])
        #expect(plan.collectivesPerToken == 2 * 18 + 2 * 12 + 1 + 2)
        try PlanTests().expectCoverage(plan, tensors: file.tensors)
    }
}

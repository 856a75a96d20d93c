import ArgumentParser
import Engine
import Foundation
import ModelFormat
import Scheduler

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show how a model would be split over N nodes, and what each node needs.")

    @Option(name: [.customShort("m"), .long], help: "The model file (.m or GGUF).")
    var model: String

    @Option(help: "Number of nodes, the root included.")
    var nodes: Int

    @Option(help: "RAM of each node, comma-separated (such as 4G,8G,8G), or one value for all.")
    var ram: String?

    @Option(help: "Relative speed of each node, comma-separated (such as 1,1,2), or one value for all.")
    var speed: String?

    @Option(help: "tensor (split every layer), pipeline (whole layers per node) or hybrid (pipeline stages of tensor-parallel groups).")
    var mode: PlanMode = .tensor

    @Option(name: [.customShort("c"), .long], help: "The context: caps it (and the KV cache) at this many tokens (default: the model's, at most \(Plan.defaultMaxSeqLen)).")
    var maxSeqLen: Int?

    @Option(help: "How activations travel between nodes: q80, f16 or f32.")
    var bufferFloatType: ActivationWireType = .f16

    @Flag(help: "Print JSON for scripts instead of a table (tensor types by name, such as Q4_1).")
    var json = false

    func validate() throws {
        guard nodes >= 1 else { throw ValidationError("--nodes must be at least 1.") }
        if let maxSeqLen, maxSeqLen < 1 { throw ValidationError("--max-seq-len must be at least 1.") }
    }

    func run() throws {
        let file = try ModelFile(path: model)
        let capacities = try NodeCapacity.parse(ram: ram, speed: speed, nodes: nodes)
        let plan = try Plan.make(model: file.model, tensors: file.tensors, nodes: nodes, capacities: capacities,
                                 mode: mode, maxSeqLen: maxSeqLen, activationType: bufferFloatType)
        try plan.checkFits(tensors: file.tensors)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.userInfo[.tensorTypeNames] = true
            print(String(decoding: try encoder.encode(plan), as: UTF8.self))
        } else {
            print(plan.renderTable())
            for note in notes(plan) { print(note) }
        }
    }

    /// What the table alone would not say: a default context shorter than the model's, and nodes
    /// of undeclared RAM whose estimate exceeds this machine's memory (a KV cache for a huge context).
    func notes(_ plan: Plan) -> [String] {
        var notes: [String] = []
        if maxSeqLen == nil && plan.maxSeqLen < plan.model.maxSeqLen {
            notes.append("note: context \(plan.maxSeqLen) by default; the model allows \(plan.model.maxSeqLen) (--max-seq-len N for more)")
        }
        guard let memory = ProcessMemory.physicalBytes() else { return notes }
        for (node, estimate) in plan.estimates.enumerated() where estimate.ramBytes == nil && estimate.estimatedRAM > memory {
            notes.append("note: node \(node) needs an estimated \(formatBytes(estimate.estimatedRAM)) (\(formatBytes(estimate.kvCacheBytes)) of it the KV cache "
                         + "for \(plan.maxSeqLen) tokens), more than this machine's \(formatBytes(memory)): lower --max-seq-len, or declare each node's --ram")
        }
        return notes
    }
}

extension PlanMode: ExpressibleByArgument {}
extension ActivationWireType: ExpressibleByArgument {}

import ArgumentParser
import Engine
import Foundation
import ModelFormat
import Scheduler
import Transport

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show how a model would be split over N nodes, and what each node needs.",
        discussion: """
            With --link and --profile, also predicts generation tokens/s over that link: the compute time each node's \
            share takes on a machine like the one the profile was measured on, plus the plan's bytes and round trips \
            per token over the link (docs/performance.md shows how well that held on loopback).
            """)

    @Option(name: [.customShort("m"), .long], help: "The model file (.m or GGUF).")
    var model: String?

    @Option(help: "Instead of --model, a model known by its published dimensions (Q40 weights): \(PublishedShapes.names.joined(separator: ", ")).")
    var modelShape: String?

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

    @Option(help: "How the KV cache holds keys and values: f16 (half the memory, as llama.cpp) or f32.")
    var kvCacheType: KVCacheType = .f16

    @Option(help: "Predict tokens/s over a link of RATE,LATENCY (one way), such as 1gbit,0.3ms; repeat for several links. Needs --profile.")
    var link: [String] = []

    @Option(help: "A measured compute profile: what `dllama bench --model M --nodes 1,2 --json` printed on a machine like the nodes.")
    var profile: String?

    @Option(help: "With --link: threads per node (the profile's runs at this thread count are used).")
    var threads = 1

    @Flag(help: "Print JSON for scripts instead of a table (tensor types by name, such as Q4_1).")
    var json = false

    func validate() throws {
        guard nodes >= 1 else { throw ValidationError("--nodes must be at least 1.") }
        if let maxSeqLen, maxSeqLen < 1 { throw ValidationError("--max-seq-len must be at least 1.") }
        switch (model, modelShape) {
        case (nil, nil): throw ValidationError("give the model: --model FILE, or --model-shape NAME (\(PublishedShapes.names.joined(separator: ", "))).")
        case (.some, .some): throw ValidationError("--model and --model-shape both name a model: give one of them.")
        case (nil, .some(let name)) where PublishedShapes.all[name] == nil:
            throw ValidationError("--model-shape \(name) is not a known model: use one of \(PublishedShapes.names.joined(separator: ", ")), or --model FILE.")
        default: break
        }
        for text in link {
            do { _ = try LinkShape(parsing: text) } catch { throw ValidationError("\(error)") }
        }
        if !link.isEmpty && profile == nil {
            throw ValidationError("--link needs a measured compute profile: run `dllama bench --model M --nodes 1,2 --json > profile.json` "
                                  + "on a machine like the nodes, then pass --profile profile.json.")
        }
        if profile != nil && link.isEmpty { throw ValidationError("--profile is for predictions: add --link RATE,LATENCY (such as 1gbit,0.3ms).") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
    }

    func run() throws {
        let (description, tensors) = try modelAndTensors()
        let capacities = try NodeCapacity.parse(ram: ram, speed: speed, nodes: nodes)
        let plan = try Plan.make(model: description, tensors: tensors, nodes: nodes, capacities: capacities,
                                 mode: mode, maxSeqLen: maxSeqLen, activationType: bufferFloatType, kvCacheType: kvCacheType)
        try plan.checkFits(tensors: tensors)
        let predictions = try predict(plan)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.userInfo[.tensorTypeNames] = true
            let data = predictions.isEmpty ? try encoder.encode(plan) : try encoder.encode(PlanWithPredictions(plan: plan, predictions: predictions))
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(plan.renderTable())
            for note in notes(plan) { print(note) }
            for p in predictions {
                print(String(format: "over %@: %.1f tokens/s predicted (per token %.2f ms compute, %.2f ms collectives as on loopback, %.2f ms on the link)",
                             p.link.description, p.tokensPerSecond, p.computeMilliseconds, p.collectiveMilliseconds, p.linkMilliseconds))
            }
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

    private func modelAndTensors() throws -> (ModelDescription, [TensorInfo]) {
        if let model {
            let file = try ModelFile(path: model)
            return (file.model, file.tensors)
        }
        let description = PublishedShapes.all[modelShape!]!
        return (description, try description.dllamaLayout())
    }

    private func predict(_ plan: Plan) throws -> [LinkPrediction] {
        guard let profile else { return [] }
        let report: BenchmarkReport
        do {
            report = try JSONDecoder().decode(BenchmarkReport.self, from: Data(contentsOf: URL(fileURLWithPath: profile)))
        } catch {
            throw ValidationError("--profile \(profile) is not the JSON of `dllama bench --json` (\(error.localizedDescription)): "
                                  + "measure one with `dllama bench --model M --nodes 1,2 --json > profile.json`.")
        }
        let compute = try ComputeProfile(report: report, threads: threads)
        return try link.map { LinkPrediction(plan: plan, link: try LinkShape(parsing: $0), profile: compute) }
    }
}

/// `dllama plan --json` with `--link`: the plan and a prediction per link.
struct PlanWithPredictions: Encodable {
    var plan: Plan
    var predictions: [LinkPrediction]
}

extension PlanMode: ExpressibleByArgument {}
extension ActivationWireType: ExpressibleByArgument {}

import Foundation
import LayerStore
import ModelFormat
import QuantKernels
import Scheduler
import Transport

/// A start-up failure that every node of a launched cluster learned of together: each stops with
/// this same message (and the job ends cleanly, with no node left waiting).
public struct LaunchError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var description: String { message }
}

/// A cluster whose processes a launcher started all at once, every one running the same command
/// (`mpirun -np 3 dllama inference ...`, `srun dllama ...`). There is no handshake: the nodes know
/// each other from the start, and agree through the cluster's own `Collective` before any step.
///
/// 1. Every node opens its own copy of the model and all of them exchange fingerprint, threads,
///    RAM budget and any failure (an all-gather). Each node checks what it got in the same way, so
///    a missing file or another model on one node stops every node with the same message.
/// 2. The root plans, weighted by threads and RAM as `Cluster.connect` does, and broadcasts the plan.
/// 3. Every node loads its own share (only its byte ranges, streamed under its `--max-ram` when
///    they do not fit) and the nodes all-gather how that went, stopping together on a failure.
/// 4. The root gets the `Transformer`; every other node serves the steps it receives (`serve`).
///
///     switch try LaunchedCluster.join(modelPath: path, collective: collective, options: options) {
///     case .root(let engine): ...; engine.shutdown()
///     case .member(let member): try LaunchedCluster.serve(member, collective: collective)
///     }
public enum LaunchedCluster {
    /// A node other than the root, loaded and ready to serve.
    public struct Member {
        public let runner: NodeRunner
        let residentBeforeLoad: Int
        let residentAfterLoad: Int
    }

    public enum Membership {
        case root(Transformer)
        case member(Member)
    }

    /// What each node tells every other before planning.
    struct Arrival: Codable, Equatable {
        var fingerprint: String?
        var threads: Int
        var ramBudget: Int?
        var host: String
        var failure: String?
    }

    /// What the root broadcasts: the plan, or why there is none.
    struct PlanMessage: Codable {
        var plan: Plan?
        var failure: String?
    }

    /// What each node tells every other once it has loaded its share.
    struct Loaded: Codable {
        var ready: WorkerReady?
        var failure: String?
    }

    /// Opens `modelPath`, agrees with every other node on the model and the plan, and loads this
    /// node's share. Of `options`, the plan's (`mode`, `maxSeqLen`, `activationType`) and this
    /// node's own (`threads`, `maxRAM`, `profile`, `kernels`) apply; the TCP ones do not. `check` runs on every node once the file is open (the root checks its
    /// tokenizer there); what it throws stops every node. `log` hears the root's account of each node.
    public static func join(modelPath: String, collective: Collective, options: Cluster.Options,
                            check: (ModelFile) throws -> Void = { _ in }, log: (String) -> Void = { _ in }) throws -> Membership {
        var file: ModelFile?
        var arrival = Arrival(threads: options.threads, ramBudget: options.maxRAM, host: ProcessInfo.processInfo.hostName)
        do {
            let opened = try ModelFile(path: modelPath)
            arrival.fingerprint = opened.fingerprint().sha256
            try check(opened)
            file = opened
        } catch {
            arrival.failure = "\(error)"
        }
        let arrivals = try allGather(arrival, collective)
        if let failure = verdict(on: arrivals) { throw failure }
        guard let file else { preconditionFailure("a node whose file failed to open has a verdict") }

        let message: PlanMessage
        if collective.node == 0 {
            do {
                let capacities = Cluster.capacities(declared: arrivals.map { ($0.threads, $0.ramBudget) })
                message = PlanMessage(plan: try Plan.make(model: file.model, tensors: file.tensors, nodes: collective.nodeCount,
                                                          capacities: capacities, mode: options.mode, maxSeqLen: options.maxSeqLen,
                                                          activationType: options.activationType, kvCacheType: options.kvCacheType))
            } catch {
                message = PlanMessage(failure: "\(error)")
            }
        } else {
            message = PlanMessage()
        }
        let agreed = try broadcast(collective.node == 0 ? message : nil, collective)
        guard let plan = agreed.plan else { throw LaunchError(message: agreed.failure ?? "the root sent no plan") }

        let residentBefore = ProcessMemory.residentBytes() ?? 0
        let start = Date()
        var runner: NodeRunner?
        var loaded = Loaded()
        do {
            guard plan.model == file.model, plan.nodes.count == collective.nodeCount else {
                throw LaunchError(message: "the root's plan is for another model or cluster size than this node's file \(modelPath)")
            }
            let runnerOptions = NodeRunner.Options(threads: options.threads, storeMode: .resident, maxRAM: options.maxRAM,
                                                   profile: options.profile, kernels: options.kernels)
            let made = try NodeRunner(file: file, plan: plan, node: collective.node, options: runnerOptions)
            loaded.ready = WorkerReady(storeMode: describe(made.storeMode), weightBytes: made.residentWeightBytes,
                                       loadSeconds: Date().timeIntervalSince(start), reused: false)
            runner = made
        } catch {
            loaded.failure = "\(error)"
        }
        let everyone = try allGather(loaded, collective)
        let failed = everyone.indices.filter { everyone[$0].failure != nil }
        if !failed.isEmpty {
            throw LaunchError(message: failed.map { "rank \($0) (\(arrivals[$0].host)) cannot load its share: \(everyone[$0].failure!)" }
                .joined(separator: "; "))
        }
        guard let runner else { preconditionFailure("a node whose load failed has a verdict") }
        guard collective.node == 0 else {
            return .member(Member(runner: runner, residentBeforeLoad: residentBefore, residentAfterLoad: ProcessMemory.residentBytes() ?? 0))
        }
        for (rank, status) in everyone.enumerated() {
            guard let ready = status.ready else { continue }
            log("rank \(rank) (\(arrivals[rank].host)): \(Cluster.describe(plan.nodes[rank], model: file.model)), "
                + "\(formatBytes(ready.weightBytes)) of weights \(ready.storeMode), " + String(format: "loaded in %.2f s", ready.loadSeconds))
        }
        return .root(Transformer(root: runner, collective: collective))
    }

    /// The same failure on every node, from what every node declared: failures to open the model
    /// first, then fingerprints that differ from the root's.
    static func verdict(on arrivals: [Arrival]) -> LaunchError? {
        let failed = arrivals.indices.filter { arrivals[$0].failure != nil }
        if !failed.isEmpty {
            return LaunchError(message: failed.map { "rank \($0) (\(arrivals[$0].host)): \(arrivals[$0].failure!)" }.joined(separator: "; "))
        }
        let root = arrivals[0].fingerprint ?? ""
        let others = arrivals.indices.filter { arrivals[$0].fingerprint != root }
        guard !others.isEmpty else { return nil }
        let theirs = others.map { "rank \($0) (\(arrivals[$0].host)) has fingerprint \(arrivals[$0].fingerprint?.prefix(16) ?? "none")" }
        return LaunchError(message: "model file mismatch: " + theirs.joined(separator: ", ")
                             + ", rank 0 (\(arrivals[0].host)) has \(root.prefix(16)). Copy the same file to every node "
                             + "(`dllama inspect --sha256 FILE` compares them)")
    }

    /// Runs the steps the root sends until it ends the session, then sends the root this node's
    /// closing report (and returns it). A failed step ends the job through `collective.abort`
    /// (for MPI, every rank; other collectives abandon the step and go on).
    @discardableResult
    public static func serve(_ member: Member, collective: Collective) throws -> WorkerReport {
        let runner = member.runner
        var steps = 0
        var busyNanoseconds: UInt64 = 0
        while let bytes = try collective.receiveStep() {
            do {
                let start = DispatchTime.now().uptimeNanoseconds
                try runner.run(try Step(decoding: bytes), collective: collective)
                busyNanoseconds += DispatchTime.now().uptimeNanoseconds - start
                steps += 1
            } catch TransportError.aborted {
                continue  // the root abandoned the step
            } catch {
                collective.abort("step \(steps): \(error)")
            }
        }
        let report = WorkerReport(runner: runner, collective: collective, steps: steps, busyNanoseconds: busyNanoseconds,
                                  residentBeforeLoad: member.residentBeforeLoad, residentAfterLoad: member.residentAfterLoad)
        try (collective as? SessionCollective)?.report(Array(try JSONEncoder().encode(report)))
        return report
    }

    // MARK: agreeing through the collective

    /// Every node's `value`, in node order, on every node: gathered by the root, which broadcasts
    /// them back as one step.
    static func allGather<T: Codable>(_ value: T, _ collective: Collective) throws -> [T] {
        var values: [T] = []
        let mine = try JSONEncoder().encode(value)
        try mine.withUnsafeBytes { bytes in
            try collective.gather(bytes, from: 0..<collective.nodeCount) { _, piece in
                values.append(try JSONDecoder().decode(T.self, from: Data(piece)))
            }
        }
        return try broadcast(collective.node == 0 ? values : nil, collective)
    }

    /// The root's `value` on every node (the others pass nil), as one step.
    static func broadcast<T: Codable>(_ value: T?, _ collective: Collective) throws -> T {
        if collective.node == 0, let value {
            try collective.broadcastStep(Array(try JSONEncoder().encode(value)))
            return value
        }
        guard let bytes = try collective.receiveStep() else {
            throw LaunchError(message: "the root ended the session before it started")
        }
        return try JSONDecoder().decode(T.self, from: Data(bytes))
    }
}

import Foundation
import LayerStore
import ModelFormat
import QuantKernels
import Scheduler
import Transport

/// The root's view of a model running on one node or many: it turns tokens into steps, runs
/// them on its own `NodeRunner` and through the `Collective` on every other node, and returns the
/// logits (or the greedy token) the sampler needs.
///
/// One machine: `Transformer(file:options:)`. Several nodes in this process (each a thread with
/// its own share, exchanging through `LoopbackCollective` exactly as over TCP): the same with
/// `options.nodes > 1`. A real cluster: `Cluster.connect(...)` builds one over TCP.
///
///     let engine = try Transformer(file: file, options: .init(threads: 2, maxSeqLen: 1024))
///     let logits = try engine.forward(token: 504, position: 0)   // [vocab]
public final class Transformer: @unchecked Sendable {  // unchecked: one caller at a time (documented); local nodes run on their own threads with their own state
    public struct Options: Sendable {
        public var threads: Int
        public var maxSeqLen: Int?
        /// Nodes in this process (threads exchanging through `LoopbackCollective`).
        public var nodes: Int
        public var mode: PlanMode
        /// How vectors travel between nodes (only used with more than one node, or
        /// `encodePartialsOnOneNode`).
        public var activationType: ActivationWireType
        /// How the KV caches hold keys and values (F16 by default).
        public var kvCacheType: KVCacheType = .f16
        /// How each node holds its weights; nil: resident when they fit the machine, else mapped
        /// (`MemoryBudget.automaticMode`).
        public var storeMode: LayerStore.Mode?
        /// A RAM budget for each node (`--max-ram`): picks `storeMode` (see `MemoryBudget`).
        public var maxRAM: Int?
        public var profile: Bool
        public var kernels: KernelTable
        /// Round even a single node's partials through the wire encoding, as distributed-llama's
        /// single-node path (and the oracle emulating it) does; off by default since no wire exists.
        public var encodePartialsOnOneNode = false

        public init(threads: Int = 1, maxSeqLen: Int? = nil, nodes: Int = 1, mode: PlanMode = .tensor,
                    activationType: ActivationWireType = .f16, storeMode: LayerStore.Mode? = nil,
                    profile: Bool = false, kernels: KernelTable = .current) {
            self.threads = threads
            self.maxSeqLen = maxSeqLen
            self.nodes = nodes
            self.mode = mode
            self.activationType = activationType
            self.storeMode = storeMode
            self.profile = profile
            self.kernels = kernels
        }

        var runner: NodeRunner.Options {
            NodeRunner.Options(threads: threads, storeMode: storeMode, maxRAM: maxRAM, profile: profile, kernels: kernels,
                               encodePartialsAlone: encodePartialsOnOneNode)
        }
    }

    public let model: ModelDescription
    public let plan: Plan
    public let maxSeqLen: Int
    /// The root node's own share and computation.
    public let root: NodeRunner
    public let collective: Collective
    /// Per-operation time on the root (`--profile`).
    public var profiler: Profiler { root.profiler }
    /// Replaces failed workers mid-step (`Cluster.Options.onWorkerFailure == .wait`).
    var recovery: WorkerRecovery?
    /// The steps that built the KV caches, oldest first, for a recovery to replay.
    private var stepLog: [Step] = []

    /// Called after every step with its timing and traffic (for `--token-stats`).
    public var onStep: ((StepTiming) -> Void)?
    /// Time the root has spent in collective operations (waiting for other nodes included).
    public var syncNanoseconds: UInt64 { collective.syncNanoseconds }
    /// Bytes the root has sent and received.
    public var traffic: LinkTraffic { collective.traffic }
    /// The other nodes when they run in this process (empty for one node or a TCP cluster).
    private var localNodes: [LocalNode] = []
    private var finished = false

    /// How the root holds its weights (`.mapped`, `.resident` or `.streaming`).
    public var storeMode: LayerStore.Mode { root.storeMode }
    /// Bytes read from the model file by this process's nodes so far.
    public var bytesRead: Int { root.bytesRead + localNodes.reduce(0) { $0 + $1.runner.bytesRead } }
    /// Weight buffers this process's nodes hold.
    public var residentWeightBytes: Int { root.residentWeightBytes + localNodes.reduce(0) { $0 + $1.runner.residentWeightBytes } }

    /// The model on `options.nodes` nodes of this process.
    public convenience init(file: ModelFile, options: Options = .init()) throws {
        let plan = try Plan.make(model: file.model, tensors: file.tensors, nodes: options.nodes, mode: options.mode,
                                 maxSeqLen: options.maxSeqLen, activationType: options.activationType, kvCacheType: options.kvCacheType)
        guard options.nodes > 1 else {
            let runner = try NodeRunner(file: file, plan: plan, node: 0, options: options.runner)
            self.init(root: runner, collective: SoloCollective(encoding: ActivationEncoding(rawValue: options.activationType.rawValue) ?? .f32))
            return
        }
        let collectives = LoopbackCollective.make(nodes: options.nodes,
                                                  encoding: ActivationEncoding(rawValue: options.activationType.rawValue) ?? .f32)
        let runners = try (0..<options.nodes).map { try NodeRunner(file: file, plan: plan, node: $0, options: options.runner) }
        self.init(root: runners[0], collective: collectives[0])
        localNodes = zip(runners, collectives).dropFirst().map { LocalNode(runner: $0, collective: $1) }
    }

    /// The root of a cluster whose other nodes are reached through `collective`.
    public init(root: NodeRunner, collective: Collective) {
        precondition(root.node == 0 && collective.node == 0, "the root is node 0")
        self.root = root
        self.collective = collective
        plan = root.plan
        model = root.model
        maxSeqLen = root.maxSeqLen
    }

    deinit { shutdown() }

    /// Runs `token` at `position` through every layer and returns the logits over the vocabulary
    /// (empty when `computeLogits` is false: prompt tokens before the last need none).
    /// The returned buffer is reused by the next call.
    @discardableResult
    public func forward(token: Int, position: Int, computeLogits: Bool = true) throws -> UnsafeBufferPointer<Float> {
        let result = try run(.token(token, position: position, logits: computeLogits ? .all : .none))
        guard case .logits(let logits) = result else { return UnsafeBufferPointer(start: nil, count: 0) }
        return logits
    }

    /// Runs `token` at `position` and returns the id of the largest logit: what greedy sampling
    /// picks, gathered as one candidate per node instead of every logit.
    public func forwardGreedy(token: Int, position: Int) throws -> Int {
        guard case .argmax(let next) = try run(.token(token, position: position, logits: .argmax)) else {
            preconditionFailure("an argmax step returns a token")
        }
        return next
    }

    /// Runs prompt tokens through every layer in batches (no logits): the matrix products see up to
    /// `batchLimit` tokens at once, which is where prefill gets its speed. `tokens[i]` goes to
    /// position `first + i`.
    public func prefill(_ tokens: [Int], first: Int, batchLimit: Int = 64) throws {
        guard first + tokens.count <= maxSeqLen else { throw TransformerError.contextFull(maxSeqLen: maxSeqLen) }
        let limit = max(1, min(batchLimit, root.options.batchLimit))
        var start = 0
        while start < tokens.count {
            let batch = min(limit, tokens.count - start)
            if batch == 1 {
                try run(.token(tokens[start], position: first + start, logits: .none))
            } else {
                try run(.batch(Array(tokens[start..<(start + batch)]), first: first + start))
            }
            start += batch
        }
    }

    /// Checks the step here (so no node is sent one it would refuse), sends it to every node and
    /// runs the root's part; a failure anywhere abandons the step on every node. With a recovery
    /// (`--on-worker-failure wait`), a failed worker is replaced, every node replays the steps that
    /// built the KV caches, and the step runs again: the caller sees a delay, not an error.
    @discardableResult
    public func run(_ step: Step) throws -> StepResult {
        switch step {
        case .token(let token, let position, _): try validate([token], first: position)
        case .batch(let tokens, let first): try validate(tokens, first: first)
        case .status: break
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let syncBefore = collective.syncNanoseconds
        let trafficBefore = onStep == nil ? LinkTraffic() : collective.traffic
        var recoveries = 0
        while true {
            do {
                let result = try attempt(step)
                record(step)
                if let onStep {
                    let traffic = collective.traffic
                    onStep(StepTiming(step: step, nanoseconds: DispatchTime.now().uptimeNanoseconds - start,
                                      syncNanoseconds: collective.syncNanoseconds - syncBefore,
                                      sentBytes: traffic.sentBytes - trafficBefore.sentBytes,
                                      receivedBytes: traffic.receivedBytes - trafficBefore.receivedBytes))
                }
                return result
            } catch {
                try recover(from: error, attempt: &recoveries)
            }
        }
    }

    /// One try of a step on every node; a failure abandons it everywhere.
    private func attempt(_ step: Step) throws -> StepResult {
        do {
            try collective.broadcastStep(step.encoded())
            return try root.run(step, collective: collective)
        } catch {
            collective.abort("\(error)")
            throw error
        }
    }

    /// Rethrows `error` unless a recovery can replace the failed workers: then reconnects them and
    /// replays the step log (which may itself need a recovery).
    private func recover(from error: Error, attempt recoveries: inout Int) throws {
        guard let recovery, let star = collective as? StarCollective, !star.failedNodes.isEmpty, recoveries < Self.maxRecoveries else {
            throw error
        }
        recoveries += 1
        let started = Date()
        for node in star.failedNodes {
            star.replaceLink(forNode: node, with: try recovery.reconnect(node: node, after: error))
        }
        do {
            for step in stepLog { _ = try attempt(step.replayed) }
        } catch {
            try recover(from: error, attempt: &recoveries)
            return
        }
        recovery.report(String(format: "recovered in %.1f s: replayed %d steps (%d positions)", Date().timeIntervalSince(started),
                               stepLog.count, stepLog.last.map { $0.positions.upperBound } ?? 0))
    }

    /// At most this many recoveries for one step (a worker failing again and again is a fault to report).
    static let maxRecoveries = 3

    /// Keeps the steps that wrote the KV caches as they now are: a step at position p supersedes
    /// every logged step that started at p or later (a conversation that took another turn).
    private func record(_ step: Step) {
        guard recovery != nil, let positions = step.positionsWritten else { return }
        stepLog.removeAll { ($0.positionsWritten?.lowerBound ?? 0) >= positions.lowerBound }
        stepLog.append(step)
    }

    /// Every node's own figures (resident memory, time per token step in compute and in sync,
    /// bytes moved), root first: one round trip, no computation.
    public func nodeStatus() throws -> [NodeStatus] {
        guard case .status(let nodes) = try run(.status) else { preconditionFailure("a status step returns statuses") }
        return nodes
    }

    private func validate(_ tokens: [Int], first: Int) throws {
        guard first >= 0, first + tokens.count <= maxSeqLen else { throw TransformerError.contextFull(maxSeqLen: maxSeqLen) }
        if let bad = tokens.first(where: { !(0..<model.vocabSize).contains($0) }) {
            throw TransformerError.tokenOutOfRange(token: bad, vocabSize: model.vocabSize)
        }
    }

    /// Ends the session with every other node; returns their closing reports (TCP workers and MPI
    /// ranks send one; nodes in this process none). Called at deinit if not before.
    @discardableResult
    public func shutdown() -> [Int: [UInt8]] {
        guard !finished else { return [:] }
        finished = true
        let reports = (collective as? SessionCollective)?.finish(timeout: 5) ?? [:]
        for node in localNodes { node.join() }
        return reports
    }
}

/// How one step went on the root: wall time, the part spent in collectives, bytes moved.
public struct StepTiming: Sendable {
    public var step: Step
    public var nanoseconds: UInt64
    public var syncNanoseconds: UInt64
    public var sentBytes: Int
    public var receivedBytes: Int

    public var computeMilliseconds: Double { Double(nanoseconds - min(syncNanoseconds, nanoseconds)) / 1e6 }
    public var syncMilliseconds: Double { Double(syncNanoseconds) / 1e6 }
}

/// A node of an in-process cluster: its runner on its own thread, serving the steps the root
/// sends through the loopback collective until the root ends the session.
final class LocalNode: @unchecked Sendable {  // unchecked: its runner is used by its own thread only
    let runner: NodeRunner
    let collective: StarCollective
    private let done = DispatchSemaphore(value: 0)

    init(runner: NodeRunner, collective: StarCollective) {
        self.runner = runner
        self.collective = collective
        let thread = Thread { [self] in
            serve()
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func serve() {
        while true {
            do {
                guard let bytes = try collective.receiveStep() else {
                    try? collective.report([])
                    return
                }
                try runner.run(try Step(decoding: bytes), collective: collective)
            } catch TransportError.aborted {
                continue
            } catch let error as TransportError {
                if case .connectionClosed = error { return }
                collective.abort("node \(runner.node): \(error)")
            } catch {
                collective.abort("node \(runner.node): \(error)")
            }
        }
    }

    func join() { done.wait() }
}

/// Why a forward step cannot run.
public enum TransformerError: Error, CustomStringConvertible, Equatable {
    case contextFull(maxSeqLen: Int)
    case tokenOutOfRange(token: Int, vocabSize: Int)
    case batchTooLarge(tokens: Int, limit: Int)

    public var description: String {
        switch self {
        case .contextFull(let n): return "the context is full (\(n) tokens): allow a longer context or start a new conversation"
        case .tokenOutOfRange(let t, let v): return "token id \(t) is outside the vocabulary (0..<\(v))"
        case .batchTooLarge(let n, let limit): return "a batch of \(n) tokens is more than the \(limit) a step may carry"
        }
    }
}

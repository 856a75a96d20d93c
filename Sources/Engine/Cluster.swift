import Foundation
import LayerStore
import ModelFormat
import QuantKernels
import Scheduler
import Transport

/// What a worker says once its share is loaded (the `ready` payload, JSON).
public struct WorkerReady: Codable, Sendable {
    public var storeMode: String
    public var weightBytes: Int
    public var loadSeconds: Double
    /// Whether it kept the weights of the previous session (same model and share).
    public var reused: Bool
}

/// What a worker reports when the root ends the session (the `report` payload, JSON).
public struct WorkerReport: Codable, Sendable {
    /// Resident set before the share was loaded, after it, and the peak, in bytes.
    public var residentBeforeLoad: Int
    public var residentAfterLoad: Int
    public var peakResident: Int
    public var weightBytes: Int
    public var kvCacheBytes: Int
    public var bytesRead: Int
    public var sentBytes: Int
    public var receivedBytes: Int
    public var steps: Int
    /// Time in steps outside collectives, and inside them (waiting included), in seconds.
    public var computeSeconds: Double
    public var syncSeconds: Double
}

extension WorkerReport {
    /// The report of a node that served `steps` steps (`busyNanoseconds` inside them) of `runner`.
    init(runner: NodeRunner, collective: Collective, steps: Int, busyNanoseconds: UInt64, residentBeforeLoad: Int, residentAfterLoad: Int) {
        let traffic = collective.traffic
        self.init(residentBeforeLoad: residentBeforeLoad, residentAfterLoad: residentAfterLoad,
                  peakResident: ProcessMemory.peakResidentBytes() ?? 0, weightBytes: runner.residentWeightBytes,
                  kvCacheBytes: runner.compute.cache.byteCount, bytesRead: runner.bytesRead,
                  sentBytes: traffic.sentBytes, receivedBytes: traffic.receivedBytes, steps: steps,
                  computeSeconds: Double(busyNanoseconds - min(collective.syncNanoseconds, busyNanoseconds)) / 1e9,
                  syncSeconds: Double(collective.syncNanoseconds) / 1e9)
    }
}

/// Failures of a cluster as a whole, naming the worker concerned.
public enum ClusterError: Error, CustomStringConvertible {
    /// Something went wrong with worker `index` at `address` while `stage` (connecting, loading...).
    case worker(index: Int, address: String, stage: String, underlying: Error)
    case modelMismatch(index: Int, address: String, workerFingerprint: String, rootFingerprint: String)

    public var description: String {
        switch self {
        case .worker(let index, let address, let stage, let underlying):
            return "worker \(index) (\(address)), \(stage): \(underlying)"
        case .modelMismatch(let index, let address, let theirs, let ours):
            return "model file mismatch: worker \(index) (\(address)) has a model file with fingerprint \(theirs.prefix(16)), "
                + "the root's has \(ours.prefix(16)). Copy the same file to every node (`dllama inspect --sha256 FILE` compares them)"
        }
    }
}

/// Connects the root to its workers over TCP and builds the `Transformer` that runs on all of
/// them: each worker proves the shared secret, reports its model's fingerprint (which must be the
/// root's), threads and RAM budget; the plan is weighted by them; every node loads its own share
/// from its own file, in parallel.
///
///     let engine = try Cluster.connect(file: file, options: .init(workers: [NodeAddress("10.0.0.2:9999")!]))
public enum Cluster {
    /// How a cluster runs. `workers`, `secret` and `connectTimeout` are for TCP; a launched
    /// cluster (`LaunchedCluster`, MPI) uses the rest, with every node's own threads and RAM.
    public struct Options: Sendable {
        public var workers: [NodeAddress]
        public var secret: [UInt8]?
        public var mode: PlanMode = .tensor
        public var maxSeqLen: Int?
        public var activationType: ActivationWireType = .f16
        /// How every node's KV cache holds keys and values (the workers learn it with the plan).
        public var kvCacheType: KVCacheType = .f16
        /// Benchmarks only: links to the workers behave as this link (`DLLAMA_LINK_SHAPE`, `ShapedStream`).
        public var linkShape: LinkShape?
        /// This node's own threads and RAM budget (the root's, over TCP).
        public var threads = 1
        public var maxRAM: Int?
        public var profile = false
        public var kernels: KernelTable = .current
        /// Seconds to wait for a connection, for each handshake message, and for another node
        /// during a step; a worker's load may take up to `loadTimeout`.
        public var connectTimeout = 10.0
        public var timeout = 60.0
        public var loadTimeout = 1800.0
        /// What the root does when a worker fails during a step (TCP).
        public var onWorkerFailure = WorkerFailurePolicy.fail
        /// Workers standing by to take a failed worker's place (`--spare-workers`).
        public var spareWorkers: [NodeAddress] = []
        /// How long `wait` waits for a failed worker to come back (or a spare to answer), seconds.
        public var recoveryTimeout = 300.0

        public init(workers: [NodeAddress], secret: [UInt8]? = nil) {
            self.workers = workers
            self.secret = secret
        }
    }

    /// Connects, plans, loads every node and returns the root's engine; `log` hears each stage
    /// (and, with `onWorkerFailure == .wait`, each recovery).
    public static func connect(file: ModelFile, options: Options, log: @escaping @Sendable (String) -> Void = { _ in }) throws -> Transformer {
        let fingerprint = file.fingerprint().sha256
        var links: [FrameLink] = []
        var infos: [NodeInfo] = []
        // On any failure the links close, which tells every worker the session is off.
        var handedOver = false
        defer { if !handedOver { links.forEach { $0.close() } } }
        for (offset, address) in options.workers.enumerated() {
            let (link, info) = try open(address, index: offset + 1, fingerprint: fingerprint, options: options)
            log("worker \(offset + 1) (\(address), \(info.hostName)): \(info.threads) thread\(info.threads == 1 ? "" : "s")"
                + (info.ramBudget.map { ", --max-ram \(formatBytes($0))" } ?? "") + ", same model file")
            links.append(link)
            infos.append(info)
        }

        let capacities = capacities(declared: [(options.threads, options.maxRAM)] + infos.map { ($0.threads, $0.ramBudget) })
        let plan = try Plan.make(model: file.model, tensors: file.tensors, nodes: options.workers.count + 1, capacities: capacities,
                                 mode: options.mode, maxSeqLen: options.maxSeqLen, activationType: options.activationType,
                                 kvCacheType: options.kvCacheType)
        let runnerOptions = NodeRunner.Options(threads: options.threads, storeMode: .resident, maxRAM: options.maxRAM,
                                               profile: options.profile, kernels: options.kernels)
        let session = try Session(plan: plan, fingerprint: fingerprint, options: options,
                                  maxPayload: maxPayload(model: file.model, batchLimit: runnerOptions.batchLimit))
        for (offset, link) in links.enumerated() {
            try session.sendSetup(link, index: offset + 1, address: options.workers[offset])
        }
        // The workers load while the root does.
        let loadStart = Date()
        let root = try NodeRunner(file: file, plan: plan, node: 0, options: runnerOptions)
        log("root: \(describe(plan.nodes[0], model: file.model)), \(formatBytes(root.residentWeightBytes)) of weights, loaded in "
            + String(format: "%.2f s", Date().timeIntervalSince(loadStart)))
        for (offset, link) in links.enumerated() {
            log(try session.awaitReady(link, index: offset + 1, address: options.workers[offset]))
        }
        let collective = StarCollective(node: 0, nodeCount: plan.nodes.count, links: [nil] + links, encoding: session.encoding,
                                        timeout: options.timeout, kernels: options.kernels)
        handedOver = true
        let engine = Transformer(root: root, collective: collective)
        if options.onWorkerFailure == .wait {
            engine.recovery = WorkerRecovery(session: session, addresses: options.workers, spares: options.spareWorkers, log: log)
        }
        return engine
    }

    /// Connects to the worker at `address`, proves the secret both ways and checks that its model
    /// file is the root's.
    static func open(_ address: NodeAddress, index: Int, fingerprint: String, options: Options) throws -> (FrameLink, NodeInfo) {
        func failing<T>(_ stage: String, _ body: () throws -> T) throws -> T {
            do { return try body() } catch {
                throw ClusterError.worker(index: index, address: address.description, stage: stage, underlying: error)
            }
        }
        let socket = try failing("connecting") { try SocketStream.connect(to: address, timeout: options.connectTimeout) }
        let link = FrameLink(stream: options.linkShape.map { ShapedStream(socket, shape: $0) } ?? socket)
        link.peer = "worker \(index) (\(address))"
        do {
            let info = try failing("opening the session") { try Handshake.root(link, secret: options.secret, timeout: options.timeout) }
            guard info.fingerprint == fingerprint else {
                link.sendError("model file mismatch: this worker's file has fingerprint \(info.fingerprint.prefix(16)), the root's has \(fingerprint.prefix(16)): copy the same file to every node")
                throw ClusterError.modelMismatch(index: index, address: address.description, workerFingerprint: info.fingerprint, rootFingerprint: fingerprint)
            }
            return (link, info)
        } catch {
            link.close()
            throw error
        }
    }

    /// What every worker of one session is told: the plan, the encoding and the limits.
    struct Session: Sendable {
        let plan: Plan
        let fingerprint: String
        let options: Options
        let maxPayload: Int
        let share: [UInt8]
        var encoding: ActivationEncoding { ActivationEncoding(rawValue: options.activationType.rawValue) ?? .f16 }

        init(plan: Plan, fingerprint: String, options: Options, maxPayload: Int) throws {
            self.plan = plan
            self.fingerprint = fingerprint
            self.options = options
            self.maxPayload = maxPayload
            share = Array(try JSONEncoder().encode(plan))
        }

        func sendSetup(_ link: FrameLink, index: Int, address: NodeAddress) throws {
            let setup = SessionSetup(node: index, nodeCount: plan.nodes.count, encoding: encoding, fingerprint: fingerprint,
                                     maxPayload: maxPayload, timeout: options.timeout, share: share)
            do {
                try link.send(.setup, setup.encoded())
            } catch {
                throw ClusterError.worker(index: index, address: address.description, stage: "sending its share", underlying: error)
            }
            link.maxPayload = maxPayload
        }

        /// Waits for the worker's share to load; returns the line to log.
        func awaitReady(_ link: FrameLink, index: Int, address: NodeAddress) throws -> String {
            do {
                let frame = try link.receive(.ready, timeout: options.loadTimeout, waitingFor: "its share to load")
                let ready = try JSONDecoder().decode(WorkerReady.self, from: Data(frame.payload))
                return "worker \(index): \(describe(plan.nodes[index], model: plan.model)), \(formatBytes(ready.weightBytes)) of weights "
                    + "\(ready.storeMode), " + (ready.reused ? "kept from its previous session" : String(format: "loaded in %.2f s", ready.loadSeconds))
            } catch {
                throw ClusterError.worker(index: index, address: address.description, stage: "loading its share", underlying: error)
            }
        }
    }

    /// Shares follow what each node declared (`threads`, `--max-ram`): threads as speed, and RAM
    /// when all declare it.
    static func capacities(declared: [(threads: Int, ram: Int?)]) -> [NodeCapacity] {
        declared.map { NodeCapacity(ramBytes: $0.ram, speed: Double(max($0.threads, 1))) }
    }

    /// The largest message a session can need: a prefill batch of F32 vectors, or every logit.
    static func maxPayload(model: ModelDescription, batchLimit: Int) -> Int {
        max(batchLimit * ((model.dim + 31) / 32 * 32) * 4, model.vocabSize * 4, 1 << 20) + 4096
    }

    /// `layers 0..<30, KV heads 1..<2, 512 FFN rows, 16384 vocabulary rows`.
    public static func describe(_ share: NodeShare, model: ModelDescription) -> String {
        var parts = ["layers \(share.layers.lowerBound)..<\(share.layers.upperBound)"]
        if share.kvHeads.count < model.kvHeadCount { parts.append("KV heads \(share.kvHeads.lowerBound)..<\(share.kvHeads.upperBound)") }
        if !share.vocabRows.isEmpty && share.vocabRows.count < model.vocabSize { parts.append("\(share.vocabRows.count) vocabulary rows") }
        return parts.joined(separator: ", ")
    }
}

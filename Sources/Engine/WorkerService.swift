import Foundation
import LayerStore
import Logging
import ModelFormat
import QuantKernels
import Scheduler
import Transport

/// A worker node: listens for a root, proves the shared secret, checks that the root's model is
/// its own file, loads the share the root assigns (only those byte ranges, streamed under its RAM
/// budget when they do not fit) and runs the steps it is sent. When the root leaves it waits for
/// the next one, keeping its weights if the next asks for the same share of the same model.
///
/// Handshakes run side by side on their own threads, each under a timeout, so a silent or garbage
/// connection never blocks a real root; one root is served at a time.
///
///     let service = try WorkerService(configuration: .init(modelPath: "model.gguf", port: 9999), logger: logger)
///     try service.serve()   // until stop()
public final class WorkerService: @unchecked Sendable {  // unchecked: counters and the active root behind `state`; each session on its own thread
    public struct Configuration: Sendable {
        public var host = "0.0.0.0"
        public var port = 9999
        public var modelPath: String
        public var threads = 1
        public var maxRAM: Int?
        public var secret: [UInt8]?
        /// Seconds a connecting root has for each handshake message.
        public var handshakeTimeout = 10.0
        public var kernels: KernelTable = .current
        /// Benchmarks only: the link to the root behaves as this link (`DLLAMA_LINK_SHAPE`, `ShapedStream`).
        public var linkShape: LinkShape?

        public init(modelPath: String, host: String = "0.0.0.0", port: Int = 9999) {
            self.modelPath = modelPath
            self.host = host
            self.port = port
        }
    }

    public let configuration: Configuration
    public let file: ModelFile
    public let fingerprint: ModelFingerprint
    /// The port listened on (the one asked for, or the one picked for port 0).
    public var port: Int { listener.port }

    private let listener: TCPListener
    private let logger: Logger
    private let state = NSLock()
    private var stopped = false
    private var activeRoot: String?
    private var runner: NodeRunner?
    private var connections = 0
    private var handlers = 0
    /// Connections being handled at once (handshakes in progress and the session).
    static let maxHandlers = 32

    /// Opens the model (fingerprinting it) and binds the listening socket.
    public init(configuration: Configuration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        file = try ModelFile(path: configuration.modelPath)
        // Refused at start, not when the first root arrives: the operator is at this terminal now.
        try ModelSupport.check(file)
        fingerprint = file.fingerprint()
        listener = try TCPListener(host: configuration.host, port: configuration.port)
    }

    /// Accepts roots until `stop()`.
    public func serve() throws {
        while !isStopped {
            guard let stream = try listener.accept(timeout: 0.5) else { continue }
            state.lock()
            connections += 1
            let number = connections
            let crowded = handlers >= Self.maxHandlers
            if !crowded { handlers += 1 }
            state.unlock()
            guard !crowded else {
                logger.warning("refused a connection from \(stream.peer): \(Self.maxHandlers) connections are already opening")
                stream.close()
                continue
            }
            let thread = Thread { [self] in
                handle(stream, number: number)
                state.lock()
                handlers -= 1
                state.unlock()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    public func stop() {
        state.lock()
        stopped = true
        state.unlock()
    }

    private var isStopped: Bool {
        state.lock()
        defer { state.unlock() }
        return stopped
    }

    private func handle(_ stream: SocketStream, number: Int) {
        let link = FrameLink(stream: configuration.linkShape.map { ShapedStream(stream, shape: $0) } ?? stream)
        link.peer = "root \(stream.peer)"
        var log = logger
        log[metadataKey: "connection"] = "\(number)"
        defer { link.close() }
        log.debug("connection from \(stream.peer)")
        let info = NodeInfo(fingerprint: fingerprint.sha256, threads: configuration.threads, ramBudget: configuration.maxRAM,
                            hostName: ProcessInfo.processInfo.hostName, software: "dllama protocol \(Handshake.protocolVersion)")
        let setup: SessionSetup
        do {
            try Handshake.worker(link, secret: configuration.secret, info: info, timeout: configuration.handshakeTimeout)
            setup = try SessionSetup(decoding: try link.receive(.setup, timeout: configuration.handshakeTimeout).payload)
        } catch {
            log.warning("refused a connection from \(stream.peer): \(error)")
            return
        }
        guard claim(stream.peer) else {
            let busy = "this worker is serving another root (\(activeRootName)); run one root per worker"
            link.sendError(busy)
            log.warning("refused \(stream.peer): \(busy)")
            return
        }
        defer { release() }
        do {
            try serveSession(link, setup: setup, log: log)
        } catch {
            log.error("session with \(stream.peer) ended: \(error)")
        }
    }

    private var activeRootName: String {
        state.lock()
        defer { state.unlock() }
        return activeRoot ?? "none"
    }

    private func claim(_ root: String) -> Bool {
        state.lock()
        defer { state.unlock() }
        guard activeRoot == nil else { return false }
        activeRoot = root
        return true
    }

    private func release() {
        state.lock()
        activeRoot = nil
        state.unlock()
    }

    private func serveSession(_ link: FrameLink, setup: SessionSetup, log: Logger) throws {
        guard setup.fingerprint == fingerprint.sha256 else {
            let message = "model file mismatch: this worker's file (\(file.path)) has fingerprint \(fingerprint), "
                + "the root's has \(setup.fingerprint.prefix(16)): copy the same file to every node"
            link.sendError(message)
            log.error("\(message)")
            return
        }
        let plan: Plan
        do {
            plan = try JSONDecoder().decode(Plan.self, from: Data(setup.share))
        } catch {
            link.sendError("the root's plan could not be read: \(error)")
            throw error
        }
        guard plan.model == file.model, plan.nodes.count == setup.nodeCount else {
            let message = "the root's plan is for another model or cluster than this worker's file \(file.path)"
            link.sendError(message)
            log.error("\(message)")
            return
        }
        link.maxPayload = setup.maxPayload

        // Keep the weights when the new session wants exactly the share already loaded.
        let residentBefore = ProcessMemory.residentBytes() ?? 0
        let loadStart = Date()
        let reused: Bool
        let current: NodeRunner
        if let loaded = runner, loaded.plan == plan, loaded.node == setup.node {
            current = loaded
            reused = true
        } else {
            runner = nil  // free the old share before reading the new one
            let options = NodeRunner.Options(threads: configuration.threads, storeMode: .resident, maxRAM: configuration.maxRAM,
                                             kernels: configuration.kernels)
            do {
                current = try NodeRunner(file: file, plan: plan, node: setup.node, options: options)
            } catch {
                link.sendError("worker \(setup.node) cannot load its share: \(error)")
                throw error
            }
            runner = current
            reused = false
        }
        let ready = WorkerReady(storeMode: describe(current.storeMode), weightBytes: current.residentWeightBytes,
                                loadSeconds: Date().timeIntervalSince(loadStart), reused: reused)
        try link.send(.ready, Array(try JSONEncoder().encode(ready)))
        let residentAfter = ProcessMemory.residentBytes() ?? 0
        log.info("node \(setup.node) of \(setup.nodeCount) for \(link.peer): \(Cluster.describe(current.share, model: file.model)), \(formatBytes(current.residentWeightBytes)) of weights \(ready.storeMode)\(reused ? " (kept)" : "")")

        let collective = StarCollective(node: setup.node, nodeCount: setup.nodeCount, links: [link], encoding: setup.encoding,
                                        timeout: setup.timeout > 0 ? setup.timeout : nil, kernels: configuration.kernels)
        var steps = 0
        var busyNanoseconds: UInt64 = 0
        while true {
            let bytes: [UInt8]?
            do {
                bytes = try collective.receiveStep()
            } catch {
                log.warning("\(link.peer) left without saying goodbye: \(error)")
                return
            }
            guard let bytes else { break }
            do {
                let start = DispatchTime.now().uptimeNanoseconds
                try current.run(try Step(decoding: bytes), collective: collective)
                busyNanoseconds += DispatchTime.now().uptimeNanoseconds - start
                steps += 1
            } catch TransportError.aborted {
                log.debug("the root abandoned step \(steps)")
            } catch let error as TransportError {
                if case .malformed = error { collective.abort("\(error)") ; throw error }
                log.warning("\(link.peer): \(error)")
                return
            } catch {
                // A failure of this node's own (a full context, a read error): the root decides.
                log.error("step \(steps) failed: \(error)")
                collective.abort("worker \(setup.node): \(error)")
            }
        }
        let traffic = collective.traffic
        let report = WorkerReport(runner: current, collective: collective, steps: steps, busyNanoseconds: busyNanoseconds,
                                  residentBeforeLoad: residentBefore, residentAfterLoad: residentAfter)
        try? collective.report(Array(try JSONEncoder().encode(report)))
        log.info("\(link.peer) ended the session after \(steps) steps; sent \(formatBytes(traffic.sentBytes)), received \(formatBytes(traffic.receivedBytes)); keeping the weights for the next root")
    }
}

func describe(_ mode: LayerStore.Mode) -> String {
    switch mode {
    case .mapped: return "memory-mapped"
    case .resident: return "resident"
    case .streaming(let budget): return "streamed from disk (\(formatBytes(budget)) for weights)"
    }
}

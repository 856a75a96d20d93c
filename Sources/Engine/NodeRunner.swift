import Foundation
import LayerStore
import ModelFormat
import QuantKernels
import Scheduler
import Transport

/// The outcome of a step on the root (other nodes get `.none`).
public enum StepResult {
    case none
    /// Every logit, `[vocab]`; valid until the runner's next step.
    case logits(UnsafeBufferPointer<Float>)
    /// The id of the largest logit (the lowest id among equals).
    case argmax(Int)
    /// Every node's status, in node order (a `Step.status`).
    case status([NodeStatus])
}

/// One node's share of the forward pass: its own residual stream, norms, KV cache and layer
/// loop, stepped through a `Collective`. The root and every worker run this same type: the root
/// broadcasts each step and samples from what it gathers; a worker runs the steps it receives.
///
///     let runner = try NodeRunner(file: file, plan: plan, node: 0)
///     let result = try runner.run(.token(504, position: 0, logits: .all), collective: SoloCollective())
public final class NodeRunner: @unchecked Sendable {  // unchecked: used by one thread at a time: its node's
    public struct Options: Sendable {
        public var threads: Int
        /// How the node holds its weights; nil: `MemoryBudget.automaticMode` picks (resident when
        /// they fit the machine, else mapped); `maxRAM` overrides it through `MemoryBudget`.
        public var storeMode: LayerStore.Mode?
        /// A RAM budget for this node (`--max-ram`): resident when the share fits, else streamed.
        public var maxRAM: Int?
        public var profile: Bool
        public var kernels: KernelTable
        /// Round a lone node's partials through the wire encoding, as distributed-llama's single
        /// node does (and the oracle emulating it); off by default, since nothing travels.
        public var encodePartialsAlone: Bool
        /// The most prompt tokens a batch step may carry.
        public var batchLimit: Int

        public init(threads: Int = 1, storeMode: LayerStore.Mode? = nil, maxRAM: Int? = nil, profile: Bool = false,
                    kernels: KernelTable = .current, encodePartialsAlone: Bool = false, batchLimit: Int = 64) {
            self.threads = threads
            self.storeMode = storeMode
            self.maxRAM = maxRAM
            self.profile = profile
            self.kernels = kernels
            self.encodePartialsAlone = encodePartialsAlone
            self.batchLimit = batchLimit
        }
    }

    public let plan: Plan
    public let node: Int
    public let share: NodeShare
    public let model: ModelDescription
    public let profiler: Profiler
    public let options: Options
    let compute: NodeCompute
    /// Pipeline stages: the nodes of each (consecutive) and the layers they compute.
    let stages: [(nodes: Range<Int>, layers: Range<Int>)]
    /// The nodes that own vocabulary rows (the last stage).
    let vocabularyNodes: Range<Int>

    private let residual: Floats     // [batchLimit][dim] the residual streams (row 0 for one token)
    private let normalized: Floats   // [batchLimit][dim]
    private let partials: Floats     // [batchLimit][dim] this node's contributions, then their sum
    private let finalNormalized: Activation  // [dim]
    private let localLogits: Floats  // [vocabRows] this node's logits
    private let allLogits: Floats    // [vocab] the root's gathered logits
    private let embeddingRow: OwnedBuffer    // one row of token_embd, in the file's type
    private let embeddingType: BlockType
    private let wireScratch: OwnedBuffer     // a lone node's partials in the wire encoding
    private let wireEncoding: ActivationEncoding
    /// Token steps run, and their time outside and inside collectives (for `Step.status`).
    private var tokenSteps = 0
    private var tokenComputeNanoseconds: UInt64 = 0
    private var tokenSyncNanoseconds: UInt64 = 0

    /// How the node holds its weights.
    public var storeMode: LayerStore.Mode { compute.store.mode }
    /// Bytes this node read from its model file.
    public var bytesRead: Int { compute.store.bytesRead }
    /// Weight bytes held in buffers.
    public var residentWeightBytes: Int { compute.store.residentBytes }
    public var maxSeqLen: Int { plan.maxSeqLen }

    /// Loads node `node`'s share of `plan` from `file` (only its own byte ranges).
    public init(file: ModelFile, plan: Plan, node: Int, options: Options = .init(), pool: ThreadPool? = nil) throws {
        precondition(plan.nodes.indices.contains(node), "node \(node) is not in the plan")
        self.plan = plan
        self.node = node
        self.options = options
        share = plan.nodes[node]
        model = file.model
        guard let recipe = ArchitectureRecipe.registry[model.architecture] else {
            throw ModelFormatError.unsupportedArchitecture(path: file.path, architecture: model.architecture.rawValue)
        }
        // Every way into the engine (one process, a worker, an MPI rank, an API caller) passes
        // here: a model it would run wrongly is refused before anything is read or allocated.
        try recipe.check(file)
        let mode = try options.maxRAM.map { try MemoryBudget.storeMode(plan: plan, node: node, tensors: file.tensors, budget: $0) }
            ?? options.storeMode ?? MemoryBudget.automaticMode(plan: plan, node: node)
        // Refuse what cannot be allocated (a KV cache for a huge context) before allocating it.
        try MemoryBudget.checkAvailable(plan: plan, node: node, mode: mode)
        profiler = Profiler(enabled: options.profile)
        let pool = pool ?? (options.threads > 1 ? ThreadPool(threadCount: options.threads) : nil)
        compute = NodeCompute(model: model, share: share, store: try LayerStore(file: file, share: share, mode: mode),
                              maxSeqLen: plan.maxSeqLen, kvCacheType: plan.kvCacheType, pool: pool, kernels: options.kernels,
                              profiler: profiler)
        stages = plan.stageGroups().map { ($0, plan.nodes[$0.lowerBound].layers) }
        let vocabulary = plan.nodes.filter { !$0.vocabRows.isEmpty }.map(\.node)
        vocabularyNodes = (vocabulary.first ?? 0)..<((vocabulary.last ?? -1) + 1)

        let dim = model.dim, rows = max(options.batchLimit, 1)
        residual = Floats(rows * dim)
        normalized = Floats(rows * dim)
        partials = Floats(rows * dim)
        finalNormalized = Activation(count: dim, scratch: compute.encodings)
        localLogits = Floats(share.vocabRows.count)
        allLogits = Floats(node == 0 ? model.vocabSize : 0)
        wireEncoding = ActivationEncoding(rawValue: plan.activationType.rawValue) ?? .f32
        wireScratch = OwnedBuffer(byteCount: options.encodePartialsAlone ? wireEncoding.byteCount((dim + 31) / 32 * 32 * rows) : 0)
        let embedding = try file.tensor("token_embd")
        embeddingRow = OwnedBuffer(byteCount: embedding.rowBytes)
        guard let embeddingType = BlockType(embedding.type) else {
            throw ModelFormatError.unsupportedTensorType(path: file.path, tensor: "token_embd", type: embedding.type.description)
        }
        self.embeddingType = embeddingType
    }

    /// Runs `step` on this node's share, exchanging through `collective` (whose node must be
    /// this runner's). Every node of the plan must run the same steps in the same order.
    @discardableResult
    public func run(_ step: Step, collective: Collective) throws -> StepResult {
        switch step {
        case .token(let token, let position, let request):
            try check(tokens: [token], first: position)
            let start = DispatchTime.now().uptimeNanoseconds, syncBefore = collective.syncNanoseconds
            if share.readsEmbedding { try embed(token, row: 0) }
            try forwardLayers(rows: 1, first: position, collective)
            let result = try logits(request, collective)
            let sync = collective.syncNanoseconds - syncBefore, total = DispatchTime.now().uptimeNanoseconds - start
            tokenSteps += 1
            tokenSyncNanoseconds += sync
            tokenComputeNanoseconds += total - min(sync, total)
            return result
        case .batch(let tokens, let first):
            guard tokens.count <= max(options.batchLimit, 1) else {
                throw TransformerError.batchTooLarge(tokens: tokens.count, limit: options.batchLimit)
            }
            try check(tokens: tokens, first: first)
            if share.readsEmbedding {
                for (row, token) in tokens.enumerated() { try embed(token, row: row) }
            }
            try forwardLayers(rows: tokens.count, first: first, collective)
            return .none
        case .status:
            return try status(collective)
        }
    }

    private func check(tokens: [Int], first: Int) throws {
        guard first >= 0, first + tokens.count <= maxSeqLen else { throw TransformerError.contextFull(maxSeqLen: maxSeqLen) }
        if let bad = tokens.first(where: { !(0..<model.vocabSize).contains($0) }) {
            throw TransformerError.tokenOutOfRange(token: bad, vocabSize: model.vocabSize)
        }
    }

    /// The token's embedding row, read from the file with `pread` (so a streaming node's RSS does
    /// not fill up with embedding pages), as floats into residual row `row`.
    private func embed(_ token: Int, row: Int) throws {
        try profiler.measure(.embedding) {
            try compute.store.readEmbeddingRow(token, into: embeddingRow.bytes)
            Quantization.dequantize(UnsafeRawBufferPointer(embeddingRow.bytes), from: embeddingType,
                                    into: residual[(row * model.dim)..<((row + 1) * model.dim)], kernels: options.kernels)
        }
    }

    // MARK: the layer loop (the hot path is in NodeCompute)

    private func forwardLayers(rows: Int, first: Int, _ collective: Collective) throws {
        let streams = residual[0..<(rows * model.dim)]
        for (index, stage) in stages.enumerated() {
            if index > 0 {
                let previous = stages[index - 1].nodes
                let takesPart = previous.lowerBound == node || stage.nodes.contains(node)
                try profiler.measure(.network) {
                    try collective.handOff(takesPart ? streams : nil, from: previous, to: stage.nodes)
                }
            }
            let member = stage.nodes.contains(node)
            for layer in stage.layers {
                guard member else {
                    for _ in 0..<2 { try profiler.measure(.network) { try collective.allReduce(nil, among: stage.nodes) } }
                    continue
                }
                try compute.store.withLayer(layer) { w in
                    let local = layer - share.layers.lowerBound
                    try block(w.attentionNorm, rows: rows, group: stage.nodes, collective) { normalizedRows, out in
                        if rows == 1 {
                            compute.attention(w, localLayer: local, position: first)
                            _ = out.update(fromContentsOf: compute.partial.buffer)
                        } else {
                            compute.attentionBatch(w, localLayer: local, first: first, batch: rows,
                                                   x: normalizedRows.baseAddress!, out: out.baseAddress!)
                        }
                    }
                    try block(w.feedForwardNorm, rows: rows, group: stage.nodes, collective) { normalizedRows, out in
                        if rows == 1 {
                            compute.feedForward(w)
                            _ = out.update(fromContentsOf: compute.partial.buffer)
                        } else {
                            compute.feedForwardBatch(w, batch: rows, x: normalizedRows.baseAddress!, out: out.baseAddress!)
                        }
                    }
                }
            }
        }
    }

    /// Normalizes each residual row with `norm`, lets `body` turn them into this node's partials,
    /// all-reduces the partials over `group` and adds the sum to the residual streams.
    private func block(_ norm: TensorView, rows: Int, group: Range<Int>, _ collective: Collective,
                       _ body: (UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) throws {
        let dim = model.dim, count = rows * dim
        profiler.measure(.norms) {
            for r in 0..<rows {
                Elementwise.rmsNorm(UnsafeBufferPointer(residual[(r * dim)..<((r + 1) * dim)]), weight: norm.floats,
                                    epsilon: model.normEpsilon, into: normalized[(r * dim)..<((r + 1) * dim)])
            }
        }
        if rows == 1 {
            _ = compute.input.values.update(fromContentsOf: normalized[0..<dim])
            compute.input.invalidate()
        }
        let sum = partials[0..<count]
        body(normalized[0..<count], sum)
        if group.count > 1 {
            try profiler.measure(.network) { try collective.allReduce(sum, among: group) }
        } else if options.encodePartialsAlone {
            wireEncoding.encode(UnsafeBufferPointer(sum), into: wireScratch.bytes, kernels: options.kernels)
            try wireEncoding.decode(UnsafeRawBufferPointer(rebasing: wireScratch.bytes[0..<wireEncoding.byteCount(count)]),
                                    into: sum, peer: "this node", kernels: options.kernels)
        }
        profiler.measure(.elementwise) { Elementwise.add(residual[0..<count], UnsafeBufferPointer(sum)) }
    }

    // MARK: status

    /// Sends this node's `NodeStatus` to the root, which returns everyone's.
    private func status(_ collective: Collective) throws -> StepResult {
        let traffic = collective.traffic
        let mine = NodeStatus(node: node, residentBytes: ProcessMemory.residentBytes() ?? 0,
                              peakResidentBytes: ProcessMemory.peakResidentBytes() ?? 0, tokenSteps: tokenSteps,
                              tokenComputeNanoseconds: tokenComputeNanoseconds, tokenSyncNanoseconds: tokenSyncNanoseconds,
                              sentBytes: traffic.sentBytes, receivedBytes: traffic.receivedBytes).encoded()
        var all: [NodeStatus] = []
        try mine.withUnsafeBytes { piece in
            try collective.gather(piece, from: 0..<plan.nodes.count) { sender, bytes in
                all.append(try NodeStatus(decoding: bytes, from: sender))
            }
        }
        return node == 0 ? .status(all) : .none
    }

    // MARK: logits

    private func logits(_ request: LogitsRequest, _ collective: Collective) throws -> StepResult {
        guard request != .none else { return .none }
        let owns = !share.vocabRows.isEmpty
        if owns {
            guard let norm = compute.store.globals[.outputNorm] else {
                throw LayerStoreError.missingTensor(layer: -1, role: .outputNorm)
            }
            profiler.measure(.norms) {
                Elementwise.rmsNorm(UnsafeBufferPointer(residual[0..<model.dim]), weight: norm.floats,
                                    epsilon: model.normEpsilon, into: finalNormalized.values)
            }
            finalNormalized.invalidate()
            try compute.logits(finalNormalized, into: localLogits.buffer.baseAddress!)
        }
        switch request {
        case .none:
            return .none
        case .all:
            try profiler.measure(.network) {
                try collective.gather(owns ? UnsafeRawBufferPointer(localLogits.buffer) : nil, from: vocabularyNodes) { sender, bytes in
                    let rows = plan.nodes[sender].vocabRows
                    guard bytes.count == rows.count * 4 else {
                        throw TransportError.payloadSize(peer: "node \(sender)", what: "logits of vocabulary rows \(rows)",
                                                         expected: rows.count * 4, got: bytes.count)
                    }
                    UnsafeMutableRawBufferPointer(allLogits[rows]).copyMemory(from: bytes)
                }
            }
            return node == 0 ? .logits(UnsafeBufferPointer(allLogits.buffer)) : .none
        case .argmax:
            var piece = (value: -Float.infinity, token: Int32(0))
            if owns {
                let values = UnsafeBufferPointer(localLogits.buffer), best = Elementwise.argmax(values)
                piece = (values[best], Int32(share.vocabRows.lowerBound + best))
            }
            var winner: (value: Float, token: Int)?
            try withUnsafeBytes(of: &piece) { raw in
                try profiler.measure(.network) {
                    try collective.gather(owns ? UnsafeRawBufferPointer(start: raw.baseAddress, count: 8) : nil,
                                          from: vocabularyNodes) { sender, bytes in
                        guard bytes.count == 8 else {
                            throw TransportError.payloadSize(peer: "node \(sender)", what: "a top candidate", expected: 8, got: bytes.count)
                        }
                        let value = bytes.loadUnaligned(fromByteOffset: 0, as: Float.self)
                        let token = Int(bytes.loadUnaligned(fromByteOffset: 4, as: Int32.self))
                        // Nodes come in vocabulary order, so a later equal value (a higher id) loses.
                        if winner == nil || value > winner!.value { winner = (value, token) }
                    }
                }
            }
            return winner.map { .argmax($0.token) } ?? .none
        }
    }
}

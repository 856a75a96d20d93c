import Foundation
import LayerStore
import ModelFormat
import QuantKernels
import Scheduler

/// The forward pass of a whole model over the nodes of a plan, all in this process: each node's
/// `NodeCompute` reads only its own `LayerStore`, and the layer outputs are all-reduced by summing
/// the nodes' partials in node order (through Q80, as on the wire, when the plan says so). With
/// one node this is the single-machine engine.
///
///     let engine = try Transformer(file: file, options: .init(threads: 2, maxSeqLen: 1024))
///     let logits = try engine.forward(token: 504, position: 0)   // [vocab]
public final class Transformer: @unchecked Sendable {
    public struct Options: Sendable {
        public var threads: Int
        public var maxSeqLen: Int?
        public var nodes: Int
        public var mode: PlanMode
        /// How partial sums travel between nodes (only used with more than one node).
        public var activationType: ActivationWireType
        public var storeMode: LayerStore.Mode
        /// A RAM budget for the whole process (`--max-ram`): picks `storeMode` (see `MemoryBudget`).
        public var maxRAM: Int?
        public var profile: Bool
        public var kernels: KernelTable
        /// Send even a single node's partials through the wire encoding, as distributed-llama's
        /// single-node path (and the oracle emulating it) does; off by default since no wire exists.
        public var encodePartialsOnOneNode = false

        public init(threads: Int = 1, maxSeqLen: Int? = nil, nodes: Int = 1, mode: PlanMode = .tensor,
                    activationType: ActivationWireType = .q80, storeMode: LayerStore.Mode = .mapped,
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
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case contextFull(maxSeqLen: Int)
        case tokenOutOfRange(token: Int, vocabSize: Int)

        public var description: String {
            switch self {
            case .contextFull(let n): return "the context is full (\(n) tokens): raise --max-seq-len or start a new conversation"
            case .tokenOutOfRange(let t, let v): return "token id \(t) is outside the vocabulary (0..<\(v))"
            }
        }
    }

    public let model: ModelDescription
    public let plan: Plan
    public let maxSeqLen: Int
    public let profiler: Profiler
    let nodes: [NodeCompute]
    /// Sees the residual stream after each block (2 per layer): for tests that locate a difference.
    var observe: ((Int, UnsafeBufferPointer<Float>) -> Void)?

    /// How the first node holds its weights (`.mapped`, `.resident` or `.streaming`).
    public var storeMode: LayerStore.Mode { nodes[0].store.mode }
    /// Bytes read from the model file by all nodes' stores so far (weights and streamed layers).
    public var bytesRead: Int { nodes.reduce(0) { $0 + $1.store.bytesRead } }
    /// Weight buffers the stores hold.
    public var residentWeightBytes: Int { nodes.reduce(0) { $0 + $1.store.residentBytes } }
    let pool: ThreadPool?
    let options: Options
    let file: ModelFile
    let x: Floats            // [dim] the residual stream
    private let normalized: Activation  // [dim]
    private let logitsBuffer: Floats // [vocab]
    private let wire: Floats         // [dim] a partial after its trip through the wire encoding
    private let embeddingRow: OwnedBuffer  // one row of token_embd, in the file's type
    private let embeddingType: BlockType
    private let wireBytes: OwnedBuffer

    public init(file: ModelFile, options: Options = .init()) throws {
        self.file = file
        self.options = options
        model = file.model
        let plan = try Plan.make(model: model, tensors: file.tensors, nodes: options.nodes, mode: options.mode,
                                 maxSeqLen: options.maxSeqLen, activationType: options.activationType)
        let profiler = Profiler(enabled: options.profile)
        let pool = options.threads > 1 ? ThreadPool(threadCount: options.threads) : nil
        nodes = try plan.nodes.map { share in
            let mode = options.maxRAM == nil ? options.storeMode
                : try MemoryBudget.storeMode(plan: plan, node: share.node, tensors: file.tensors, budget: options.maxRAM)
            return NodeCompute(model: file.model, share: share,
                        store: try LayerStore(file: file, share: share, mode: mode),
                        maxSeqLen: plan.maxSeqLen, pool: pool, kernels: options.kernels, profiler: profiler)
        }
        self.plan = plan
        self.profiler = profiler
        self.pool = pool
        maxSeqLen = plan.maxSeqLen
        x = Floats(model.dim)
        normalized = Activation(count: model.dim, kernels: options.kernels)
        logitsBuffer = Floats(model.vocabSize)
        wire = Floats(model.dim)
        wireBytes = OwnedBuffer(byteCount: BlockType.q80.rowBytes((model.dim + 31) / 32 * 32))
        let embedding = try file.tensor("token_embd")
        embeddingRow = OwnedBuffer(byteCount: embedding.rowBytes)
        guard let embeddingType = BlockType(ggmlType: Int(embedding.type.rawValue)) else {
            throw ModelFormatError.unsupportedTensorType(path: file.path, tensor: "token_embd", type: embedding.type.description)
        }
        self.embeddingType = embeddingType
    }

    /// Runs `token` at `position` through every layer and returns the logits over the vocabulary
    /// (empty when `computeLogits` is false: prompt tokens before the last need none).
    /// The returned buffer is reused by the next call.
    @discardableResult
    public func forward(token: Int, position: Int, computeLogits: Bool = true) throws -> UnsafeBufferPointer<Float> {
        guard position < maxSeqLen else { throw Failure.contextFull(maxSeqLen: maxSeqLen) }
        guard (0..<model.vocabSize).contains(token) else { throw Failure.tokenOutOfRange(token: token, vocabSize: model.vocabSize) }
        try embed(token)
        for layer in 0..<model.layerCount {
            let owners = nodes.filter { $0.share.layers.contains(layer) }
            try withWeights(of: owners[...], layer: layer, []) { weights in
                runBlock(owners, weights, norm: "attn_norm") { node, w in
                    node.attention(w, localLayer: layer - node.share.layers.lowerBound, position: position)
                }
                observe?(layer * 2, UnsafeBufferPointer(x.buffer))
                runBlock(owners, weights, norm: "ffn_norm") { node, w in node.feedForward(w) }
                observe?(layer * 2 + 1, UnsafeBufferPointer(x.buffer))
            }
        }
        return computeLogits ? try finalLogits() : UnsafeBufferPointer(start: nil, count: 0)
    }

    /// Holds layer `layer` of every owner's store at once (one acquisition per layer and token,
    /// which is what streaming reads once).
    func withWeights(of owners: ArraySlice<NodeCompute>, layer: Int, _ held: [LayerWeights],
                             _ body: ([LayerWeights]) -> Void) throws {
        guard let node = owners.first else { return body(held) }
        try node.store.withLayer(layer) { weights in
            try withWeights(of: owners.dropFirst(), layer: layer, held + [weights], body)
        }
    }

    /// The token's embedding row, read from the file with `pread` (so a streaming node's RSS does
    /// not fill up with embedding pages), as floats into the residual stream.
    func embed(_ token: Int) throws {
        try profiler.measure(.embedding) {
            try nodes[0].store.readEmbeddingRow(token, into: embeddingRow.bytes)
            Quantization.dequantize(UnsafeRawBufferPointer(embeddingRow.bytes), from: embeddingType, into: x.buffer,
                                    kernels: options.kernels)
        }
    }

    /// Normalizes the residual stream with the layer's `norm`, lets every owner of the layer
    /// compute its partial, and adds the partials to the stream in node order (the all-reduce).
    private func runBlock(_ owners: [NodeCompute], _ weights: [LayerWeights], norm: String,
                          _ compute: (NodeCompute, LayerWeights) -> Void) {
        profiler.measure(.norms) {
            Elementwise.rmsNorm(UnsafeBufferPointer(x.buffer), weight: weights[0][norm]!.floats,
                                epsilon: model.normEpsilon, into: normalized.values)
        }
        for (node, w) in zip(owners, weights) {
            _ = node.input.values.update(fromContentsOf: normalized.values)
            node.input.invalidate()
            compute(node, w)
        }
        for node in owners {
            profiler.measure(.network) { add(node.partial.buffer) }
        }
    }

    /// `x += partial`, the partial first encoded as it would travel between nodes.
    func add(_ partial: UnsafeMutableBufferPointer<Float>) {
        if (nodes.count > 1 || options.encodePartialsOnOneNode) && options.activationType == .q80 {
            Quantization.quantize(UnsafeBufferPointer(partial), to: .q80, into: wireBytes.bytes, kernels: options.kernels)
            Quantization.dequantize(UnsafeRawBufferPointer(wireBytes.bytes), from: .q80, into: wire.buffer, kernels: options.kernels)
            Elementwise.add(x.buffer, UnsafeBufferPointer(wire.buffer))
        } else {
            Elementwise.add(x.buffer, UnsafeBufferPointer(partial))
        }
    }

    private func finalLogits() throws -> UnsafeBufferPointer<Float> {
        for node in nodes where !node.vocabRows.isEmpty {
            guard let norm = node.store.globals["output_norm"] else { continue }
            profiler.measure(.norms) {
                Elementwise.rmsNorm(UnsafeBufferPointer(x.buffer), weight: norm.floats, epsilon: model.normEpsilon, into: normalized.values)
            }
            normalized.invalidate()
            try node.logits(normalized, into: logitsBuffer.buffer.baseAddress! + node.vocabRows.lowerBound)
        }
        return UnsafeBufferPointer(logitsBuffer.buffer)
    }
}

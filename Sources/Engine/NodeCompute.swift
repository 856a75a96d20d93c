import LayerStore
import ModelFormat
import QuantKernels
import Scheduler

/// One node's share of the forward pass: its query and KV heads, its FFN (or expert) rows and
/// its vocabulary rows, over the layers it owns. It turns a layer's normalized input into this
/// node's partial contribution to the residual stream; summing the partials of all nodes (the
/// all-reduce) gives the layer's output. One node owning everything is the single-machine case.
final class NodeCompute: @unchecked Sendable {  // unchecked: used by its node's thread only; the pool's workers write disjoint rows
    let model: ModelDescription
    let share: NodeShare
    let store: LayerStore
    let recipe: ArchitectureRecipe
    let cache: KVCache
    let pool: ThreadPool?
    let kernels: KernelTable
    let rope: RoPE
    let profiler: Profiler

    let headDim: Int
    let queryHeads: Int        // this node's
    let kvHeads: Int
    let queryGroup: Int        // query heads per KV head
    var qDim: Int { queryHeads * headDim }
    var kvDim: Int { kvHeads * headDim }
    let ffnWidth: Int          // this node's FFN rows (or expert rows)

    // Per-token buffers; shapes are this node's.
    let encodings: EncodingScratch  // the Q80 / Q8_K / prepared forms of input, attended and gate, one at a time
    let input: Activation      // [dim] the normalized layer input
    let q: Floats              // [qDim]
    let k: Floats              // [kvDim]
    let v: Floats              // [kvDim]
    let attended: Activation   // [qDim] attention output, input of wo's columns
    let scores: Floats         // [queryHeads][maxSeqLen]
    let attentionParts: Floats // [threads][queryHeads][headDim] each run's undivided weighted sums (`attend`)
    let attentionStats: Floats // [threads][queryHeads][2] each run's (max score, sum of weights)
    let gate: Activation       // [ffnWidth] w1 y, then silu(w1 y) * w3 y: input of w2's columns
    let up: Floats             // [ffnWidth] w3 y
    let expertOutput: Floats   // [dim]
    let router: Floats         // [expertCount]
    let partial: Floats        // [dim] this node's contribution
    let ropeRotations: Floats  // [headDim / 2][2] cos, sin at `ropePosition`, shared by every layer
    var ropePosition = -1
    let batchScratch = BatchScratch()  // prefill's [batch][...] buffers

    init(model: ModelDescription, share: NodeShare, store: LayerStore, maxSeqLen: Int, kvCacheType: KVCacheType,
         pool: ThreadPool?, kernels: KernelTable, profiler: Profiler) {
        self.model = model
        self.share = share
        self.store = store
        recipe = ArchitectureRecipe.registry[model.architecture]!
        self.pool = pool
        self.kernels = kernels
        self.profiler = profiler
        headDim = model.headDim
        queryHeads = share.queryHeads.count
        kvHeads = share.kvHeads.count
        queryGroup = model.headCount / model.kvHeadCount
        ffnWidth = model.isMoE ? share.expertRows.count : share.ffnRows.count
        cache = KVCache(type: kvCacheType, layers: share.layers.count, maxSeqLen: maxSeqLen, kvHeads: share.kvHeads.count, headDim: model.headDim)
        if let divisors = store.globals[.ropeFrequencies], divisors.type == .f32, divisors.floats.count == model.headDim / 2 {
            // Llama 3.1 GGUFs carry their frequency scaling as this tensor instead of header keys.
            rope = RoPE(headDimension: model.headDim, theta: model.ropeTheta, layout: recipe.ropeLayout(for: model),
                        frequencyDivisors: Array(divisors.floats))
        } else {
            rope = RoPE(headDimension: model.headDim, theta: model.ropeTheta, layout: recipe.ropeLayout(for: model),
                        scaling: model.ropeScaling.flatMap { s in
                            s.kind == .llama3 ? RoPE.Llama31Scaling(factor: s.factor, lowFrequencyFactor: s.lowFrequencyFactor,
                                                                    highFrequencyFactor: s.highFrequencyFactor,
                                                                    originalContextLength: Float(s.originalContextLength)) : nil
                        })
        }
        encodings = EncodingScratch(kernels: kernels)
        input = Activation(count: model.dim, scratch: encodings)
        q = Floats(share.queryHeads.count * model.headDim)
        k = Floats(share.kvHeads.count * model.headDim)
        v = Floats(share.kvHeads.count * model.headDim)
        attended = Activation(count: share.queryHeads.count * model.headDim, scratch: encodings)
        scores = Floats(share.queryHeads.count * maxSeqLen)
        attentionParts = Floats((pool?.threadCount ?? 1) * share.queryHeads.count * model.headDim)
        attentionStats = Floats((pool?.threadCount ?? 1) * share.queryHeads.count * 2)
        gate = Activation(count: ffnWidth, scratch: encodings)
        up = Floats(ffnWidth)
        expertOutput = Floats(model.dim)
        router = Floats(model.expertCount)
        partial = Floats(model.dim)
        ropeRotations = Floats(model.headDim)
    }

    var maxSeqLen: Int { cache.maxSeqLen }

    /// `out = W x` for all rows of `weights` (this node's slice), through the pool.
    func multiply(_ weights: TensorView, _ x: Activation, into out: UnsafeMutablePointer<Float>) {
        multiply(weights.matrix(), x, into: out)
    }

    func multiply(_ matrix: WeightMatrix, _ x: Activation, into out: UnsafeMutablePointer<Float>) {
        profiler.measure(.matmul) {
            MatrixVector.multiply(matrix, prepared: x.input(for: matrix.type), into: out, pool: pool, kernels: kernels)
        }
    }

    /// Two or three products of one activation in one pool dispatch (a layer's q, k and v; gate and
    /// up), the group held on the stack.
    func multiply(_ x: Activation, _ a: (weights: WeightMatrix, out: UnsafeMutablePointer<Float>),
                  _ b: (weights: WeightMatrix, out: UnsafeMutablePointer<Float>),
                  _ c: (weights: WeightMatrix, out: UnsafeMutablePointer<Float>)? = nil) {
        profiler.measure(.matmul) {
            func product(_ p: (weights: WeightMatrix, out: UnsafeMutablePointer<Float>)) -> MatrixVectorProduct {
                MatrixVectorProduct(p.weights, prepared: x.input(for: p.weights.type), into: p.out)
            }
            withUnsafeTemporaryAllocation(of: MatrixVectorProduct.self, capacity: 3) { group in  // [2 or 3]
                group.initializeElement(at: 0, to: product(a))
                group.initializeElement(at: 1, to: product(b))
                if let c { group.initializeElement(at: 2, to: product(c)) }
                MatrixVector.multiply(UnsafeBufferPointer(rebasing: group[0..<(c == nil ? 2 : 3)]), pool: pool, kernels: kernels)
            }
        }
    }

    /// This node's logits: its rows of the output projection times the final normalized state.
    func logits(_ y: Activation, into out: UnsafeMutablePointer<Float>) throws {
        try profiler.measure(.logits) {
            try store.withRowChunks(of: model.tiedEmbedding ? .tokenEmbedding : .output) { chunk, rows in
                let matrix = chunk.matrix()
                MatrixVector.multiply(matrix, prepared: y.input(for: matrix.type), into: out + rows.lowerBound, pool: pool, kernels: kernels)
            }
        }
    }

    var vocabRows: Range<Int> { share.vocabRows }
}

import LayerStore
import ModelFormat
import Scheduler

/// Chooses how a node holds its weights under a RAM budget (`--max-ram`), and checks before
/// anything large is allocated that what the node must hold fits the memory the machine has free.
///
/// The budget covers what grows with the model (weights, KV cache, activations); the process's
/// fixed overhead (runtime, code, tokenizer, model metadata: measured in docs/performance.md)
/// comes on top. Every remedy is in the cases' data: a tool words it with its own options.
public enum MemoryBudget {
    /// The store mode for `plan`'s node `node` under `budget` bytes (nil: no budget, map the file).
    public static func storeMode(plan: Plan, node: Int = 0, tensors: [TensorInfo], budget: Int?) throws -> LayerStore.Mode {
        guard let budget else { return .mapped }
        let estimate = plan.estimates[node]
        if estimate.estimatedRAM - Plan.fixedOverheadBytes <= budget { return .resident }
        let minimum = plan.streamingMinimum(node: node, tensors: tensors) - Plan.fixedOverheadBytes
        guard budget >= minimum else { throw MemoryBudgetError.tooSmall(budget: budget, needed: minimum) }
        return .streaming(weightBudget: budget - estimate.kvCacheBytes - estimate.activationBytes)
    }

    /// The store mode when neither a mode nor a budget is given: `.resident` when the node's
    /// allocations with its weights read into buffers fit in three quarters of `available` (what
    /// the machine has available now), else `.mapped`, which the kernel can page in and out. Held
    /// weights sit in huge pages where the system grants them (`OwnedBuffer`), which the per-token
    /// products read a little faster than a mapped file's 4 KiB pages (1.02-1.03x; docs/performance.md).
    public static func automaticMode(plan: Plan, node: Int = 0, available: Int? = ProcessMemory.availableBytes()) -> LayerStore.Mode {
        guard let available, allocatedBytes(plan: plan, node: node, mode: .resident) <= available / 4 * 3 else { return .mapped }
        return .resident
    }

    /// Bytes node `node` allocates in `mode`: its KV cache and activations, plus its weights when
    /// they are read into buffers (memory-mapped weights are file pages the kernel can drop).
    public static func allocatedBytes(plan: Plan, node: Int = 0, mode: LayerStore.Mode) -> Int {
        let estimate = plan.estimates[node]
        let weights: Int
        switch mode {
        case .mapped: weights = 0
        case .resident: weights = estimate.weightBytes
        case .streaming(let budget): weights = budget
        }
        return estimate.kvCacheBytes + estimate.activationBytes + weights
    }

    /// Refuses, before allocating, a node whose allocations exceed `available` bytes (default:
    /// what the machine has available now; no check where that is unknown).
    public static func checkAvailable(plan: Plan, node: Int = 0, mode: LayerStore.Mode,
                                      available: Int? = ProcessMemory.availableBytes()) throws {
        guard let available else { return }
        let needed = allocatedBytes(plan: plan, node: node, mode: mode)
        guard needed <= available else {
            throw MemoryBudgetError.exceedsAvailable(needed: needed, available: available, kvCacheBytes: plan.estimates[node].kvCacheBytes,
                                           maxSeqLen: plan.maxSeqLen)
        }
    }
}

/// Why a node's share does not fit its budget or the machine; every remedy is in the cases' data.
public enum MemoryBudgetError: Error, CustomStringConvertible, Equatable {
    /// The budget cannot hold the node's share even streaming one layer at a time.
    case tooSmall(budget: Int, needed: Int)
    /// What the node must allocate (`needed`, of which `kvCacheBytes` is the KV cache for
    /// `maxSeqLen` positions) is more than the machine has available.
    case exceedsAvailable(needed: Int, available: Int, kvCacheBytes: Int, maxSeqLen: Int)

    public var description: String {
        switch self {
        case .tooSmall(let budget, let needed):
            return "a RAM budget of \(formatBytes(budget)) is too small: this model needs at least \(formatBytes(needed)) even streaming one layer at a time (KV cache, activations, two layer-sized buffers, norms). Raise the budget or shorten the context"
        case .exceedsAvailable(let needed, let available, let kv, let context):
            return "this node needs \(formatBytes(needed)) of memory (\(formatBytes(kv)) of it the KV cache for a context of \(context) tokens) but the machine has \(formatBytes(available)) available. Shorten the context, or stream the weights under a RAM budget"
        }
    }
}

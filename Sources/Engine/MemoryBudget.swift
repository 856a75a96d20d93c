import LayerStore
import ModelFormat
import Scheduler

/// Chooses how a node holds its weights under `--max-ram`: everything resident when its whole
/// share fits, otherwise layers streamed through as many buffers as the budget leaves room for
/// once the KV cache and activations are counted. The budget covers what grows with the model
/// (weights, KV cache, activations); the process's fixed overhead (runtime, code, tokenizer,
/// model metadata: measured in docs/performance.md) comes on top.
public enum MemoryBudget {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case tooSmall(budget: Int, needed: Int)

        public var description: String {
            switch self {
            case .tooSmall(let budget, let needed):
                return "--max-ram \(formatBytes(budget)) is too small: this model needs at least \(formatBytes(needed)) even streaming one layer at a time (KV cache, activations, two layer-sized buffers, norms). Raise --max-ram or lower --max-seq-len"
            }
        }
    }

    /// The store mode for `plan`'s node `node` under `budget` bytes (nil: no budget, map the file).
    public static func storeMode(plan: Plan, node: Int = 0, tensors: [TensorInfo], budget: Int?) throws -> LayerStore.Mode {
        guard let budget else { return .mapped }
        let estimate = plan.estimates[node]
        if estimate.estimatedRAM - Plan.fixedOverheadBytes <= budget { return .resident }
        let minimum = plan.streamingMinimum(node: node, tensors: tensors) - Plan.fixedOverheadBytes
        guard budget >= minimum else { throw Failure.tooSmall(budget: budget, needed: minimum) }
        return .streaming(weightBudget: budget - estimate.kvCacheBytes - estimate.activationBytes)
    }
}

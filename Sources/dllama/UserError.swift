import ArgumentParser
import Engine
import LayerStore
import ModelFormat
import Scheduler
import Tokenizer

/// A problem found while running (a tokenizer of another model, a prompt too long): printed as
/// `Error: ...` with exit status 1. `ValidationError` is for the command line itself: it prints
/// the usage too and exits with status 64.
struct UserError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The libraries' errors carry their figures and name remedies in their own terms (a shorter
/// context, a RAM budget, a pipeline plan); this words them with the options of `dllama`.
enum CommandLineWording {
    /// `error` as `dllama` reports it: a `UserError` when a library error has a command-line
    /// wording, otherwise the error itself.
    static func reword(_ error: Error) -> Error {
        message(for: error).map(UserError.init) ?? error
    }

    static func message(for error: Error) -> String? {
        switch error {
        case let failure as TransformerError: return wording(failure)
        case let failure as GenerationError: return wording(failure)
        case let failure as MemoryBudgetError: return wording(failure)
        case let failure as LayerStoreError:
            guard case .budgetTooSmall(let budget, let needed, let layer, let other) = failure else { return nil }
            return "--max-ram leaves \(formatBytes(budget)) for weights, which cannot hold one layer (\(formatBytes(layer))) plus the non-layer weights "
                + "(\(formatBytes(other))); at least \(formatBytes(needed)) is needed: raise --max-ram or add nodes"
        case let failure as PlanError: return wording(failure)
        case let failure as TokenizerError: return wording(failure)
        case let failure as ModelFormatError: return wording(failure)
        case let failure as ClusterError:
            guard case .worker(let index, let address, let stage, let underlying) = failure, let inner = message(for: underlying) else { return nil }
            return "worker \(index) (\(address)), \(stage): \(inner)"
        default: return nil
        }
    }

    private static func wording(_ failure: TransformerError) -> String? {
        guard case .contextFull(let n) = failure else { return nil }
        return "the context is full (\(n) tokens): raise --max-seq-len (-c)"
    }

    private static func wording(_ failure: GenerationError) -> String {
        switch failure {
        case .promptTooLong(let tokens, let context):
            return "the prompt is \(tokens) tokens but the context holds \(context), and at least one token must be left to generate: "
                + "shorten the prompt or raise --max-seq-len (-c)"
        }
    }

    private static func wording(_ failure: MemoryBudgetError) -> String {
        switch failure {
        case .tooSmall(let budget, let needed):
            return "--max-ram \(formatBytes(budget)) is too small: this model needs at least \(formatBytes(needed)) even streaming one layer "
                + "at a time (KV cache, activations, two layer-sized buffers, norms). Raise --max-ram or lower --max-seq-len"
        case .exceedsAvailable(let needed, let available, let kv, let context):
            return "this node needs \(formatBytes(needed)) of memory (\(formatBytes(kv)) of it the KV cache for a context of \(context) tokens) "
                + "but the machine has \(formatBytes(available)) available: lower --max-seq-len (-c), or set --max-ram to stream the weights from disk"
        }
    }

    private static func wording(_ failure: PlanError) -> String? {
        switch failure {
        case .tooManyNodesForKVHeads(let nodes, let kv):
            return "\(nodes) nodes but the model has \(kv) KV heads: use at most \(kv) nodes, or --mode hybrid (pipeline stages of "
                + "tensor-parallel groups) or --mode pipeline"
        case .tooManyNodesForLayers(let nodes, let layers):
            return "\(nodes) nodes but the model has \(layers) layers: use at most \(layers) nodes in pipeline mode"
        case .emptyShare(let node, let what):
            return "node \(node) would get no \(what): its capacity is too small next to the others'; drop it, raise its --ram or --speed, "
                + "or use --mode hybrid or --mode pipeline"
        case .tooFewUnits(let what, let units, let nodes):
            return "the model's \(what) split into only \(units) part\(units == 1 ? "" : "s") (whole quantization blocks), fewer than "
                + "\(nodes) nodes: use at most \(units) nodes, or --mode hybrid or --mode pipeline"
        case .blockMisaligned(let tensor, let reason):
            return "cannot split \(tensor): \(reason); use --mode pipeline or fewer nodes"
        case .doesNotFit(let node, let needs, let has):
            return "node \(node) has \(formatBytes(has)) but needs at least \(formatBytes(needs)) even when streaming one layer at a time "
                + "(KV cache, activations and two layers' weights): give it more RAM, add nodes, or lower --max-seq-len"
        case .noNodes, .capacityCount, .invalidCapacity:
            return nil
        }
    }

    private static func wording(_ failure: TokenizerError) -> String? {
        let families = ChatTemplateFamily.allCases.map(\.rawValue).joined(separator: ", ")
        switch failure {
        case .noChatTemplate(let path):
            return "\(path): the tokenizer has no chat template, or none dllama recognises. Choose one with --chat-template NAME (\(families))."
        case .chatTemplateTokensMissing(let path, let template, let missing):
            return "\(path): the \(template) chat template needs the special tokens \(missing.joined(separator: " ")), which this vocabulary "
                + "does not have: the model was not trained on that format. Leave out --chat-template to use the model's own, or name another (\(families))."
        case .missingVocabulary(let path, let key):
            return "\(path): metadata key \(key) is missing, so the file carries no usable tokenizer. Pass the model's .t file with --tokenizer, "
                + "or use a GGUF converted with its tokenizer."
        case .modelCarriesNoVocabulary(let path):
            return "\(path) is a distributed-llama .m file, which carries no vocabulary: pass its tokenizer with --tokenizer FILE.t."
        case .mismatchedModel(let path, let tokens, let rows):
            return "the tokenizer (\(path)) has \(tokens) tokens but the model has \(rows) vocabulary rows: they do not belong together. "
                + "Pass the model's own tokenizer with --tokenizer."
        default:
            return nil
        }
    }

    private static func wording(_ failure: ModelFormatError) -> String? {
        switch failure {
        case .tokenizerNotModel(let path):
            return "\(path) is a distributed-llama tokenizer file (.t), not a model: pass it with --tokenizer, and the .m file with --model."
        default:
            return nil
        }
    }
}

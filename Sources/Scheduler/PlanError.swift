import ModelFormat

/// Why a plan cannot be made, each case carrying the figures and saying what to do instead.
///
/// The `description` names remedies in the library's terms (a pipeline plan, a shorter context);
/// a command-line tool words them with its own option names from the cases' data.
public enum PlanError: Error, Equatable, CustomStringConvertible, Sendable {
    case noNodes
    case tooManyNodesForKVHeads(nodes: Int, kvHeads: Int)
    case tooManyNodesForLayers(nodes: Int, layers: Int)
    case capacityCount(option: String, given: Int, nodes: Int)
    case invalidCapacity(option: String, value: String)
    case emptyShare(node: Int, what: String)
    case tooFewUnits(what: String, units: Int, nodes: Int)
    case blockMisaligned(tensor: String, reason: String)
    case doesNotFit(node: Int, needs: Int, has: Int)

    public var description: String {
        switch self {
        case .noNodes:
            return "a plan needs at least one node"
        case .tooManyNodesForKVHeads(let nodes, let kv):
            return "\(nodes) nodes but the model has \(kv) KV heads: use at most \(kv) nodes, or a hybrid plan (pipeline stages of tensor-parallel groups) or a pipeline plan"
        case .tooManyNodesForLayers(let nodes, let layers):
            return "\(nodes) nodes but the model has \(layers) layers: use at most \(layers) nodes in a pipeline plan"
        case .capacityCount(let option, let given, let nodes):
            return "\(option) lists \(given) values for \(nodes) nodes: give one value for every node, or one for all"
        case .invalidCapacity(let option, let value):
            return "\(option) value \"\(value)\" is not understood (sizes such as 512M or 4G; speeds such as 1 or 2.5)"
        case .emptyShare(let node, let what):
            return "node \(node) would get no \(what): its capacity is too small next to the others'; drop it, raise its RAM or speed, or use a hybrid or pipeline plan"
        case .tooFewUnits(let what, let units, let nodes):
            return "the model's \(what) split into only \(units) part\(units == 1 ? "" : "s") (whole quantization blocks), fewer than \(nodes) nodes: use at most \(units) nodes, or a hybrid or pipeline plan"
        case .blockMisaligned(let tensor, let reason):
            return "cannot split \(tensor): \(reason); use a pipeline plan or fewer nodes"
        case .doesNotFit(let node, let needs, let has):
            return "node \(node) has \(formatBytes(has)) but needs at least \(formatBytes(needs)) even when streaming one layer at a time (KV cache, activations and two layers' weights): give it more RAM, add nodes, or shorten the context"
        }
    }
}

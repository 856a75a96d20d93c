import Foundation
import LayerStore
import QuantKernels

extension NodeCompute {
    /// This node's feed-forward contribution for the normalized input in `input`: SwiGLU over its
    /// FFN rows (or, for a mixture of experts, over its rows of each chosen expert), then its
    /// columns of the down projection. The result is left in `partial`.
    func feedForward(_ w: LayerWeights) {
        if recipe.isMixtureOfExperts {
            mixtureOfExperts(w)
        } else {
            swiGLU(gate: w["ffn_gate"]!, up: w["ffn_up"]!, down: w["ffn_down"]!, expert: nil, into: partial.buffer.baseAddress!)
        }
    }

    /// `out = down . (act(gate . x) * (up . x))` over this node's rows.
    func swiGLU(gate gateWeights: TensorView, up upWeights: TensorView, down: TensorView, expert: Int?,
                into out: UnsafeMutablePointer<Float>) {
        multiply(gateWeights, input, into: gate.values.baseAddress!, expert: expert)
        multiply(upWeights, input, into: up.buffer.baseAddress!, expert: expert)
        profiler.measure(.elementwise) {
            if model.activation == .gelu { Elementwise.gelu(gate.values) } else { Elementwise.silu(gate.values) }
            Elementwise.multiply(gate.values, by: UnsafeBufferPointer(up.buffer))
        }
        gate.invalidate()
        multiply(down, gate, into: out, expert: expert)
    }

    /// The router's softmax picks the top-k experts (ties to the lower index); their outputs are
    /// summed with the chosen probabilities, renormalized to one when the recipe says so.
    func mixtureOfExperts(_ w: LayerWeights) {
        let routerWeights = w["ffn_gate_inp"]!
        multiply(routerWeights, input, into: router.buffer.baseAddress!)
        let chosen = profiler.measure(.elementwise) { () -> [(expert: Int, weight: Float)] in
            Elementwise.softmax(router.buffer)
            let order = router.buffer.indices.sorted { router.buffer[$0] != router.buffer[$1] ? router.buffer[$0] > router.buffer[$1] : $0 < $1 }
            let top = order.prefix(model.activeExpertCount)
            let total = recipe.normalizesTopKWeights ? top.reduce(Float(0)) { $0 + router.buffer[$1] } : 1
            return top.map { ($0, router.buffer[$0] / total) }
        }
        partial.buffer.update(repeating: 0)
        for (expert, weight) in chosen {
            if let stacked = w["ffn_gate_exps"] {
                swiGLU(gate: stacked, up: w["ffn_up_exps"]!, down: w["ffn_down_exps"]!, expert: expert,
                       into: expertOutput.buffer.baseAddress!)
            } else {
                swiGLU(gate: w["ffn_gate.\(expert)"]!, up: w["ffn_up.\(expert)"]!, down: w["ffn_down.\(expert)"]!,
                       expert: nil, into: expertOutput.buffer.baseAddress!)
            }
            profiler.measure(.elementwise) {
                for i in 0..<model.dim { partial.buffer[i] += weight * expertOutput.buffer[i] }
            }
        }
    }
}

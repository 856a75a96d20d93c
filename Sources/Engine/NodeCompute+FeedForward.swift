import Foundation
import LayerStore
import QuantKernels

extension NodeCompute {
    /// This node's feed-forward contribution for the normalized input in `input`: SwiGLU over its
    /// FFN rows (or, for a mixture of experts, over its rows of each chosen expert), then its
    /// columns of the down projection. The result is left in `partial`.
    func feedForward(_ w: LayerWeights) {
        switch w.feedForward {
        case .dense(let gate, let up, let down):
            swiGLU(gate: gate.matrix(), up: up.matrix(), down: down.matrix(), into: partial.buffer.baseAddress!)
        case .experts(let router, let experts):
            mixtureOfExperts(router: router, experts: experts)
        }
    }

    /// `out = down . (act(gate . x) * (up . x))` over this node's rows.
    func swiGLU(gate gateWeights: WeightMatrix, up upWeights: WeightMatrix, down: WeightMatrix,
                into out: UnsafeMutablePointer<Float>) {
        multiply(input, (gateWeights, gate.values.baseAddress!), (upWeights, up.buffer.baseAddress!))
        profiler.measure(.elementwise) {
            if model.activation == .gelu {
                Elementwise.gelu(gate.values)
                Elementwise.multiply(gate.values, by: UnsafeBufferPointer(up.buffer))
            } else {
                kernels.swiGLU(Int32(gate.values.count), gate.values.baseAddress, up.buffer.baseAddress)
            }
        }
        gate.invalidate()
        multiply(down, gate, into: out)
    }

    /// The router's softmax picks the top-k experts (ties to the lower index); their outputs are
    /// summed with the chosen probabilities, renormalized to one when the recipe says so.
    func mixtureOfExperts(router routerWeights: TensorView, experts: ExpertWeights) {
        multiply(routerWeights.matrix(), input, into: router.buffer.baseAddress!)
        let chosen = profiler.measure(.elementwise) { () -> [(expert: Int, weight: Float)] in
            Elementwise.softmax(router.buffer)
            let order = router.buffer.indices.sorted { router.buffer[$0] != router.buffer[$1] ? router.buffer[$0] > router.buffer[$1] : $0 < $1 }
            let top = order.prefix(model.activeExpertCount)
            let total = recipe.normalizesTopKWeights ? top.reduce(Float(0)) { $0 + router.buffer[$1] } : 1
            return top.map { ($0, router.buffer[$0] / total) }
        }
        partial.buffer.update(repeating: 0)
        for (expert, weight) in chosen {
            let matrices = experts.matrices(expert)
            swiGLU(gate: matrices.gate, up: matrices.up, down: matrices.down, into: expertOutput.buffer.baseAddress!)
            profiler.measure(.elementwise) {
                for i in 0..<model.dim { partial.buffer[i] += weight * expertOutput.buffer[i] }
            }
        }
    }
}

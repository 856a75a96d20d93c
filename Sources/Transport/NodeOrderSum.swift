import QuantKernels

/// The all-reduce arithmetic, shared by every collective so that a TCP cluster and an MPI job
/// compute the same bits: only encoded vectors travel, and whoever sums them adds the decoded
/// vectors in node order. Float addition is not associative; the order is what makes results
/// independent of the transport and of any library's choice of algorithm.
enum NodeOrderSum {
    /// A group of two: `values = decode(parts[0]) + decode(parts[1])`, no second rounding.
    static func pair(_ parts: [UnsafeRawBufferPointer], into values: UnsafeMutableBufferPointer<Float>, encoding: ActivationEncoding,
                     scratch: Scratch, peer: String, kernels: KernelTable) throws {
        try encoding.decode(parts[0], into: values, peer: peer, kernels: kernels)
        scratch.ensure(values.count)
        for part in parts.dropFirst() {
            try encoding.decode(part, into: scratch.floats(values.count), peer: peer, kernels: kernels)
            Elementwise.add(values, UnsafeBufferPointer(scratch.floats(values.count)))
        }
    }

    /// A larger group, one member's encoding at a time (`peers[i]` names who sent `parts[i]`):
    /// `sum = 0 + decode(parts[0]) + decode(parts[1]) + ...`. The caller then encodes the sum once
    /// and every member decodes that encoding, so all hold the same bits.
    static func accumulate(_ part: UnsafeRawBufferPointer, into sum: UnsafeMutableBufferPointer<Float>, first: Bool,
                           encoding: ActivationEncoding, scratch: Scratch, peer: String, kernels: KernelTable) throws {
        if first { sum.update(repeating: 0) }
        scratch.ensure(sum.count)
        try encoding.decode(part, into: scratch.floats(sum.count), peer: peer, kernels: kernels)
        Elementwise.add(sum, UnsafeBufferPointer(scratch.floats(sum.count)))
    }
}

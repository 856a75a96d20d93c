import CQuantKernels

/// SwiGLU's gate in place: `gate[i] = silu(gate[i]) * up[i]` over `n` values.
public typealias SwiGLUKernel = @convention(c) (Int32, UnsafeMutablePointer<Float>?, UnsafePointer<Float>?) -> Void
/// Numerically stable softmax in place over `n` values.
public typealias SoftmaxKernel = @convention(c) (Int32, UnsafeMutablePointer<Float>?) -> Void

extension KernelTable {
    /// The SwiGLU gate on this table's path: eight polynomial exponentials at a time on x86-64 (a
    /// few ULP from libm's), libm's `expf` per value elsewhere.
    ///
    /// ```swift
    /// kernels.swiGLU(Int32(ffnWidth), gate, up)   // gate: [ffnWidth] w1 x -> silu(w1 x) * w3 x
    /// ```
    public var swiGLU: SwiGLUKernel {
        switch path {
        #if arch(x86_64)
        case .avx2, .avx512: qk_swiglu_f32_avx2
        #endif
        default: qk_swiglu_f32_ref
        }
    }

    /// The softmax on this table's path (attention's weights over the cached positions).
    public var softmax: SoftmaxKernel {
        switch path {
        #if arch(x86_64)
        case .avx2, .avx512: qk_softmax_f32_avx2
        #endif
        default: qk_softmax_f32_ref
        }
    }
}

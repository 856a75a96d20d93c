import CQuantKernels

/// A dot product of one weight row `x` with one activation row `y` of `n` values.
public typealias DotKernel = @convention(c) (Int32, UnsafeRawPointer?, UnsafeRawPointer?) -> Float
/// `out[r] = dot(row r of w, y)` for `rows` rows `rowBytes` apart, each of `n` values.
public typealias MatrixVectorKernel = @convention(c) (Int32, UnsafeRawPointer?, Int, Int32, UnsafeRawPointer?, UnsafeMutablePointer<Float>?) -> Void
/// `out[t * outStride + r] = dot(row r of w, token t of y)` for `batch` token rows `yRowBytes` apart, in the
/// weight type's `activationType` (Q80, or Q8_K for the K-quants).
public typealias MatrixMatrixKernel = @convention(c) (Int32, UnsafeRawPointer?, Int, Int32, UnsafeRawPointer?, Int, Int32,
                                                      UnsafeMutablePointer<Float>?, Int) -> Void
/// Converts `n` floats to a row of blocks.
public typealias QuantizeKernel = @convention(c) (Int32, UnsafePointer<Float>?, UnsafeMutableRawPointer?) -> Void
/// Converts a row of `n` values in blocks to floats.
public typealias DequantizeKernel = @convention(c) (Int32, UnsafeRawPointer?, UnsafeMutablePointer<Float>?) -> Void

/// The one table that picks every kernel: for a `KernelPath`, the function each operation calls.
/// Operations a path has no SIMD variant of use the scalar reference.
///
/// ```swift
/// let kernels = KernelTable.current                         // the selected path
/// let sum = kernels.dot(weights: .q40)!(4096, row, activationsQ80)
/// let sumK = kernels.dot(weights: .q4K)!(4864, rowQ4K, activationsQ8K)  // BlockType.q4K.activationType
/// ```
public struct KernelTable: @unchecked Sendable {  // holds only C function pointers
    public let path: KernelPath
    public let dotQ40Q80: DotKernel
    public let dotQ41Q80: DotKernel
    public let dotQ80Q80: DotKernel
    public let dotF32F32: DotKernel
    public let dotF16F32: DotKernel
    public let dotQ50Q80: DotKernel
    public let dotQ51Q80: DotKernel
    public let dotQ4KQ8K: DotKernel
    public let dotQ5KQ8K: DotKernel
    public let dotQ6KQ8K: DotKernel
    public let quantizeQ80: QuantizeKernel
    /// Q8_K activations for K-quant weights: the reference on every path (one per activation
    /// vector that enters a K-quant matrix; it must round exactly as GGML does).
    public let quantizeQ8K: QuantizeKernel = qk_quantize_q8k_ref
    public let quantizeF16: QuantizeKernel
    public let dequantizeF16: DequantizeKernel
    public let dequantizeQ40: DequantizeKernel
    public let dequantizeQ41: DequantizeKernel
    /// Whole-share products that prepare the activation once (nil: one dot per row).
    public let matrixVectorQ40Q80: MatrixVectorKernel?
    public let matrixVectorQ41Q80: MatrixVectorKernel?
    public let matrixVectorQ80Q80: MatrixVectorKernel?
    public let matrixVectorQ50Q80: MatrixVectorKernel?
    public let matrixVectorQ51Q80: MatrixVectorKernel?
    /// K-quant weights: the Q8_K activation is already the prepared form, so these are one dot per
    /// row looped in C.
    public let matrixVectorQ4KQ8K: MatrixVectorKernel?
    public let matrixVectorQ5KQ8K: MatrixVectorKernel?
    public let matrixVectorQ6KQ8K: MatrixVectorKernel?
    /// Batched products that unpack each weight block once for several tokens (nil: per token).
    public let matrixMatrixQ40Q80: MatrixMatrixKernel?
    public let matrixMatrixQ41Q80: MatrixMatrixKernel?
    public let matrixMatrixQ50Q80: MatrixMatrixKernel?
    public let matrixMatrixQ51Q80: MatrixMatrixKernel?
    /// K-quant weights: `batch` Q8_K token rows, read as they are.
    public let matrixMatrixQ4KQ8K: MatrixMatrixKernel?
    public let matrixMatrixQ5KQ8K: MatrixMatrixKernel?
    public let matrixMatrixQ6KQ8K: MatrixMatrixKernel?

    /// The table of `path`; the caller makes sure the path can run here (`KernelPath.available()`).
    public init(path: KernelPath) {
        self.path = path
        switch path {
        #if arch(x86_64)
        case .avx2:
            (matrixVectorQ40Q80, matrixVectorQ41Q80, matrixVectorQ80Q80) = (qk_matvec_q40_q80_avx2, qk_matvec_q41_q80_avx2, nil)
            (matrixMatrixQ40Q80, matrixMatrixQ41Q80) = (qk_matmat_q40_q80_avx2, qk_matmat_q41_q80_avx2)
            (matrixMatrixQ50Q80, matrixMatrixQ51Q80) = (nil, nil)
            (matrixMatrixQ4KQ8K, matrixMatrixQ5KQ8K, matrixMatrixQ6KQ8K) = (qk_matmat_q4k_q8k_avx2, qk_matmat_q5k_q8k_avx2, qk_matmat_q6k_q8k_avx2)
            (dotQ40Q80, dotQ41Q80, dotQ80Q80) = (qk_dot_q40_q80_avx2, qk_dot_q41_q80_avx2, qk_dot_q80_q80_avx2)
            (dotF32F32, dotF16F32) = (qk_dot_f32_f32_avx2, qk_dot_f16_f32_avx2)
            quantizeQ80 = qk_quantize_q80_avx2
            (dequantizeQ40, dequantizeQ41) = (qk_dequantize_q40_avx2, qk_dequantize_q41_avx2)
            (quantizeF16, dequantizeF16) = (qk_quantize_f16_avx2, qk_dequantize_f16_avx2)
            (dotQ50Q80, dotQ51Q80) = (qk_dot_q50_q80_avx2, qk_dot_q51_q80_avx2)
            (dotQ4KQ8K, dotQ5KQ8K, dotQ6KQ8K) = (qk_dot_q4k_q8k_avx2, qk_dot_q5k_q8k_avx2, qk_dot_q6k_q8k_avx2)
            (matrixVectorQ50Q80, matrixVectorQ51Q80) = (qk_matvec_q50_q80_avx2, qk_matvec_q51_q80_avx2)
            (matrixVectorQ4KQ8K, matrixVectorQ5KQ8K, matrixVectorQ6KQ8K) = (qk_matvec_q4k_q8k_avx2, qk_matvec_q5k_q8k_avx2, qk_matvec_q6k_q8k_avx2)
        case .avx512:
            (matrixVectorQ40Q80, matrixVectorQ41Q80, matrixVectorQ80Q80) = (qk_matvec_q40_q80_avx512, qk_matvec_q41_q80_avx512, qk_matvec_q80_q80_avx512)
            (matrixMatrixQ40Q80, matrixMatrixQ41Q80) = (qk_matmat_q40_q80_avx512, qk_matmat_q41_q80_avx512)
            (matrixMatrixQ50Q80, matrixMatrixQ51Q80) = (qk_matmat_q50_q80_avx512, qk_matmat_q51_q80_avx512)
            (matrixMatrixQ4KQ8K, matrixMatrixQ5KQ8K, matrixMatrixQ6KQ8K) = (qk_matmat_q4k_q8k_avx512, qk_matmat_q5k_q8k_avx512, qk_matmat_q6k_q8k_avx512)
            // Single-row dots, 1 thread, cold 14336 x 4096 (GB/s, AVX2 / AVX-512): Q40 10.3 / 9.6 (so
            // AVX2's), Q41 5.6 / 5.6, Q80 10.7 / 10.8, F32 33.8 / 37.6, F16 31.5 / 39.4.
            (dotQ40Q80, dotQ41Q80, dotQ80Q80) = (qk_dot_q40_q80_avx2, qk_dot_q41_q80_avx512, qk_dot_q80_q80_avx512)
            (dotF32F32, dotF16F32) = (qk_dot_f32_f32_avx512, qk_dot_f16_f32_avx512)
            quantizeQ80 = qk_quantize_q80_avx2  // 128 blocks per 4096-value token: no AVX-512 variant written
            (dequantizeQ40, dequantizeQ41) = (qk_dequantize_q40_avx2, qk_dequantize_q41_avx2)
            (quantizeF16, dequantizeF16) = (qk_quantize_f16_avx2, qk_dequantize_f16_avx2)
            (dotQ50Q80, dotQ51Q80) = (qk_dot_q50_q80_avx512, qk_dot_q51_q80_avx512)
            (dotQ4KQ8K, dotQ5KQ8K, dotQ6KQ8K) = (qk_dot_q4k_q8k_avx512, qk_dot_q5k_q8k_avx512, qk_dot_q6k_q8k_avx512)
            (matrixVectorQ50Q80, matrixVectorQ51Q80) = (qk_matvec_q50_q80_avx512, qk_matvec_q51_q80_avx512)
            (matrixVectorQ4KQ8K, matrixVectorQ5KQ8K, matrixVectorQ6KQ8K) = (qk_matvec_q4k_q8k_avx512, qk_matvec_q5k_q8k_avx512, qk_matvec_q6k_q8k_avx512)
        #endif
        #if arch(arm64)
        case .neon:
            (matrixVectorQ40Q80, matrixVectorQ41Q80, matrixVectorQ80Q80) = (nil, nil, nil)
            (matrixMatrixQ40Q80, matrixMatrixQ41Q80) = (nil, nil)
            (matrixMatrixQ50Q80, matrixMatrixQ51Q80) = (nil, nil)
            (matrixMatrixQ4KQ8K, matrixMatrixQ5KQ8K, matrixMatrixQ6KQ8K) = (nil, nil, nil)
            (dotQ40Q80, dotQ41Q80, dotQ80Q80) = (qk_dot_q40_q80_neon, qk_dot_q41_q80_neon, qk_dot_q80_q80_neon)
            (dotF32F32, dotF16F32) = (qk_dot_f32_f32_neon, qk_dot_f16_f32_neon)
            quantizeQ80 = qk_quantize_q80_neon
            (dequantizeQ40, dequantizeQ41) = (qk_dequantize_q40_ref, qk_dequantize_q41_ref)
            (quantizeF16, dequantizeF16) = (qk_quantize_f16_neon, qk_dequantize_f16_neon)
            (dotQ50Q80, dotQ51Q80) = (qk_dot_q50_q80_neon, qk_dot_q51_q80_neon)
            (dotQ4KQ8K, dotQ5KQ8K, dotQ6KQ8K) = (qk_dot_q4k_q8k_neon, qk_dot_q5k_q8k_neon, qk_dot_q6k_q8k_neon)
            (matrixVectorQ50Q80, matrixVectorQ51Q80) = (nil, nil)
            (matrixVectorQ4KQ8K, matrixVectorQ5KQ8K, matrixVectorQ6KQ8K) = (nil, nil, nil)
        #endif
        default:  // .scalar, and any path not compiled into this binary
            (matrixVectorQ40Q80, matrixVectorQ41Q80, matrixVectorQ80Q80) = (nil, nil, nil)
            (matrixMatrixQ40Q80, matrixMatrixQ41Q80) = (nil, nil)
            (matrixMatrixQ50Q80, matrixMatrixQ51Q80) = (nil, nil)
            (matrixMatrixQ4KQ8K, matrixMatrixQ5KQ8K, matrixMatrixQ6KQ8K) = (nil, nil, nil)
            (dotQ40Q80, dotQ41Q80, dotQ80Q80) = (qk_dot_q40_q80_ref, qk_dot_q41_q80_ref, qk_dot_q80_q80_ref)
            (dotF32F32, dotF16F32) = (qk_dot_f32_f32_ref, qk_dot_f16_f32_ref)
            quantizeQ80 = qk_quantize_q80_ref
            (dequantizeQ40, dequantizeQ41) = (qk_dequantize_q40_ref, qk_dequantize_q41_ref)
            (quantizeF16, dequantizeF16) = (qk_quantize_f16_ref, qk_dequantize_f16_ref)
            (dotQ50Q80, dotQ51Q80) = (qk_dot_q50_q80_ref, qk_dot_q51_q80_ref)
            (dotQ4KQ8K, dotQ5KQ8K, dotQ6KQ8K) = (qk_dot_q4k_q8k_ref, qk_dot_q5k_q8k_ref, qk_dot_q6k_q8k_ref)
            (matrixVectorQ50Q80, matrixVectorQ51Q80) = (nil, nil)
            (matrixVectorQ4KQ8K, matrixVectorQ5KQ8K, matrixVectorQ6KQ8K) = (nil, nil, nil)
        }
    }

    /// The table of the path selected for this process.
    public static let current = KernelTable(path: KernelPath.selected)

    /// The dot kernel for weights of `type` (activations in `type.activationType`), if there is one.
    public func dot(weights type: BlockType) -> DotKernel? {
        switch type {
        case .q40: dotQ40Q80
        case .q41: dotQ41Q80
        case .q80: dotQ80Q80
        case .q50: dotQ50Q80
        case .q51: dotQ51Q80
        case .q4K: dotQ4KQ8K
        case .q5K: dotQ5KQ8K
        case .q6K: dotQ6KQ8K
        case .f32: dotF32F32
        case .f16: dotF16F32
        case .bf16, .q8K: nil
        }
    }

    /// The whole-share matrix-vector kernel for weights of `type`, where the path has one.
    public func matrixVector(weights type: BlockType) -> MatrixVectorKernel? {
        switch type {
        case .q40: matrixVectorQ40Q80
        case .q41: matrixVectorQ41Q80
        case .q80: matrixVectorQ80Q80
        case .q50: matrixVectorQ50Q80
        case .q51: matrixVectorQ51Q80
        case .q4K: matrixVectorQ4KQ8K
        case .q5K: matrixVectorQ5KQ8K
        case .q6K: matrixVectorQ6KQ8K
        default: nil
        }
    }

    /// The batched (several tokens per weight pass) kernel for weights of `type`, where the path has one.
    public func matrixMatrix(weights type: BlockType) -> MatrixMatrixKernel? {
        switch type {
        case .q40: matrixMatrixQ40Q80
        case .q41: matrixMatrixQ41Q80
        case .q50: matrixMatrixQ50Q80
        case .q51: matrixMatrixQ51Q80
        case .q4K: matrixMatrixQ4KQ8K
        case .q5K: matrixMatrixQ5KQ8K
        case .q6K: matrixMatrixQ6KQ8K
        default: nil
        }
    }

    /// The row dequantizer for `type` (SIMD where the path has one, else the reference).
    public func dequantize(_ type: BlockType) -> DequantizeKernel {
        switch type {
        case .q40: dequantizeQ40
        case .q41: dequantizeQ41
        case .q80: qk_dequantize_q80_ref
        case .q50: qk_dequantize_q50_ref
        case .q51: qk_dequantize_q51_ref
        case .q4K: qk_dequantize_q4k_ref
        case .q5K: qk_dequantize_q5k_ref
        case .q6K: qk_dequantize_q6k_ref
        case .q8K: qk_dequantize_q8k_ref
        case .f16: dequantizeF16
        case .bf16: qk_dequantize_bf16_ref
        case .f32: { n, x, out in out!.update(from: x!.assumingMemoryBound(to: Float.self), count: Int(n)) }
        }
    }

    /// The row quantizer producing `type`, if QuantKernels can write it.
    public func quantize(_ type: BlockType) -> QuantizeKernel? {
        switch type {
        case .q40: qk_quantize_q40_ref
        case .q41: qk_quantize_q41_ref
        case .q80: quantizeQ80
        case .q8K: quantizeQ8K
        case .f16: quantizeF16
        case .bf16: qk_quantize_bf16_ref
        case .f32: { n, x, out in out!.assumingMemoryBound(to: Float.self).update(from: x!, count: Int(n)) }
        default: nil
        }
    }
}

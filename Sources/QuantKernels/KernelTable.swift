import CQuantKernels

/// A dot product of one weight row `x` with one activation row `y` of `n` values.
public typealias DotKernel = @convention(c) (Int32, UnsafeRawPointer?, UnsafeRawPointer?) -> Float
/// `out[r] = dot(row r of w, y)` for `rows` rows `rowBytes` apart, each of `n` values; `y` is the
/// activation row as the type's `prepare` kernel left it (as it is when the type has none).
public typealias MatrixVectorKernel = @convention(c) (Int32, UnsafeRawPointer?, Int, Int32, UnsafeRawPointer?, UnsafeMutablePointer<Float>?) -> Void
/// `out[t * outStride + r] = dot(row r of w, token t of y)` for `batch` activation rows `yRowBytes`
/// apart, each as the type's `prepare` kernel left it (as it is when the type has none).
public typealias MatrixMatrixKernel = @convention(c) (Int32, UnsafeRawPointer?, Int, Int32, UnsafeRawPointer?, Int, Int32,
                                                      UnsafeMutablePointer<Float>?, Int) -> Void
/// Converts `n` floats to a row of blocks.
public typealias QuantizeKernel = @convention(c) (Int32, UnsafePointer<Float>?, UnsafeMutableRawPointer?) -> Void
/// Converts a row of `n` values in blocks to floats.
public typealias DequantizeKernel = @convention(c) (Int32, UnsafeRawPointer?, UnsafeMutablePointer<Float>?) -> Void
/// Lays out an activation row of `n` values for one weight type's `matrixVector` kernel.
public typealias PrepareKernel = @convention(c) (Int32, UnsafeRawPointer?, UnsafeMutableRawPointer?) -> Void
/// Bytes a prepare kernel writes for `n` values (a multiple of 64).
public typealias PreparedBytesKernel = @convention(c) (Int32) -> Int

/// One block type's kernels on one path: GGML's CPU type traits. Sizes live in `BlockType`, the
/// kernels here; a weight type's activations are in `BlockType.activationType`.
public struct TypeKernels: @unchecked Sendable {  // holds only C function pointers
    /// One weight row of this type . one activation row.
    public var dot: DotKernel?
    /// The activation laid out once for `matrixVector` (nil: it reads the activation as it is).
    public var prepare: (kernel: PrepareKernel, bytes: PreparedBytesKernel)?
    /// Whole-share products (nil: one `dot` per row).
    public var matrixVector: MatrixVectorKernel?
    /// Batched products that unpack each weight block once for several tokens (nil: per token); they
    /// read token rows laid out by `prepare` too.
    public var matrixMatrix: MatrixMatrixKernel?
    /// Floats to a row of this type, if QuantKernels can write it.
    public var quantize: QuantizeKernel?
    /// A row of this type to floats.
    public var dequantize: DequantizeKernel
}

/// The one table that picks every kernel: for a `KernelPath`, each block type's kernels. Operations
/// a path has no SIMD variant of use the scalar reference.
///
/// ```swift
/// let kernels = KernelTable.current                         // the selected path
/// let sum = kernels.dot(weights: .q40)!(4096, row, activationsQ80)
/// let sumK = kernels.dot(weights: .q4K)!(4864, rowQ4K, activationsQ8K)  // BlockType.q4K.activationType
/// ```
public struct KernelTable: @unchecked Sendable {  // holds only C function pointers
    public let path: KernelPath
    private let types: [TypeKernels]  // [BlockType.allCases.count], indexed by `BlockType.ordinal`

    /// The table of `path`; the caller makes sure the path can run here (`KernelPath.available()`).
    public init(path: KernelPath) {
        self.path = path
        var table = Self.reference
        func set(_ type: BlockType, _ change: (inout TypeKernels) -> Void) { change(&table[type.ordinal]) }
        switch path {
        #if arch(x86_64)
        case .avx2:
            set(.q40) { $0.dot = qk_dot_q40_q80_avx2; $0.dequantize = qk_dequantize_q40_avx2
                        $0.prepare = (qk_prepare_q40_avx2, qk_prepared_bytes_avx2); $0.matrixVector = qk_matvec_prepared_q40_avx2
                        $0.matrixMatrix = qk_matmat_prepared_q40_avx2 }
            set(.q41) { $0.dot = qk_dot_q41_q80_avx2; $0.dequantize = qk_dequantize_q41_avx2
                        $0.prepare = (qk_prepare_q41_avx2, qk_prepared_bytes_avx2); $0.matrixVector = qk_matvec_prepared_q41_avx2
                        $0.matrixMatrix = qk_matmat_prepared_q41_avx2 }
            // No Q80 prepare (VPMADDUBSW would saturate on unsigned Q80 codes): the batched kernel reads plain token rows.
            set(.q80) { $0.dot = qk_dot_q80_q80_avx2; $0.quantize = qk_quantize_q80_avx2; $0.matrixVector = qk_matvec_q80_q80_avx2
                        $0.matrixMatrix = qk_matmat_q80_q80_avx2 }
            set(.q50) { $0.dot = qk_dot_q50_q80_avx2
                        $0.prepare = (qk_prepare_q50_avx2, qk_prepared_bytes_avx2); $0.matrixVector = qk_matvec_prepared_q50_avx2
                        $0.matrixMatrix = qk_matmat_prepared_q50_avx2 }
            set(.q51) { $0.dot = qk_dot_q51_q80_avx2
                        $0.prepare = (qk_prepare_q51_avx2, qk_prepared_bytes_avx2); $0.matrixVector = qk_matvec_prepared_q51_avx2
                        $0.matrixMatrix = qk_matmat_prepared_q51_avx2 }
            set(.q4K) { $0.dot = qk_dot_q4k_q8k_avx2; $0.matrixVector = qk_matvec_q4k_q8k_avx2; $0.matrixMatrix = qk_matmat_q4k_q8k_avx2 }
            set(.q5K) { $0.dot = qk_dot_q5k_q8k_avx2; $0.matrixVector = qk_matvec_q5k_q8k_avx2; $0.matrixMatrix = qk_matmat_q5k_q8k_avx2 }
            set(.q6K) { $0.dot = qk_dot_q6k_q8k_avx2; $0.matrixVector = qk_matvec_q6k_q8k_avx2; $0.matrixMatrix = qk_matmat_q6k_q8k_avx2 }
            set(.f32) { $0.dot = qk_dot_f32_f32_avx2 }
            set(.f16) { $0.dot = qk_dot_f16_f32_avx2; $0.quantize = qk_quantize_f16_avx2; $0.dequantize = qk_dequantize_f16_avx2 }
        case .avx512:
            // Single-row dots, 1 thread, cold 14336 x 4096 (GB/s, AVX2 / AVX-512): Q40 10.3 / 9.6 (so
            // AVX2's), Q41 5.6 / 5.6, Q80 10.7 / 10.8, F32 33.8 / 37.6, F16 31.5 / 39.4.
            set(.q40) { $0.dot = qk_dot_q40_q80_avx2; $0.dequantize = qk_dequantize_q40_avx2
                        $0.prepare = (qk_prepare_q40_avx512, qk_prepared_bytes_avx512); $0.matrixVector = qk_matvec_prepared_q40_avx512
                        $0.matrixMatrix = qk_matmat_prepared_q40_avx512 }
            set(.q41) { $0.dot = qk_dot_q41_q80_avx512; $0.dequantize = qk_dequantize_q41_avx2
                        $0.prepare = (qk_prepare_q41_avx512, qk_prepared_bytes_avx512); $0.matrixVector = qk_matvec_prepared_q41_avx512
                        $0.matrixMatrix = qk_matmat_prepared_q41_avx512 }
            // 128 blocks per 4096-value token: no AVX-512 quantizer written.
            set(.q80) { $0.dot = qk_dot_q80_q80_avx512; $0.quantize = qk_quantize_q80_avx2
                        $0.prepare = (qk_prepare_q80_avx512, qk_prepared_bytes_avx512); $0.matrixVector = qk_matvec_prepared_q80_avx512
                        $0.matrixMatrix = qk_matmat_prepared_q80_avx512 }
            set(.q50) { $0.dot = qk_dot_q50_q80_avx512
                        $0.prepare = (qk_prepare_q50_avx512, qk_prepared_bytes_avx512); $0.matrixVector = qk_matvec_prepared_q50_avx512
                        $0.matrixMatrix = qk_matmat_prepared_q50_avx512 }
            set(.q51) { $0.dot = qk_dot_q51_q80_avx512
                        $0.prepare = (qk_prepare_q51_avx512, qk_prepared_bytes_avx512); $0.matrixVector = qk_matvec_prepared_q51_avx512
                        $0.matrixMatrix = qk_matmat_prepared_q51_avx512 }
            set(.q4K) { $0.dot = qk_dot_q4k_q8k_avx512; $0.matrixVector = qk_matvec_q4k_q8k_avx512; $0.matrixMatrix = qk_matmat_q4k_q8k_avx512 }
            set(.q5K) { $0.dot = qk_dot_q5k_q8k_avx512; $0.matrixVector = qk_matvec_q5k_q8k_avx512; $0.matrixMatrix = qk_matmat_q5k_q8k_avx512 }
            set(.q6K) { $0.dot = qk_dot_q6k_q8k_avx512; $0.matrixVector = qk_matvec_q6k_q8k_avx512; $0.matrixMatrix = qk_matmat_q6k_q8k_avx512 }
            set(.f32) { $0.dot = qk_dot_f32_f32_avx512 }
            set(.f16) { $0.dot = qk_dot_f16_f32_avx512; $0.quantize = qk_quantize_f16_avx2; $0.dequantize = qk_dequantize_f16_avx2 }
        #endif
        #if arch(arm64)
        case .neon:
            // Whole-share kernels read the plain Q80 / Q8_K row (SDOT multiplies signed bytes): no prepare.
            set(.q40) { $0.dot = qk_dot_q40_q80_neon; $0.matrixVector = qk_matvec_q40_q80_neon; $0.matrixMatrix = qk_matmat_q40_q80_neon }
            set(.q41) { $0.dot = qk_dot_q41_q80_neon; $0.matrixVector = qk_matvec_q41_q80_neon; $0.matrixMatrix = qk_matmat_q41_q80_neon }
            set(.q80) { $0.dot = qk_dot_q80_q80_neon; $0.quantize = qk_quantize_q80_neon
                        $0.matrixVector = qk_matvec_q80_q80_neon; $0.matrixMatrix = qk_matmat_q80_q80_neon }
            set(.q50) { $0.dot = qk_dot_q50_q80_neon; $0.matrixVector = qk_matvec_q50_q80_neon; $0.matrixMatrix = qk_matmat_q50_q80_neon }
            set(.q51) { $0.dot = qk_dot_q51_q80_neon; $0.matrixVector = qk_matvec_q51_q80_neon; $0.matrixMatrix = qk_matmat_q51_q80_neon }
            set(.q4K) { $0.dot = qk_dot_q4k_q8k_neon; $0.matrixVector = qk_matvec_q4k_q8k_neon }
            set(.q5K) { $0.dot = qk_dot_q5k_q8k_neon; $0.matrixVector = qk_matvec_q5k_q8k_neon }
            set(.q6K) { $0.dot = qk_dot_q6k_q8k_neon; $0.matrixVector = qk_matvec_q6k_q8k_neon }
            set(.f32) { $0.dot = qk_dot_f32_f32_neon }
            set(.f16) { $0.dot = qk_dot_f16_f32_neon; $0.quantize = qk_quantize_f16_neon; $0.dequantize = qk_dequantize_f16_neon }
        #endif
        default:  // .scalar, and any path not compiled into this binary
            break
        }
        types = table
    }

    /// The scalar references: every type's dot (where activations exist for it), quantizer (where
    /// QuantKernels writes the type) and dequantizer; no whole-share or batched kernels.
    private static let reference: [TypeKernels] = BlockType.allCases.map { type in
        switch type {
        case .f32: TypeKernels(dot: qk_dot_f32_f32_ref, quantize: { n, x, out in out!.assumingMemoryBound(to: Float.self).update(from: x!, count: Int(n)) },
                               dequantize: { n, x, out in out!.update(from: x!.assumingMemoryBound(to: Float.self), count: Int(n)) })
        case .f16: TypeKernels(dot: qk_dot_f16_f32_ref, quantize: qk_quantize_f16_ref, dequantize: qk_dequantize_f16_ref)
        case .bf16: TypeKernels(quantize: qk_quantize_bf16_ref, dequantize: qk_dequantize_bf16_ref)
        case .q40: TypeKernels(dot: qk_dot_q40_q80_ref, quantize: qk_quantize_q40_ref, dequantize: qk_dequantize_q40_ref)
        case .q41: TypeKernels(dot: qk_dot_q41_q80_ref, quantize: qk_quantize_q41_ref, dequantize: qk_dequantize_q41_ref)
        case .q80: TypeKernels(dot: qk_dot_q80_q80_ref, quantize: qk_quantize_q80_ref, dequantize: qk_dequantize_q80_ref)
        case .q50: TypeKernels(dot: qk_dot_q50_q80_ref, dequantize: qk_dequantize_q50_ref)
        case .q51: TypeKernels(dot: qk_dot_q51_q80_ref, dequantize: qk_dequantize_q51_ref)
        case .q4K: TypeKernels(dot: qk_dot_q4k_q8k_ref, dequantize: qk_dequantize_q4k_ref)
        case .q5K: TypeKernels(dot: qk_dot_q5k_q8k_ref, dequantize: qk_dequantize_q5k_ref)
        case .q6K: TypeKernels(dot: qk_dot_q6k_q8k_ref, dequantize: qk_dequantize_q6k_ref)
        // Q8_K activations: the reference on every path (one per activation vector that enters a
        // K-quant matrix; it must round exactly as GGML does).
        case .q8K: TypeKernels(quantize: qk_quantize_q8k_ref, dequantize: qk_dequantize_q8k_ref)
        }
    }

    /// The table of the path selected for this process.
    public static let current = KernelTable(path: KernelPath.selected)

    /// Every kernel of `type` on this path.
    public subscript(type: BlockType) -> TypeKernels { types[type.ordinal] }

    /// The dot kernel for weights of `type` (activations in `type.activationType`), if there is one.
    public func dot(weights type: BlockType) -> DotKernel? { self[type].dot }

    /// The whole-share matrix-vector kernel for weights of `type`, where the path has one; it reads
    /// the activation as `prepare(weights:)` lays it out.
    public func matrixVector(weights type: BlockType) -> MatrixVectorKernel? { self[type].matrixVector }

    /// How `matrixVector(weights:)` wants its activation laid out (nil: as it is).
    public func prepare(weights type: BlockType) -> (kernel: PrepareKernel, bytes: PreparedBytesKernel)? { self[type].prepare }

    /// The batched (several tokens per weight pass) kernel for weights of `type`, where the path has one.
    public func matrixMatrix(weights type: BlockType) -> MatrixMatrixKernel? { self[type].matrixMatrix }

    /// The row dequantizer for `type` (SIMD where the path has one, else the reference).
    public func dequantize(_ type: BlockType) -> DequantizeKernel { self[type].dequantize }

    /// The row quantizer producing `type`, if QuantKernels can write it.
    public func quantize(_ type: BlockType) -> QuantizeKernel? { self[type].quantize }
}

/// `out[b] = W x[b]` for a batch of F32 activation rows, by whichever method measured faster for
/// the batch size on this kernel path: a batched integer kernel that unpacks each weight block once
/// for several tokens (AVX2 and AVX-512: Q40, Q41, Q5_0, Q5_1, Q8_0 and the K-quants), one
/// matrix-vector product per token (activations quantized to Q80, or Q8_K for K-quant weights), or
/// OpenBLAS over dequantized tiles (`BatchedProduct`).
///
/// ```swift
/// // x: [batch][columns] F32 (e.g. a prompt's normalized hidden states), out: [batch][rows]
/// MatrixProduct.multiply(wq, x, batch: promptLength, into: q, pool: pool)
/// ```
public enum MatrixProduct {
    /// Which method a batch of `batch` rows through weights of `type` takes.
    public static func usesBLAS(weights type: BlockType, batch: Int, kernels: KernelTable = .current) -> Bool {
        if kernels.dot(weights: type) == nil { return true }  // only dequantize-and-sgemm handles it
        guard let minimum = BatchedProduct.minimumBatch(weights: type, kernels: kernels) else { return false }
        return batch >= minimum
    }

    /// Computes `out[b * rows + r]` for every token `b < batch` and row `r` of `weights`; `x` holds
    /// `batch` rows of `weights.columns` floats.
    public static func multiply(_ weights: WeightMatrix, _ x: UnsafePointer<Float>, batch: Int,
                                into out: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil,
                                kernels: KernelTable = .current) {
        if usesBLAS(weights: weights.type, batch: batch, kernels: kernels) {
            BatchedProduct.multiply(weights, x, batch: batch, into: out, pool: pool, kernels: kernels)
            return
        }
        let columns = weights.columns, rows = weights.rows
        if batch > 1, let matrixMatrix = kernels.matrixMatrix(weights: weights.type),
           let activationType = weights.type.activationType, let quantize = kernels.quantize(activationType) {
            // The batch quantized (and laid out for the kernels) once, then read by every task.
            let rowBytes = weights.rowBytes, activationBytes = activationType.rowBytes(columns)
            let preparedBytes = MatrixVector.preparedBytes(weights: weights.type, columns: columns, kernels: kernels)
            let activations = UnsafeMutableRawPointer.allocate(byteCount: batch * activationBytes, alignment: 64)  // [batch][activationBytes]
            let prepared = UnsafeMutableRawPointer.allocate(byteCount: max(1, batch * preparedBytes), alignment: 64)  // [batch][preparedBytes]
            defer { activations.deallocate(); prepared.deallocate() }
            for b in 0..<batch {
                quantize(Int32(columns), x + b * columns, activations + b * activationBytes)
                MatrixVector.prepare(weights: weights.type, columns: columns, activations + b * activationBytes,
                                     into: prepared + b * preparedBytes, kernels: kernels)
            }
            let (tokens, tokenBytes) = preparedBytes > 0 ? (UnsafeRawPointer(prepared), preparedBytes) : (UnsafeRawPointer(activations), activationBytes)
            let tasks = pool?.taskCount(for: rows, minimumPerTask: 16) ?? 1
            let body = { (task: Int) in
                let share = ThreadPool.share(of: 0..<rows, worker: task, workers: tasks)
                guard !share.isEmpty else { return }
                matrixMatrix(Int32(columns), weights.data + share.lowerBound * rowBytes, rowBytes, Int32(share.count),
                             tokens, tokenBytes, Int32(batch), out + share.lowerBound, rows)
            }
            if let pool { pool.run(tasks: tasks, body) } else { body(0) }
            return
        }
        if weights.type.activationType == .f32 {
            for b in 0..<batch {
                MatrixVector.multiply(weights, x + b * columns, into: out + b * rows, pool: pool, kernels: kernels)
            }
            return
        }
        // Q80 (32-value block types) or Q8_K (K-quants), one token at a time.
        let activationType = weights.type.activationType!, quantize = kernels.quantize(activationType)!
        let activation = UnsafeMutableRawPointer.allocate(byteCount: activationType.rowBytes(columns), alignment: 64)  // [columns]
        let preparedBytes = MatrixVector.preparedBytes(weights: weights.type, columns: columns, kernels: kernels)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(preparedBytes, 1), alignment: 64)  // [preparedBytes]
        defer { activation.deallocate(); scratch.deallocate() }
        for b in 0..<batch {
            quantize(Int32(columns), x + b * columns, activation)
            let prepared = MatrixVector.prepare(weights: weights.type, columns: columns, activation, into: scratch, kernels: kernels)
            MatrixVector.multiply(weights, prepared: prepared, into: out + b * rows, pool: pool, kernels: kernels)
        }
    }
}

import Testing
@testable import QuantKernels

@Suite("Batched products through OpenBLAS")
struct BatchedProductTests {
    @Test("sgemm over dequantized tiles equals per-token float dot products",
          arguments: [BlockType.q40, .q41, .q80, .f16, .f32], [1, 3])
    func batched(type: BlockType, threads: Int) {
        let rows = 2 * BatchedProduct.tileRows + 5, columns = 32 * 5, batch = 7  // a partial tile at the end
        let weights = quantized(cosData(rows * columns, offset: 0.7), type)
        let floatWeights = dequantized(weights, type, count: rows * columns)
        let x = (0..<batch).flatMap { cosData(columns, offset: Float($0)) }  // [batch][columns]
        var out = [Float](repeating: .nan, count: batch * rows)               // [batch][rows]
        let pool = ThreadPool(threadCount: threads)
        weights.withUnsafeBytes { w in
            BatchedProduct.multiply(WeightMatrix(type: type, rows: rows, columns: columns, data: w.baseAddress!),
                                    x, batch: batch, into: &out, pool: pool)
        }
        for b in 0..<batch {
            for r in 0..<rows {
                var expected = 0.0
                for c in 0..<columns { expected += Double(floatWeights[r * columns + c]) * Double(x[b * columns + c]) }
                #expect(abs(Double(out[b * rows + r]) - expected) <= 1e-4 * max(1, abs(expected)), "token \(b) row \(r)")
            }
        }
    }
}

@Suite("Choosing between per-token products and OpenBLAS")
struct MatrixProductTests {
    @Test("the scalar path sends batches of 4 and more to OpenBLAS, and so do F32 weights")
    func thresholds() {
        #expect(!MatrixProduct.usesBLAS(weights: .q40, batch: 3, kernels: scalarKernels))
        #expect(MatrixProduct.usesBLAS(weights: .q40, batch: 4, kernels: scalarKernels))
        #expect(!MatrixProduct.usesBLAS(weights: .f32, batch: 3))
        #expect(MatrixProduct.usesBLAS(weights: .f32, batch: 4))
        #expect(MatrixProduct.usesBLAS(weights: .bf16, batch: 1))  // no dot kernel: dequantize + sgemm
    }

    @Test("both methods give the same products", arguments: KernelPath.available(), [BlockType.q40, .q41, .f32])
    func sameResults(path: KernelPath, type: BlockType) {
        let kernels = KernelTable(path: path)
        let rows = 19, columns = 32 * 3
        let weights = quantized(cosData(rows * columns, offset: 0.1), type)
        for batch in [1, 5, 40] {
            let x = (0..<batch).flatMap { cosData(columns, offset: Float($0) * 0.37) }  // [batch][columns]
            var chosen = [Float](repeating: .nan, count: batch * rows), viaBLAS = chosen
            weights.withUnsafeBytes { w in
                let matrix = WeightMatrix(type: type, rows: rows, columns: columns, data: w.baseAddress!)
                MatrixProduct.multiply(matrix, x, batch: batch, into: &chosen, kernels: kernels)
                BatchedProduct.multiply(matrix, x, batch: batch, into: &viaBLAS, kernels: kernels)
            }
            // Per-token products quantize the activations to Q80: allow that error (relative to |W||x|).
            let tolerance: Float = type == .f32 ? 1e-5 : 0.02
            for i in 0..<(batch * rows) {
                #expect(abs(chosen[i] - viaBLAS[i]) <= tolerance * Float(columns), "\(type) batch \(batch) value \(i) on \(path)")
            }
        }
    }
}

@Suite("Batches through Q5_0, Q5_1 and K-quant weights")
struct GGMLTypeBatchTests {
    /// Whatever `MatrixProduct` picks for the batch (per-token products on Q80 / Q8_K activations, or
    /// OpenBLAS over dequantized tiles) equals, token by token, one `MatrixVector` product on that
    /// token's own activation, within the activation rounding (relative to sum |w| |x| of the row).
    @Test("batched products equal per-token products", arguments: KernelPath.available(), readOnlyWeightTypes)
    func batchedEqualsPerToken(path: KernelPath, type: BlockType) throws {
        let kernels = KernelTable(path: path), activation = try #require(type.activationType)
        let rows = 21, columns = 2 * type.valuesPerBlock * (type.valuesPerBlock == 256 ? 1 : 3)
        let weights = randomBlocks(type, count: rows * columns / type.valuesPerBlock, seed: 11)
        let floatWeights = dequantized(weights, type, count: rows * columns)
        for batch in [1, 5, 70] {  // 70: past every path's OpenBLAS threshold
            let x = (0..<batch).flatMap { cosData(columns, offset: Float($0) * 0.37) }  // [batch][columns]
            var batched = [Float](repeating: .nan, count: batch * rows)
            weights.withUnsafeBytes { w in
                let matrix = WeightMatrix(type: type, rows: rows, columns: columns, data: w.baseAddress!)
                MatrixProduct.multiply(matrix, x, batch: batch, into: &batched, pool: ThreadPool(threadCount: 2), kernels: kernels)
                for b in 0..<batch {
                    let xb = Array(x[(b * columns)..<((b + 1) * columns)])
                    let q = MatrixVector.quantizeActivations(xb, to: activation, kernels: kernels)
                    var single = [Float](repeating: .nan, count: rows)
                    q.withUnsafeBytes { MatrixVector.multiply(matrix, $0.baseAddress!, into: &single, kernels: kernels) }
                    for r in 0..<rows {
                        let scale = (0..<columns).reduce(0.0) { $0 + abs(Double(floatWeights[r * columns + $1]) * Double(xb[$1])) }
                        #expect(abs(Double(batched[b * rows + r] - single[r])) <= 0.01 * scale,
                                "\(type) batch \(batch) token \(b) row \(r) on \(path): \(batched[b * rows + r]) vs \(single[r])")
                    }
                }
            }
        }
    }
}

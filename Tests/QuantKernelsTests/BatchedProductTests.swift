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

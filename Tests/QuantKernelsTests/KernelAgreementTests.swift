import Foundation
import Testing
@testable import QuantKernels

/// Every SIMD path this machine can run, forced, against the scalar reference on ggml's
/// `0.1 + 2 cos(i + offset)` data over odd numbers of blocks.
@Suite("SIMD kernels agree with the scalar reference")
struct KernelAgreementTests {
    /// Dot products may differ only by float summation order: relative to sum |x_i y_i|.
    static let dotTolerance = 1e-5

    @Test("SIMD paths exist on x86-64 with AVX2 (this suite is not vacuous)")
    func pathsPresent() {
        #if arch(x86_64)
        if CPUFeatures.detected.contains([.avx2, .fma, .f16c]) { #expect(simdPaths.contains(.avx2)) }
        #endif
        #if arch(arm64)
        #expect(simdPaths.contains(.neon))
        #endif
    }

    @Test("quantized dot products", arguments: simdPaths, [BlockType.q40, .q41, .q80])
    func quantizedDots(path: KernelPath, weights: BlockType) throws {
        let simd = KernelTable(path: path)
        for blocks in oddBlockCounts {
            let n = blocks * 32
            let w = quantized(cosData(n, offset: 0.5), weights)
            let x = quantized(cosData(n, offset: 1.7), .q80)
            let reference = scalarKernels.dot(weights: weights)!(Int32(n), w, x)
            let fast = simd.dot(weights: weights)!(Int32(n), w, x)
            let scale = zip(dequantized(w, weights, count: n), dequantized(x, .q80, count: n))
                .reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
            #expect(abs(Double(fast - reference)) <= Self.dotTolerance * scale, "\(weights) x Q80, \(blocks) blocks on \(path)")
        }
    }

    @Test("whole-share matrix-vector kernels equal one reference dot per row", arguments: simdPaths)
    func matrixVectorKernels(path: KernelPath) throws {
        let simd = KernelTable(path: path)
        for type in BlockType.allCases {
            guard let kernel = simd.matrixVector(weights: type), let activation = type.activationType else { continue }
            for blocks in type.valuesPerBlock == 256 ? [1, 3, 7, 19] : oddBlockCounts {
                let n = blocks * type.valuesPerBlock, rows = 5
                let w = weightRows(type, rows: rows, columns: n, seed: UInt64(blocks))
                let x = quantized(cosData(n, offset: 2.9), activation)
                var out = [Float](repeating: .nan, count: rows)
                let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(1, MatrixVector.preparedBytes(weights: type, columns: n, kernels: simd)),
                                                               alignment: 64)
                defer { scratch.deallocate() }
                x.withUnsafeBytes { xb in
                    let prepared = MatrixVector.prepare(weights: type, columns: n, xb.baseAddress!, into: scratch, kernels: simd)
                    kernel(Int32(n), w, type.rowBytes(n), Int32(rows), prepared, &out)
                }
                for r in 0..<rows {
                    let row = Array(w[(r * type.rowBytes(n))..<((r + 1) * type.rowBytes(n))])
                    let reference = scalarKernels.dot(weights: type)!(Int32(n), row, x)
                    let scale = dotScale(row, type, x, activation, count: n)
                    #expect(abs(Double(out[r] - reference)) <= Self.dotTolerance * scale, "\(type), \(blocks) blocks, row \(r) on \(path)")
                }
            }
        }
    }

    @Test("x86-64 SIMD paths have whole-share and batched kernels for the 4-, 5- and 8-bit and K-quant weights (the tests either side are not vacuous)",
          arguments: simdPaths)
    func productKernelsPresent(path: KernelPath) {
        guard path == .avx2 || path == .avx512 else { return }
        let table = KernelTable(path: path)
        for type in [BlockType.q40, .q41, .q50, .q51, .q80, .q4K, .q5K, .q6K] {
            #expect(table.matrixVector(weights: type) != nil, "whole-share \(type) on \(path)")
            #expect(table.matrixMatrix(weights: type) != nil, "batched \(type) on \(path)")
        }
    }

    @Test("batched kernels equal one reference dot per token and row", arguments: simdPaths)
    func matrixMatrixKernels(path: KernelPath) throws {
        let simd = KernelTable(path: path)
        for type in BlockType.allCases {
            guard let kernel = simd.matrixMatrix(weights: type), let activation = type.activationType else { continue }
            let reference = try #require(scalarKernels.dot(weights: type))
            // 67 blocks: several chunks of columns per pass over the rows (32 blocks each) and an odd last block.
            for blocks in type.valuesPerBlock == 256 ? [1, 3, 7] : [1, 3, 4, 17, 67] {
                let n = blocks * type.valuesPerBlock, rows = 6, rowBytes = type.rowBytes(n)
                // Token rows further apart than their size, so a kernel that ignores the stride fails.
                let tokenBytes = activation.rowBytes(n), activationStride = tokenBytes + 64
                let w = weightRows(type, rows: rows, columns: n, seed: UInt64(blocks))
                // Rows 1..<4 of the matrix only, into output rows wider than that: the rest must stay untouched.
                let first = 1, count = 3, outStride = rows + 1
                for batch in 1...9 {  // full groups of 4 tokens and partial ones
                    var x = [UInt8](repeating: 0xA5, count: batch * activationStride)  // [batch][activationStride]
                    for t in 0..<batch {
                        let row = quantized(cosData(n, offset: 2.9 + Float(t)), activation)
                        x.replaceSubrange((t * activationStride)..<(t * activationStride + tokenBytes), with: row)
                    }
                    // Where the path lays token rows out for its kernels, the kernel reads them so (rows 64 bytes apart too).
                    let preparation = simd.prepare(weights: type)
                    let preparedStride = preparation.map { $0.bytes(Int32(n)) + 64 } ?? 0
                    let prepared = UnsafeMutableRawPointer.allocate(byteCount: max(1, batch * preparedStride), alignment: 64)  // [batch][preparedStride]
                    defer { prepared.deallocate() }
                    var out = [Float](repeating: .nan, count: batch * outStride)  // [batch][outStride]
                    w.withUnsafeBytes { wb in
                        x.withUnsafeBytes { xb in
                            if let preparation {
                                for t in 0..<batch { preparation.kernel(Int32(n), xb.baseAddress! + t * activationStride, prepared + t * preparedStride) }
                            }
                            kernel(Int32(n), wb.baseAddress! + first * rowBytes, rowBytes, Int32(count),
                                   preparation == nil ? xb.baseAddress! : UnsafeRawPointer(prepared),
                                   preparation == nil ? activationStride : preparedStride, Int32(batch), &out, outStride)
                        }
                    }
                    for t in 0..<batch {
                        let xt = Array(x[(t * activationStride)..<(t * activationStride + tokenBytes)])
                        for r in 0..<outStride {
                            let value = out[t * outStride + r]
                            guard r < count else {
                                #expect(value.isNaN, "\(type) wrote output \(r) past its \(count) rows, token \(t) of \(batch) on \(path)")
                                continue
                            }
                            let row = Array(w[((first + r) * rowBytes)..<((first + r + 1) * rowBytes)])
                            let expected = reference(Int32(n), row, xt)
                            #expect(abs(Double(value - expected)) <= Self.dotTolerance * dotScale(row, type, xt, activation, count: n),
                                    "\(type), \(blocks) blocks, token \(t) of \(batch), row \(first + r) on \(path): \(value) vs \(expected)")
                        }
                    }
                }
            }
        }
    }

    @Test("float dot products over odd lengths", arguments: simdPaths, [BlockType.f32, .f16])
    func floatDots(path: KernelPath, weights: BlockType) {
        let simd = KernelTable(path: path)
        for n in [1, 3, 7, 17, 31, 33, 100, 4097] {
            let w = quantized(cosData(n, offset: 0.3), weights)  // f32 / f16 bytes
            let x = cosData(n, offset: 2.1)
            let (reference, fast) = x.withUnsafeBytes { xb in
                (scalarKernels.dot(weights: weights)!(Int32(n), w, xb.baseAddress),
                 simd.dot(weights: weights)!(Int32(n), w, xb.baseAddress))
            }
            let scale = zip(dequantized(w, weights, count: n), x).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
            #expect(abs(Double(fast - reference)) <= Self.dotTolerance * scale, "\(weights) x F32, n \(n) on \(path)")
        }
    }

    @Test("activation quantization to Q80 is byte-identical", arguments: simdPaths)
    func quantizeQ80(path: KernelPath) {
        for blocks in oddBlockCounts {
            let x = cosData(blocks * 32, offset: Float(blocks))
            #expect(quantized(x, .q80, kernels: KernelTable(path: path)) == quantized(x, .q80), "\(blocks) blocks on \(path)")
        }
    }

    @Test("Q40 and Q41 dequantization is bit-identical", arguments: simdPaths, [BlockType.q40, .q41])
    func dequantize(path: KernelPath, type: BlockType) {
        for blocks in oddBlockCounts {
            let q = quantized(cosData(blocks * 32, offset: 0.9), type)
            let fast = dequantized(q, type, count: blocks * 32, kernels: KernelTable(path: path))
            #expect(bitPattern(fast) == bitPattern(dequantized(q, type, count: blocks * 32)), "\(type), \(blocks) blocks on \(path)")
        }
    }
}

@Suite("F16 conversions agree with the scalar reference bit for bit")
struct F16ConversionAgreementTests {
    /// Rounding to nearest even, ties, subnormals, overflow to infinity, infinities and NaN, over
    /// lengths that leave a scalar tail.
    @Test("every SIMD path: the same bits both ways", arguments: simdPaths)
    func sameBits(path: KernelPath) {
        let special: [Float] = [0, -0, 1, -1, 65504, 65520, 1e6, -1e6, 6.1e-5, 5.96e-8, 2.98e-8, 1e-9, .infinity, -.infinity,
                                1.0009765625, 1.00048828125, 1.00146484375, 650.25, 650.75]
        let values = special + cosData(61, offset: 0.3).map { $0 * 400 }
        let reference = KernelTable(path: .scalar), simd = KernelTable(path: path)
        for count in [values.count, 8, 7, 1] {
            let x = Array(values.prefix(count))
            var a = [UInt16](repeating: 0, count: count), b = a
            x.withUnsafeBufferPointer { p in
                a.withUnsafeMutableBytes { reference[.f16].quantize!(Int32(count), p.baseAddress, $0.baseAddress) }
                b.withUnsafeMutableBytes { simd[.f16].quantize!(Int32(count), p.baseAddress, $0.baseAddress) }
            }
            #expect(a == b)
            var fa = [Float](repeating: 0, count: count), fb = fa
            a.withUnsafeBytes { h in
                fa.withUnsafeMutableBufferPointer { reference[.f16].dequantize(Int32(count), h.baseAddress, $0.baseAddress) }
                fb.withUnsafeMutableBufferPointer { simd[.f16].dequantize(Int32(count), h.baseAddress, $0.baseAddress) }
            }
            #expect(fa.map(\.bitPattern) == fb.map(\.bitPattern))
        }
        // NaN stays NaN.
        var nan = [UInt16](repeating: 0, count: 8)
        let nans = [Float](repeating: .nan, count: 8)
        nans.withUnsafeBufferPointer { p in nan.withUnsafeMutableBytes { simd[.f16].quantize!(8, p.baseAddress, $0.baseAddress) } }
        #expect(nan.allSatisfy { $0 & 0x7C00 == 0x7C00 && $0 & 0x03FF != 0 })
    }
}

@Suite("Attention kernels over cached rows agree with the scalar reference")
struct AttentionKernelAgreementTests {
    /// Head sizes with and without SIMD tails; positions from one to past a few hundred.
    static let headSizes = [1, 7, 8, 16, 33, 64, 80, 128]
    static let counts = [1, 2, 9, 130]

    /// `count` rows of `n` values, `stride` values apart, as `type` (F16 or F32) bytes.
    static func rows(_ type: BlockType, n: Int, count: Int, stride: Int, offset: Float) -> [UInt8] {
        quantized(cosData(stride * count, offset: offset).map { $0 * 3 }, type)
    }

    @Test("scores q . row_t and sums sum_t a_t row_t, F16 and F32 rows, every path",
          arguments: [KernelPath.scalar] + simdPaths, [BlockType.f16, .f32])
    func agree(path: KernelPath, type: BlockType) throws {
        let simd = KernelTable(path: path)
        let scoresRef = try #require(scalarKernels.attentionScores(type)), valuesRef = try #require(scalarKernels.attentionValues(type))
        let scores = try #require(simd.attentionScores(type)), values = try #require(simd.attentionValues(type))
        for n in Self.headSizes {
            for count in Self.counts {
                let stride = n + 5  // rows of a cache hold other KV heads between one head's slices
                let rowBytes = stride * type.rowBytes(1)
                let cache = Self.rows(type, n: n, count: count, stride: stride, offset: 0.3)
                let decoded = dequantized(cache, type, count: stride * count)
                let q = cosData(n, offset: 1.9)
                let a = cosData(count, offset: 0.7).map { abs($0) / Float(count) }  // softmax-like: positive, summing near 1
                var expected = [Float](repeating: .nan, count: max(count, n)), got = expected
                cache.withUnsafeBytes { c in
                    scoresRef(Int32(n), q, c.baseAddress!, rowBytes, Int32(count), 0.125, &expected)
                    scores(Int32(n), q, c.baseAddress!, rowBytes, Int32(count), 0.125, &got)
                }
                for t in 0..<count {
                    let magnitude = (0..<n).reduce(0.0) { $0 + abs(Double(q[$1]) * Double(decoded[t * stride + $1])) } * 0.125
                    #expect(abs(Double(got[t] - expected[t])) <= 1e-5 * magnitude, "score \(t), n \(n), \(count) rows, \(type) on \(path)")
                }
                // The reference itself: a double-precision sum over the decoded rows.
                let exact = (0..<n).reduce(0.0) { $0 + Double(q[$1]) * Double(decoded[$1]) } * 0.125
                #expect(abs(Double(expected[0]) - exact) <= 1e-5 * max(1, abs(exact)))
                cache.withUnsafeBytes { c in
                    valuesRef(Int32(n), a, c.baseAddress!, rowBytes, Int32(count), &expected)
                    values(Int32(n), a, c.baseAddress!, rowBytes, Int32(count), &got)
                }
                for i in 0..<n {
                    let magnitude = (0..<count).reduce(0.0) { $0 + abs(Double(a[$1]) * Double(decoded[$1 * stride + i])) }
                    let exact = (0..<count).reduce(0.0) { $0 + Double(a[$1]) * Double(decoded[$1 * stride + i]) }
                    #expect(abs(Double(got[i] - expected[i])) <= 1e-5 * magnitude, "value \(i), n \(n), \(count) rows, \(type) on \(path)")
                    #expect(abs(Double(expected[i]) - exact) <= 1e-5 * max(1, magnitude))
                }
            }
        }
    }

    /// One KV head's attention for `heads` query heads in double precision: per head the largest
    /// score, the sum of e^(s - max), and the undivided sums of the weighted rows, with the sums
    /// of magnitudes their rounding scales with.
    static func exactGroup(n: Int, heads: Int, q: [Float], keys: [Float], values: [Float], stride: Int, count: Int, scale: Double)
        -> [(maximum: Double, dotMagnitude: Double, sum: Double, out: [Double], magnitude: [Double])] {
        (0..<heads).map { h in
            let s = (0..<count).map { t in (0..<n).reduce(0.0) { $0 + Double(q[h * n + $1]) * Double(keys[t * stride + $1]) } * scale }
            let dotMagnitude = (0..<count).map { t in (0..<n).reduce(0.0) { $0 + abs(Double(q[h * n + $1]) * Double(keys[t * stride + $1])) } * scale }.max()!
            let top = s.max()!, w = s.map { Foundation.exp($0 - top) }
            let out = (0..<n).map { i in (0..<count).reduce(0.0) { $0 + w[$1] * Double(values[$1 * stride + i]) } }
            let magnitude = (0..<n).map { i in (0..<count).reduce(0.0) { $0 + w[$1] * abs(Double(values[$1 * stride + i])) } }
            return (top, dotMagnitude, w.reduce(0, +), out, magnitude)
        }
    }

    @Test("grouped-query attention: 1-7 heads over a KV head's rows, against double precision, every path",
          arguments: [KernelPath.scalar] + simdPaths, [BlockType.f16, .f32])
    func grouped(path: KernelPath, type: BlockType) throws {
        let kernel = try #require(KernelTable(path: path).attentionGroup(type))
        for n in Self.headSizes {
            for count in Self.counts {
                for heads in [1, 3, 4, 7] {
                    let stride = 2 * n + 5  // two KV heads per row, padded; the kernel reads the second
                    let rowBytes = stride * type.rowBytes(1), headBytes = n * type.rowBytes(1)
                    let keyBytes = Self.rows(type, n: n, count: count, stride: stride, offset: 0.3)
                    let valueBytes = Self.rows(type, n: n, count: count, stride: stride, offset: 1.1)
                    let keys = Array(dequantized(keyBytes, type, count: stride * count).dropFirst(n))
                    let values = Array(dequantized(valueBytes, type, count: stride * count).dropFirst(n))
                    let q = cosData(heads * n, offset: 1.9).map { $0 * 0.3 }
                    let scoreStride = count + 3
                    var scores = [Float](repeating: .nan, count: heads * scoreStride), out = [Float](repeating: .nan, count: heads * n)
                    var stats = [Float](repeating: .nan, count: 2 * heads)
                    keyBytes.withUnsafeBytes { k in
                        valueBytes.withUnsafeBytes { v in
                            kernel(Int32(n), Int32(heads), q, k.baseAddress! + headBytes, v.baseAddress! + headBytes, rowBytes, Int32(count), 0.125,
                                   &scores, scoreStride, &out, &stats)
                        }
                    }
                    let exact = Self.exactGroup(n: n, heads: heads, q: q, keys: keys, values: values, stride: stride, count: count, scale: 0.125)
                    for (h, e) in exact.enumerated() {
                        let label = "head \(h) of \(heads), n \(n), \(count) rows, \(type) on \(path)"
                        #expect(abs(Double(stats[2 * h]) - e.maximum) <= 1e-5 * max(1, e.dotMagnitude), "maximum, \(label)")
                        #expect(abs(Double(stats[2 * h + 1]) - e.sum) <= 1e-4 * e.sum, "sum of weights, \(label)")
                        for i in 0..<n {
                            #expect(abs(Double(out[h * n + i]) - e.out[i]) <= 1e-4 * max(1e-30, e.magnitude[i]), "output \(i), \(label)")
                        }
                    }
                }
            }
        }
    }

    @Test("runs of positions merge into the attention over all of them", arguments: [KernelPath.scalar] + simdPaths)
    func mergedRuns(path: KernelPath) throws {
        let kernel = try #require(KernelTable(path: path).attentionGroup(.f16))
        let n = 64, heads = 3, count = 150, stride = n
        let keyBytes = Self.rows(.f16, n: n, count: count, stride: stride, offset: 0.3)
        let valueBytes = Self.rows(.f16, n: n, count: count, stride: stride, offset: 1.1)
        let q = cosData(heads * n, offset: 1.9).map { $0 * 0.3 }
        var whole = [Float](repeating: 0, count: heads * n)
        for runs in 1...4 {
            var scores = [Float](repeating: 0, count: heads * count), parts = [Float](repeating: .nan, count: runs * heads * n)
            var stats = [Float](repeating: .nan, count: runs * heads * 2), merged = [Float](repeating: .nan, count: heads * n)
            keyBytes.withUnsafeBytes { k in
                valueBytes.withUnsafeBytes { v in
                    for run in 0..<runs {
                        let positions = ThreadPool.share(of: 0..<count, worker: run, workers: runs), offset = positions.lowerBound * 2 * n
                        parts.withUnsafeMutableBufferPointer { p in
                            stats.withUnsafeMutableBufferPointer { s in
                                scores.withUnsafeMutableBufferPointer { w in
                                    kernel(Int32(n), Int32(heads), q, k.baseAddress! + offset, v.baseAddress! + offset, 2 * n, Int32(positions.count), 0.125,
                                           w.baseAddress! + positions.lowerBound, count, p.baseAddress! + run * heads * n, s.baseAddress! + run * heads * 2)
                                }
                            }
                        }
                    }
                }
            }
            KernelTable.mergeAttentionRuns(n: n, heads: heads, runs: runs, parts: parts, stats: stats, into: &merged)
            if runs == 1 { whole = merged }
            for i in 0..<(heads * n) {
                #expect(abs(merged[i] - whole[i]) <= 1e-5 * max(1, abs(whole[i])), "\(runs) runs, output \(i) on \(path)")
            }
            // The merged result is the softmax-weighted mean: a convex combination of the value rows.
            let values = dequantized(valueBytes, .f16, count: n * count)
            for i in 0..<n {
                let column = (0..<count).map { values[$0 * n + i] }
                #expect(merged[i] >= column.min()! - 1e-4 && merged[i] <= column.max()! + 1e-4)
            }
        }
    }

    @Test("other cache types have no attention kernels")
    func onlyF16AndF32() {
        for type in BlockType.allCases where type != .f16 && type != .f32 {
            #expect(scalarKernels.attentionScores(type) == nil && scalarKernels.attentionValues(type) == nil, "\(type)")
            #expect(scalarKernels.attentionGroup(type) == nil, "\(type)")
        }
    }
}

@Suite("Prefill's causal attention by matrix products")
struct CausalAttentionTests {
    @Test("each query row attends over exactly the positions up to its own, against double precision",
          arguments: [(n: 64, first: 0, positions: 1, heads: 1), (n: 64, first: 0, positions: 19, heads: 3),
                      (n: 64, first: 37, positions: 16, heads: 1), (n: 7, first: 5, positions: 9, heads: 2),
                      (n: 128, first: 130, positions: 3, heads: 4)])
    func againstDoublePrecision(n: Int, first: Int, positions: Int, heads: Int) {
        let seen = first + positions, rows = positions * heads, stride = n + 3  // rows padded
        let keys = cosData(seen * n, offset: 0.3).map { $0 * 3 }, values = cosData(seen * n, offset: 1.1).map { $0 * 3 }
        let queries = cosData(rows * stride, offset: 1.9).map { $0 * 0.3 }
        var out = [Float](repeating: .nan, count: rows * stride)
        // Two calls for two parts of the positions, as the engine's tasks split them.
        for part in [0..<(positions / 2), (positions / 2)..<positions] {
            queries.withUnsafeBufferPointer { q in
                out.withUnsafeMutableBufferPointer { o in
                    CausalAttention.attend(headDim: n, queries: q.baseAddress! + part.lowerBound * heads * stride, queryStride: stride,
                                           count: part.count * heads, headsPerPosition: heads, start: first + part.lowerBound,
                                           keys: keys, values: values, out: o.baseAddress! + part.lowerBound * heads * stride,
                                           outStride: stride, kernels: .current)
                }
            }
        }
        let scale = 1 / Double(n).squareRoot()
        for r in 0..<rows {
            let visible = first + r / heads + 1, q = (0..<n).map { Double(queries[r * stride + $0]) }
            let s = (0..<visible).map { t in (0..<n).reduce(0.0) { $0 + q[$1] * Double(keys[t * n + $1]) } * scale }
            let top = s.max()!, w = s.map { Foundation.exp($0 - top) }, total = w.reduce(0, +)
            for i in 0..<n {
                let exact = (0..<visible).reduce(0.0) { $0 + w[$1] * Double(values[$1 * n + i]) } / total
                let magnitude = (0..<visible).reduce(0.0) { $0 + w[$1] * abs(Double(values[$1 * n + i])) } / total
                #expect(abs(Double(out[r * stride + i]) - exact) <= 1e-4 * max(1e-6, magnitude),
                        "row \(r) (position \(first + r / heads)), output \(i), n \(n)")
            }
            #expect(out[r * stride + n].isNaN, "the padding after row \(r) is left alone")
        }
    }
}

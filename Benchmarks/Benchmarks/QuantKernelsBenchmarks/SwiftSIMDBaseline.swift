import QuantKernels

/// The Q40 x Q80 dot product written with Swift SIMD types, kept as the measurement that put the
/// innermost loops in C: without a named target CPU Swift compiles it for baseline x86-64 (SSE2),
/// and Swift has no per-function target attribute to reach AVX2 / AVX-512 in a portable binary.
enum SwiftSIMDBaseline {
    static func dotQ40Q80(columns: Int, _ x: UnsafeRawPointer, _ y: UnsafeRawPointer) -> Float {
        var sum: Float = 0
        for b in 0..<(columns / 32) {
            let wx = x + b * 18, ay = y + b * 34
            let dx = Float(Float16(bitPattern: wx.loadUnaligned(as: UInt16.self)))
            let dy = Float(Float16(bitPattern: ay.loadUnaligned(as: UInt16.self)))
            let q = wx.loadUnaligned(fromByteOffset: 2, as: SIMD16<UInt8>.self)
            let lo = SIMD16<Int16>(truncatingIfNeeded: q & 0x0F) &- 8
            let hi = SIMD16<Int16>(truncatingIfNeeded: q &>> 4) &- 8
            let y0 = SIMD16<Int16>(truncatingIfNeeded: ay.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self))
            let y1 = SIMD16<Int16>(truncatingIfNeeded: ay.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self))
            let products = SIMD16<Int32>(truncatingIfNeeded: lo &* y0) &+ SIMD16<Int32>(truncatingIfNeeded: hi &* y1)
            sum += Float(products.wrappedSum()) * dx * dy
        }
        return sum
    }

    static func matrixVector(_ weights: WeightMatrix, _ x: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        pool.run { worker, workers in
            for r in ThreadPool.share(of: 0..<weights.rows, worker: worker, workers: workers) {
                out[r] = dotQ40Q80(columns: weights.columns, weights.row(r), x)
            }
        }
    }
}

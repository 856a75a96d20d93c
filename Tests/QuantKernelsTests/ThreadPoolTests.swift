import Testing
@testable import QuantKernels

@Suite("Thread pool and matrix-vector products")
struct ThreadPoolTests {
    @Test("shares partition a range into contiguous pieces differing by at most one", arguments: [1, 2, 3, 7])
    func shares(workers: Int) {
        for range in [0..<0, 0..<1, 5..<6, 3..<100, 0..<4096] {
            let pieces = (0..<workers).map { ThreadPool.share(of: range, worker: $0, workers: workers) }
            #expect(pieces.first?.lowerBound == range.lowerBound && pieces.last?.upperBound == range.upperBound)
            #expect(zip(pieces, pieces.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect((pieces.map(\.count).max() ?? 0) - (pieces.map(\.count).min() ?? 0) <= 1)
        }
    }

    @Test("every participant runs every job exactly once, over many dispatches", arguments: [1, 2, 4])
    func everyParticipantRuns(threads: Int) {
        let pool = ThreadPool(threadCount: threads, spinIterations: 64)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: threads)
        counts.initialize(repeating: 0, count: threads)
        defer { counts.deallocate() }
        for _ in 0..<2000 {
            pool.run { worker, workers in
                #expect(workers == threads)
                counts[worker] += 1  // each participant writes only its own slot
            }
        }
        #expect((0..<threads).allSatisfy { counts[$0] == 2000 })
    }

    @Test("idle workers stop spinning and sleep, and wake up for the next job")
    func wakesFromSleep() async throws {
        let pool = ThreadPool(threadCount: 3, spinIterations: 1)
        pool.run { _, _ in }
        // Workers block on the condition variable after their spin; wait (up to 5 s) until both do.
        for _ in 0..<500 where pool.sleepingWorkerCount < 2 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(pool.sleepingWorkerCount == 2)
        let slots = UnsafeMutablePointer<Int>.allocate(capacity: 3)
        slots.initialize(repeating: 0, count: 3)
        defer { slots.deallocate() }
        pool.run { worker, _ in slots[worker] = worker + 10 }
        #expect(slots[0] == 10 && slots[1] == 11 && slots[2] == 12)
    }

    @Test("matrix-vector products split across threads equal the single-threaded ones",
          arguments: [BlockType.q40, .q41, .q80, .f32, .f16])
    func matrixVector(type: BlockType) {
        let rows = 37, columns = 32 * 9
        let weights = quantized(cosData(rows * columns, offset: 0.2), type)
        let activationType = type.activationType!
        let x = quantized(cosData(columns, offset: 1.3), activationType)
        let pool = ThreadPool(threadCount: 3)
        var single = [Float](repeating: 0, count: rows), pooled = single, ranged = [Float](repeating: 0, count: 10)
        weights.withUnsafeBytes { w in
            x.withUnsafeBytes { xb in
                let matrix = WeightMatrix(type: type, rows: rows, columns: columns, data: w.baseAddress!)
                MatrixVector.multiply(matrix, xb.baseAddress!, into: &single)
                MatrixVector.multiply(matrix, xb.baseAddress!, into: &pooled, pool: pool)
                MatrixVector.multiply(matrix, xb.baseAddress!, into: &ranged, rows: 20..<30, pool: pool)
                // and each row is the dot product of the reference kernel
                let dot = scalarKernels.dot(weights: type)!
                for r in 0..<rows {
                    let expected = dot(Int32(columns), w.baseAddress! + r * type.rowBytes(columns), xb.baseAddress!)
                    #expect(abs(single[r] - expected) <= 1e-4 * max(1, abs(expected)), "row \(r)")
                }
            }
        }
        #expect(single == pooled)
        #expect(Array(single[20..<30]) == ranged)
    }
}

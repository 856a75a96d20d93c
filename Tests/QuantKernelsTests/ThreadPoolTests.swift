import CQuantKernels
import Foundation
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

    @Test("every share runs exactly once per job, over many dispatches", arguments: [1, 2, 4])
    func everyShareRuns(threads: Int) {
        let pool = ThreadPool(threadCount: threads, maxSpinNanoseconds: 20_000)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: threads)
        counts.initialize(repeating: 0, count: threads)
        defer { counts.deallocate() }
        for _ in 0..<2000 {
            pool.run { worker, workers in
                #expect(workers == threads)
                counts[worker] += 1  // one call per share and job: no two calls write the same slot at once
            }
        }
        #expect((0..<threads).allSatisfy { counts[$0] == 2000 })
    }

    /// Runs `jobs` jobs of `tasks` tasks each on `pool` and checks that every task of every job
    /// ran exactly once (counted atomically, so a duplicate or a lost task shows).
    private func checkEveryTaskOnce(_ pool: ThreadPool, tasks: Int, jobs: Int, work: Int = 0) {
        let counts = Counters(tasks)
        for job in 0..<jobs {
            pool.run(tasks: tasks) { task in
                var sink = 0
                for i in 0..<work { sink &+= i &* task }  // a little work, so tasks overlap
                counts.increment(task, by: sink == -1 ? 2 : 1)
            }
            let ran = counts.values
            if ran.contains(where: { $0 != job + 1 }) {
                Issue.record("job \(job): tasks ran \(ran) times")
                return
            }
        }
    }

    @Test("every task runs exactly once, whatever the task count", arguments: [1, 2, 3, 5, 17, 64])
    func everyTaskOnce(tasks: Int) {
        checkEveryTaskOnce(ThreadPool(threadCount: 3, maxSpinNanoseconds: 20_000), tasks: tasks, jobs: 500, work: 200)
    }

    @Test("more threads than cores: every task still runs exactly once")
    func oversubscribed() {
        let threads = 4 * ThreadCount.available + 1
        checkEveryTaskOnce(ThreadPool(threadCount: threads), tasks: 3 * threads, jobs: 300, work: 500)
        // and with workers that go to sleep between jobs, so that some wake up after a job closed
        checkEveryTaskOnce(ThreadPool(threadCount: threads, maxSpinNanoseconds: 0), tasks: threads, jobs: 300)
    }

    @Test("zero tasks is a no-op; one task runs on the caller")
    func degenerateJobs() {
        let pool = ThreadPool(threadCount: 3)
        pool.run(tasks: 0) { _ in Issue.record("a task of an empty job ran") }
        let caller = Thread.current
        var onCaller = false
        pool.run(tasks: 1) { _ in onCaller = Thread.current == caller }
        #expect(onCaller)
    }

    @Test("a job started inside a task runs its tasks inline, each exactly once")
    func nestedJobs() {
        let pool = ThreadPool(threadCount: 3, maxSpinNanoseconds: 20_000)
        let outer = 6, inner = 5
        let counts = Counters(outer * inner)
        for _ in 0..<100 {
            pool.run(tasks: outer) { o in
                pool.run(tasks: inner) { i in counts.increment(o * inner + i) }
            }
        }
        #expect(counts.values.allSatisfy { $0 == 100 })
    }

    @Test("jobs from two threads at once are serialized or run inline, each task exactly once")
    func concurrentCallers() async {
        let pool = ThreadPool(threadCount: 3, maxSpinNanoseconds: 20_000)
        let tasks = 8
        let counts = Counters(2 * tasks)
        await withTaskGroup(of: Void.self) { group in
            for caller in 0..<2 {
                group.addTask {
                    for _ in 0..<300 {
                        pool.run(tasks: tasks) { t in counts.increment(caller * tasks + t) }
                    }
                }
            }
        }
        #expect(counts.values.allSatisfy { $0 == 300 })
    }

    @Test("a pool shuts down cleanly: idle, right after a job, and while workers sleep", arguments: [2, 5])
    func shutDown(threads: Int) {
        for spin in [0, 1_000_000] {
            for jobs in [0, 1, 50] {
                let pool = ThreadPool(threadCount: threads, maxSpinNanoseconds: spin)
                checkEveryTaskOnce(pool, tasks: threads * 2, jobs: jobs)
            }  // deinit joins every worker; a hang here fails the run
        }
    }

    @Test("task counts: several per thread, none below the minimum size, at least one")
    func taskCounts() {
        let pool = ThreadPool(threadCount: 2)
        #expect(pool.taskCount(for: 4096, minimumPerTask: 16) == 2 * ThreadPool.tasksPerThread)
        #expect(pool.taskCount(for: 48, minimumPerTask: 16) == 3)
        #expect(pool.taskCount(for: 5, minimumPerTask: 16) == 1)
        #expect(pool.taskCount(for: 0) == 1)
        #expect(ThreadPool(threadCount: 1).taskCount(for: 4096) == ThreadPool.tasksPerThread)
    }

    @Test("thread counts: the cores by default, more with a warning, capped at 4 per core")
    func threadCounts() {
        #expect(ThreadCount.resolveWithWarning(nil, available: 2) == (2, nil))
        #expect(ThreadCount.resolveWithWarning(1, available: 2) == (1, nil))
        let over = ThreadCount.resolveWithWarning(4, available: 2)
        #expect(over.threads == 4 && over.warning?.contains("take turns") == true)
        let capped = ThreadCount.resolveWithWarning(9, available: 2)
        #expect(capped.threads == 8 && capped.warning?.contains("using 8") == true)
        #expect(ThreadCount.resolve(0, available: 2) == 1)
    }

    @Test("idle workers stop spinning and sleep, and wake up for the next job")
    func wakesFromSleep() async throws {
        let pool = ThreadPool(threadCount: 3, maxSpinNanoseconds: 0)
        pool.run { _, _ in }
        // Workers block on the condition variable at once; wait (up to 5 s) until both do.
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

    @Test("a group of products in one dispatch equals each product alone, whatever the row counts")
    func productGroup() {
        // A layer's q, k, v: different row counts (and here types), one activation, one dispatch.
        let columns = 32 * 9
        let shapes: [(type: BlockType, rows: Int)] = [(.q41, 61), (.q50, 7), (.q80, 1), (.q40, 40), (.f32, 3)]
        let x = cosData(columns, offset: 1.3)
        let pool = ThreadPool(threadCount: 3)
        // Copies the lifetimes of which this test controls (weights, activations, prepared layouts).
        func owned(_ bytes: [UInt8]) -> UnsafeMutableRawPointer {
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytes.count), alignment: 64)
            bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            return p
        }
        let weights = shapes.enumerated().map { owned(weightRows($1.type, rows: $1.rows, columns: columns, seed: UInt64($0 + 1))) }
        let activations = shapes.map { owned(quantized(x, $0.type.activationType!)) }
        let outputs = shapes.map { UnsafeMutablePointer<Float>.allocate(capacity: $0.rows) }  // [rows] each
        let scratch = shapes.map { UnsafeMutableRawPointer.allocate(byteCount: max(1, MatrixVector.preparedBytes(weights: $0.type, columns: columns)), alignment: 64) }
        defer { (weights + activations + scratch).forEach { $0.deallocate() }; outputs.forEach { $0.deallocate() } }
        for pool in [nil, pool] {
            var alone: [[Float]] = []
            var group: [MatrixVectorProduct] = []
            for (i, shape) in shapes.enumerated() {
                let matrix = WeightMatrix(type: shape.type, rows: shape.rows, columns: columns, data: weights[i])
                var single = [Float](repeating: .nan, count: shape.rows)
                MatrixVector.multiply(matrix, activations[i], into: &single)
                alone.append(single)
                let prepared = MatrixVector.prepare(weights: shape.type, columns: columns, activations[i], into: scratch[i])
                outputs[i].update(repeating: .nan, count: shape.rows)
                group.append(MatrixVectorProduct(matrix, prepared: prepared, into: outputs[i]))
            }
            MatrixVector.multiply(group, pool: pool)
            for (i, shape) in shapes.enumerated() {
                #expect(Array(UnsafeBufferPointer(start: outputs[i], count: shape.rows)) == alone[i], "\(shape.type), \(shape.rows) rows, pool \(pool != nil)")
            }
        }
    }
}

/// Counters incremented atomically from any thread.
private final class Counters: @unchecked Sendable {  // unchecked: the C atomics are the synchronization
    private let counters: [OpaquePointer]

    init(_ count: Int) { counters = (0..<count).map { _ in qk_atomic_create()! } }
    deinit { counters.forEach(qk_atomic_destroy) }

    func increment(_ index: Int, by amount: UInt64 = 1) { _ = qk_atomic_fetch_add(counters[index], amount) }
    var values: [Int] { counters.map { Int(qk_atomic_load($0)) } }
}

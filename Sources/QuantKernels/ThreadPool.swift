import CQuantKernels
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A persistent pool of threads that run one job at a time, each on its own share.
///
/// The caller is participant 0; `threadCount - 1` workers are the others. Between jobs a worker
/// spins for `spinIterations` CPU-relax hints (a few tens of microseconds), then sleeps on a
/// condition variable, so an idle pool costs no CPU: busy-polling starves a 2-core machine shared
/// with other processes.
///
/// ```swift
/// let pool = ThreadPool(threadCount: 2)
/// pool.run { worker, workers in
///     let rows = ThreadPool.share(of: 0..<4096, worker: worker, workers: workers)
///     // compute rows ...
/// }
/// ```
public final class ThreadPool: @unchecked Sendable {  // shared state is guarded by the atomics and the mutex
    public let threadCount: Int
    private let state: State

    /// Starts `threadCount - 1` worker threads (`threadCount` at least 1).
    public init(threadCount: Int, spinIterations: Int = 4096) {
        self.threadCount = max(1, threadCount)
        state = State(participants: self.threadCount, spinIterations: spinIterations)
        for worker in 1..<self.threadCount {
            let state = self.state
            let thread = Thread { state.workerLoop(worker) }
            thread.name = "dllama-kernels-\(worker)"
            thread.start()
        }
    }

    deinit { state.shutDown() }

    /// Workers currently blocked on the condition variable (not spinning, not working): after
    /// `spinIterations` without a job every worker should be here.
    public var sleepingWorkerCount: Int { Int(qk_atomic_load(state.sleeping)) }

    /// Runs `body(worker, threadCount)` once on every participant, worker 0 on the calling thread,
    /// and returns when all have finished. Not reentrant: call from one thread at a time.
    public func run(_ body: (_ worker: Int, _ workers: Int) -> Void) {
        if threadCount == 1 { body(0, 1); return }
        withoutActuallyEscaping(body) { job in
            state.dispatch(job)
        }
    }

    /// The contiguous part of `range` participant `worker` of `workers` owns (shares differ by at most one).
    public static func share(of range: Range<Int>, worker: Int, workers: Int) -> Range<Int> {
        let count = range.count, base = count / workers, extra = count % workers
        let start = range.lowerBound + worker * base + min(worker, extra)
        return start..<(start + base + (worker < extra ? 1 : 0))
    }

    private final class State: @unchecked Sendable {  // unchecked: the atomics order `job` between threads: written before `generation` is bumped
        let participants: Int
        let spinIterations: Int
        let generation = qk_atomic_create()!  // bumped per job
        let pending = qk_atomic_create()!     // workers still running the current job
        let running = qk_atomic_create()!     // worker threads alive
        let sleeping = qk_atomic_create()!    // workers blocked on `wake`
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)       // a job or shutdown
        let done = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)       // pending reached 0
        var job: ((Int, Int) -> Void)?   // written before `generation` is bumped, read after
        var stopping = false

        init(participants: Int, spinIterations: Int) {
            self.participants = participants
            self.spinIterations = spinIterations
            qk_atomic_store(running, UInt64(participants - 1))
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(wake, nil)
            pthread_cond_init(done, nil)
        }

        deinit {
            pthread_cond_destroy(done)
            pthread_cond_destroy(wake)
            pthread_mutex_destroy(mutex)
            for counter in [generation, pending, running, sleeping] { qk_atomic_destroy(counter) }
            mutex.deallocate(); wake.deallocate(); done.deallocate()
        }

        func dispatch(_ body: @escaping (Int, Int) -> Void) {
            job = body
            qk_atomic_store(pending, UInt64(participants - 1))
            pthread_mutex_lock(mutex)
            _ = qk_atomic_fetch_add(generation, 1)
            pthread_cond_broadcast(wake)
            pthread_mutex_unlock(mutex)
            body(0, participants)
            waitUntil { qk_atomic_load(self.pending) == 0 }
            job = nil
        }

        /// Spins briefly, then sleeps on `done` until `condition` holds.
        private func waitUntil(_ condition: () -> Bool) {
            for _ in 0..<spinIterations {
                if condition() { return }
                qk_cpu_relax()
            }
            pthread_mutex_lock(mutex)
            while !condition() { pthread_cond_wait(done, mutex) }
            pthread_mutex_unlock(mutex)
        }

        func workerLoop(_ worker: Int) {
            var seen: UInt64 = 0
            while true {
                // Wait for a new generation: spin, then sleep.
                var spins = 0
                while qk_atomic_load(generation) == seen && spins < spinIterations { qk_cpu_relax(); spins += 1 }
                if qk_atomic_load(generation) == seen {
                    pthread_mutex_lock(mutex)
                    _ = qk_atomic_fetch_add(sleeping, 1)
                    while qk_atomic_load(generation) == seen { pthread_cond_wait(wake, mutex) }
                    _ = qk_atomic_fetch_sub(sleeping, 1)
                    pthread_mutex_unlock(mutex)
                }
                seen = qk_atomic_load(generation)
                if stopping { break }
                job?(worker, participants)
                if qk_atomic_fetch_sub(pending, 1) == 1 { signalDone() }
            }
            if qk_atomic_fetch_sub(running, 1) == 1 { signalDone() }
        }

        private func signalDone() {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(done)
            pthread_mutex_unlock(mutex)
        }

        func shutDown() {
            pthread_mutex_lock(mutex)
            stopping = true
            _ = qk_atomic_fetch_add(generation, 1)
            pthread_cond_broadcast(wake)
            pthread_mutex_unlock(mutex)
            waitUntil { qk_atomic_load(self.running) == 0 }
        }
    }
}

import CQuantKernels
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A persistent pool of threads that share out jobs of numbered tasks.
///
/// A job is `tasks` calls `body(0) ... body(tasks - 1)`. Each participant (the caller, each worker)
/// has a home: a contiguous run of task numbers, claimed in order from its own atomic counter, so
/// a thread's tasks follow one another in memory (neighbouring rows of a matrix: one stream for the
/// hardware prefetcher, not a jump at every task). A participant with an empty home claims the
/// next tasks of the others' homes, so whoever is running does the work: a worker the OS has
/// descheduled (more threads than cores, or another process on the machine) delays the job by at
/// most the one task it holds, never by a fixed share. Once every task is claimed the job is closed:
/// a worker that wakes up late does not enter it, and the caller waits only for the workers that
/// did enter and still hold a task.
///
/// Waiting (a worker for the next job, the caller for the last tasks) spins for a measured time,
/// yielding the core every few microseconds so that a thread that holds work gets it, then sleeps
/// on a condition variable. Each waiter adapts its spin time: it doubles when the wait ended soon
/// after it went to sleep (a longer spin would have saved the sleep and the wake-up), and halves
/// when the sleep was long (spinning was wasted). No more workers spin than there are cores beside
/// the caller's; the others sleep, and are woken for a job only when fewer spin, so threads beyond
/// the cores do not take turns with the ones holding work. An idle pool burns no CPU.
///
/// ```swift
/// let pool = ThreadPool(threadCount: 2)
/// let rows = 0..<4096, tasks = pool.taskCount(for: rows.count, minimumPerTask: 16)
/// pool.run(tasks: tasks) { task in
///     let chunk = ThreadPool.share(of: rows, worker: task, workers: tasks)
///     // compute the rows of chunk ...
/// }
/// ```
public final class ThreadPool: @unchecked Sendable {  // shared state is guarded by the atomics and the mutex
    public let threadCount: Int
    private let state: State

    /// Tasks per thread `taskCount(for:minimumPerTask:)` aims at: enough that the running threads
    /// can take over a descheduled one's work in small pieces, few enough that claiming stays cheap.
    public static let tasksPerThread = 4

    /// Starts `threadCount - 1` worker threads (`threadCount` at least 1). A waiter spins at most
    /// `maxSpinNanoseconds` before it sleeps (0: sleep at once).
    public init(threadCount: Int, maxSpinNanoseconds: Int = 1_000_000) {
        self.threadCount = max(1, threadCount)
        state = State(participants: self.threadCount, maxSpin: UInt64(max(0, maxSpinNanoseconds)))
        for worker in 1..<self.threadCount {
            let state = self.state
            let thread = Thread { state.workerLoop(home: worker) }
            thread.name = "dllama-kernels-\(worker)"
            thread.start()
        }
    }

    deinit { state.shutDown() }

    /// Workers currently blocked on the condition variable (not spinning, not working): after
    /// their spin time without a job every worker should be here.
    public var sleepingWorkerCount: Int { Int(qk_atomic_load(state.sleepingWorkers)) }

    /// How many tasks to split `items` into: `tasksPerThread` per thread, but no task smaller than
    /// `minimumPerTask` items, and at least one.
    public func taskCount(for items: Int, minimumPerTask: Int = 1) -> Int {
        max(1, min(threadCount * Self.tasksPerThread, items / max(1, minimumPerTask)))
    }

    /// Calls `body(task)` exactly once for every `task` in `0..<tasks`, on the calling thread and
    /// the workers, and returns when all calls have returned. Calls for different tasks may run at
    /// the same time; which thread runs which task is not fixed.
    ///
    /// A call made while the pool is busy (from inside a task, or from a second thread) runs its
    /// tasks one after another on the calling thread.
    public func run(tasks: Int, _ body: (_ task: Int) -> Void) {
        guard tasks > 0 else { return }
        if threadCount == 1 || tasks == 1 || !state.tryAcquire() {
            for task in 0..<tasks { body(task) }
            return
        }
        withoutActuallyEscaping(body) { job in
            state.dispatch(tasks: tasks, job)
        }
    }

    /// Calls `body(worker, threadCount)` exactly once for every `worker` in `0..<threadCount`, like
    /// `run(tasks: threadCount)`: each call is one share (`share(of:worker:workers:)`), claimed by
    /// whichever thread is free, so `worker` indexes per-share scratch, not a thread.
    public func run(_ body: (_ worker: Int, _ workers: Int) -> Void) {
        let workers = threadCount
        run(tasks: workers) { body($0, workers) }
    }

    /// The contiguous part of `range` participant `worker` of `workers` owns (shares differ by at most one).
    public static func share(of range: Range<Int>, worker: Int, workers: Int) -> Range<Int> {
        let count = range.count, base = count / workers, extra = count % workers
        let start = range.lowerBound + worker * base + min(worker, extra)
        return start..<(start + base + (worker < extra ? 1 : 0))
    }

    /// The shared state. `control` packs the job number (high 32 bits), whether the job is open to
    /// workers (bit 31) and how many workers are inside it (low 31 bits); `job` and `taskCount` are
    /// written only while no worker is inside and the job is closed, and read only by workers that
    /// entered, so publishing them with the `control` store orders them.
    private final class State: @unchecked Sendable {
        static let openBit: UInt64 = 1 << 31
        static let insideMask: UInt64 = openBit - 1
        /// The spin time never falls below 50 us (nanoseconds here): a token's dispatches come tens
        /// of microseconds apart, and the long wait at every token boundary used to halve the spin
        /// until workers slept inside a token and paid a wake-up (tens of microseconds in a VM) per
        /// dispatch: 2 threads ran slower than 1 (94.5 against 104.6 tokens/s, SmolLM2, idle machine).
        static let minSpin: UInt64 = 50_000

        let participants: Int
        let maxSpin: UInt64
        /// Workers that may spin at once: one per core beside the caller's (at least one).
        let maxSpinningWorkers = UInt64(max(1, ThreadCount.available - 1))
        let control = qk_atomic_create()!
        /// Per participant (0: the caller, then each worker): how many tasks of its home
        /// (`share(of: 0..<taskCount, worker:workers:)`) have been claimed.
        let claimed: [OpaquePointer]
        let busy = qk_atomic_create()!             // 1 while a caller is dispatching
        let stopping = qk_atomic_create()!         // 1 once shutDown began
        let running = qk_atomic_create()!          // worker threads alive
        let sleepingWorkers = qk_atomic_create()!  // workers blocked on `wake`
        let spinningWorkers = qk_atomic_create()!  // workers spinning for the next job
        let callerSleeping = qk_atomic_create()!   // 1 while the caller is blocked on `done`
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)  // a job or shutdown
        let done = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)  // the last worker left, or exited
        var job: ((Int) -> Void)?
        var taskCount = 0
        var jobNumber: UInt64 = 0
        var callerSpin: UInt64  // the caller's adaptive spin time (callers are serialized by `busy`)

        init(participants: Int, maxSpin: UInt64) {
            self.participants = participants
            self.maxSpin = maxSpin
            callerSpin = min(maxSpin, 50_000)
            claimed = (0..<participants).map { _ in qk_atomic_create()! }
            qk_atomic_store(running, UInt64(participants - 1))
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(wake, nil)
            pthread_cond_init(done, nil)
        }

        deinit {
            pthread_cond_destroy(done)
            pthread_cond_destroy(wake)
            pthread_mutex_destroy(mutex)
            for counter in [control, busy, stopping, running, sleepingWorkers, spinningWorkers, callerSleeping] + claimed {
                qk_atomic_destroy(counter)
            }
            mutex.deallocate(); wake.deallocate(); done.deallocate()
        }

        func tryAcquire() -> Bool {
            var expected: UInt64 = 0
            return qk_atomic_compare_exchange(busy, &expected, 1) != 0
        }

        func dispatch(tasks: Int, _ body: @escaping (Int) -> Void) {
            job = body
            taskCount = tasks
            for counter in claimed { qk_atomic_store(counter, 0) }
            jobNumber &+= 1
            _ = qk_atomic_exchange(control, (jobNumber & 0xFFFF_FFFF) << 32 | Self.openBit)
            qk_atomic_fence()  // the job is visible before `sleepingWorkers` is read (see `wait`)
            // Sleepers are woken only when fewer workers spin than cores are left beside the caller:
            // with more threads than cores, the spinning ones take the job and a woken one would only
            // take a core from a thread holding a task. (Any worker may be asleep: the caller claims
            // whatever task nobody else does.)
            if qk_atomic_load(sleepingWorkers) > 0 && qk_atomic_load(spinningWorkers) < maxSpinningWorkers { broadcast(wake) }
            claimTasks(body, tasks, home: 0)
            let before = qk_atomic_fetch_and(control, ~Self.openBit)  // closed: no worker enters now
            if before & Self.insideMask != 0 {
                wait(spin: &callerSpin, sleepers: callerSleeping, on: done) {
                    qk_atomic_load(self.control) & Self.insideMask == 0
                }
            }
            job = nil
            qk_atomic_store(busy, 0)
        }

        /// Runs tasks until every task of the job is claimed: those of `home` in order, then the
        /// next ones of the other participants' homes.
        private func claimTasks(_ body: (Int) -> Void, _ tasks: Int, home: Int) {
            for offset in 0..<participants {
                let owner = (home + offset) % participants
                let range = ThreadPool.share(of: 0..<tasks, worker: owner, workers: participants)
                while true {
                    let index = Int(qk_atomic_fetch_add(claimed[owner], 1))
                    if index >= range.count { break }
                    body(range.lowerBound + index)
                }
            }
        }

        func workerLoop(home: Int) {
            var seen = qk_atomic_load(control) >> 32
            var spin = min(maxSpin, 50_000)
            while true {
                wait(spin: &spin, sleepers: sleepingWorkers, on: wake, spinners: spinningWorkers) {
                    qk_atomic_load(self.control) >> 32 != seen || qk_atomic_load(self.stopping) != 0
                }
                if qk_atomic_load(stopping) != 0 { break }
                var current = qk_atomic_load(control)
                seen = current >> 32
                // Enter the job only while it is open: a closed one has no task left to claim.
                var entered = false
                while current >> 32 == seen && current & Self.openBit != 0 {
                    if qk_atomic_compare_exchange(control, &current, current + 1) != 0 { entered = true; break }
                }
                guard entered else { continue }
                workInJob(home: home)
                let before = qk_atomic_fetch_sub(control, 1)
                if before & Self.insideMask == 1 && before & Self.openBit == 0 {  // the last one out of a closed job
                    qk_atomic_fence()
                    if qk_atomic_load(callerSleeping) != 0 { broadcast(done) }
                }
            }
            if qk_atomic_fetch_sub(running, 1) == 1 { broadcast(done) }
        }

        /// A worker's part of the job it entered. Its own function so that its reference to the
        /// job's closure is released before the worker leaves the job: the caller's
        /// `withoutActuallyEscaping` traps if the closure outlives `run`.
        @inline(never)
        private func workInJob(home: Int) {
            guard let body = job else { return }
            claimTasks(body, taskCount, home: home)
        }

        /// Waits until `condition` holds: spins up to `spin` nanoseconds, then sleeps on `cond`,
        /// counted in `sleepers` (whoever makes the condition true reads `sleepers` after a fence
        /// and broadcasts under the mutex, so no wake-up is lost). Adapts `spin` to what it measured.
        private func wait(spin: inout UInt64, sleepers: OpaquePointer, on cond: UnsafeMutablePointer<pthread_cond_t>,
                          spinners: OpaquePointer? = nil, until condition: () -> Bool) {
            if condition() { return }
            let start = qk_monotonic_ns()
            // With `spinners`, spin only while fewer than `maxSpinningWorkers` others do: more
            // spinning threads than cores would take turns with the threads holding work.
            let spins = spinners.map { qk_atomic_fetch_add($0, 1) < maxSpinningWorkers } ?? true
            var checks = 0
            while spins && qk_monotonic_ns() - start < spin {
                for _ in 0..<32 {
                    if condition() {
                        if let spinners { _ = qk_atomic_fetch_sub(spinners, 1) }
                        return
                    }
                    qk_cpu_relax()
                }
                // Give the core to a runnable thread, which may be the one holding the work waited for.
                checks += 1
                if checks % 4 == 0 { sched_yield() }
            }
            if let spinners { _ = qk_atomic_fetch_sub(spinners, 1) }
            pthread_mutex_lock(mutex)
            _ = qk_atomic_fetch_add(sleepers, 1)
            qk_atomic_fence()
            while !condition() { pthread_cond_wait(cond, mutex) }
            _ = qk_atomic_fetch_sub(sleepers, 1)
            pthread_mutex_unlock(mutex)
            // A wait that ended within twice the spin time would have been cheaper spun through.
            guard spins else { return }
            let waited = qk_monotonic_ns() - start
            spin = min(maxSpin, max(Self.minSpin, waited <= 2 * spin ? spin * 2 : spin / 2))
        }

        private func broadcast(_ cond: UnsafeMutablePointer<pthread_cond_t>) {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(cond)
            pthread_mutex_unlock(mutex)
        }

        func shutDown() {
            _ = qk_atomic_exchange(stopping, 1)
            broadcast(wake)
            pthread_mutex_lock(mutex)
            while qk_atomic_load(running) != 0 { pthread_cond_wait(done, mutex) }
            pthread_mutex_unlock(mutex)
        }
    }
}

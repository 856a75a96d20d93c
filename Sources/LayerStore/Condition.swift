#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex with one condition variable: enough for a loader thread and its consumers.
/// (Synchronization's `Mutex` has no condition variable, and needs newer Apple platforms.)
final class Mutex: @unchecked Sendable {  // unchecked: it is the lock: pthread primitives at a fixed address
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }

    /// Waits (the lock held by the caller, inside `withLock`) until signalled.
    func wait() { pthread_cond_wait(&condition, &mutex) }

    func broadcast() { pthread_cond_broadcast(&condition) }
}

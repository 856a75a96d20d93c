import Foundation

/// How many compute threads to run: by default one per core this process may use. More are
/// allowed, up to `oversubscription` per core: the pool's threads then take turns on the cores
/// (the pool shares work out so that this costs little, docs/performance.md) but gain nothing,
/// which the warning says.
///
/// ```swift
/// let (threads, warning) = ThreadCount.resolveWithWarning(requested)   // nil: every available core
/// if let warning { print("warning: \(warning)") }
/// ```
public enum ThreadCount {
    /// The cores this process may run on (its CPU affinity and the container's CPU quota count).
    public static var available: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Threads per available core beyond which a request is capped (a typo such as `-t 1000`
    /// would otherwise start a thousand threads).
    public static let oversubscription = 4

    /// `requested` (at least 1), capped at `oversubscription` times `available`; all available cores when nil.
    public static func resolve(_ requested: Int?, available: Int = available) -> Int {
        min(max(requested ?? available, 1), oversubscription * available)
    }

    /// `resolve`, with what to tell the user when the request is more than the cores available.
    public static func resolveWithWarning(_ requested: Int?, available: Int = available) -> (threads: Int, warning: String?) {
        let threads = resolve(requested, available: available)
        guard let requested, requested > available else { return (threads, nil) }
        if requested > threads {
            return (threads, "--nthreads \(requested) is more than \(oversubscription) threads for each of the \(available) cores available: using \(threads)")
        }
        return (threads, "--nthreads \(requested) is more than the \(available) cores available: the threads take turns on them, no faster than \(available)")
    }
}

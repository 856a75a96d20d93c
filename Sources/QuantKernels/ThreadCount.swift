import Foundation

/// How many compute threads to run: by default one per core this process may use, and never more
/// (more threads than cores only take turns on them, and a spinning pool slows everything else).
///
/// ```swift
/// let threads = ThreadCount.resolve(requested)   // nil: every available core
/// if let requested, requested > threads { print("capped at \(threads)") }
/// ```
public enum ThreadCount {
    /// The cores this process may run on (its CPU affinity and the container's CPU quota count).
    public static var available: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// `requested` (at least 1), capped at `available`; all available cores when nil.
    public static func resolve(_ requested: Int?, available: Int = available) -> Int {
        min(max(requested ?? available, 1), available)
    }
}

import Foundation

/// The process's memory and the machine's, as the kernel counts them (Linux `/proc`, and the
/// cgroup limit a container sets); nil where they are not available.
public enum ProcessMemory {
    /// Peak resident set size (VmHWM), in bytes.
    public static func peakResidentBytes() -> Int? { value("VmHWM:", in: "/proc/self/status") }

    /// Starts a new peak: VmHWM becomes the current resident set (Linux 4.0 and later, writing 5 to
    /// /proc/self/clear_refs). Returns false where that is not possible.
    @discardableResult
    public static func resetPeak() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("5".utf8))) != nil
    }

    /// Current resident set size (VmRSS), in bytes.
    public static func residentBytes() -> Int? { value("VmRSS:", in: "/proc/self/status") }

    /// The machine's physical memory (MemTotal), or the cgroup's limit when lower.
    public static func physicalBytes() -> Int? {
        guard let total = value("MemTotal:", in: "/proc/meminfo") else { return nil }
        return min(total, cgroupLimit() ?? Int.max)
    }

    /// Memory that can be allocated now without swapping (MemAvailable: free memory and page cache
    /// that can be dropped), or what is left below the cgroup's limit when that is less.
    public static func availableBytes() -> Int? {
        guard let available = value("MemAvailable:", in: "/proc/meminfo") else { return nil }
        guard let limit = cgroupLimit(), let used = cgroupNumber("memory.current") else { return available }
        return min(available, max(limit - used, 0))
    }

    /// cgroup v2 `memory.max` of this process's group, when it is a number ("max": no limit).
    private static func cgroupLimit() -> Int? { cgroupNumber("memory.max") }

    private static func cgroupNumber(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/sys/fs/cgroup/\(name)", encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// A `Key:   N kB` line of a /proc file, in bytes.
    private static func value(_ key: String, in path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
        }
        return nil
    }
}

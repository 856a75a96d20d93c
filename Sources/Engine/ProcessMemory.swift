import Foundation

/// The process's memory as the kernel counts it (Linux `/proc/self/status`).
public enum ProcessMemory {
    /// Peak resident set size (VmHWM), in bytes; nil where /proc is not available.
    public static func peakResidentBytes() -> Int? { statusValue("VmHWM:") }

    /// Starts a new peak: VmHWM becomes the current resident set (Linux 4.0 and later, writing 5 to
    /// /proc/self/clear_refs). Returns false where that is not possible.
    @discardableResult
    public static func resetPeak() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("5".utf8))) != nil
    }

    /// Current resident set size (VmRSS), in bytes.
    public static func residentBytes() -> Int? { statusValue("VmRSS:") }

    private static func statusValue(_ key: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(key) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
        }
        return nil
    }
}

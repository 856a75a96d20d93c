import Foundation
import ModelFormat

/// The rate and time left of a transfer, from (time, bytes) samples over a sliding window.
///
/// ```swift
/// var meter = TransferMeter()
/// meter.record(bytes: 0, at: 0)
/// meter.record(bytes: 50 << 20, at: 5)
/// meter.bytesPerSecond             // 10 MiB/s
/// meter.secondsLeft(total: 100 << 20)  // 5
/// ```
public struct TransferMeter: Sendable {
    private var samples: [(time: TimeInterval, bytes: Int)] = []
    private let window: TimeInterval

    public init(window: TimeInterval = 5) {
        self.window = window
    }

    public mutating func record(bytes: Int, at time: TimeInterval) {
        if let last = samples.last, bytes < last.bytes { samples.removeAll() }   // a restart
        samples.append((time, bytes))
        // Keep one sample older than the window, so the rate spans the whole window.
        while samples.count > 2, samples[1].time <= time - window { samples.removeFirst() }
    }

    /// Bytes per second over the window; nil until two samples are apart in time.
    public var bytesPerSecond: Double? {
        guard let first = samples.first, let last = samples.last, last.time > first.time else { return nil }
        return Double(last.bytes - first.bytes) / (last.time - first.time)
    }

    /// Seconds until `total` bytes at the current rate; nil when either is unknown or the rate is 0.
    public func secondsLeft(total: Int?) -> Double? {
        guard let total, let rate = bytesPerSecond, rate > 0, let last = samples.last else { return nil }
        return Double(max(total - last.bytes, 0)) / rate
    }
}

/// The text of a pull's progress display.
public enum ProgressText {
    /// `SmolLM2-135M-Instruct.Q4_1.gguf  45%  42.1 MiB of 93.8 MiB, 12.3 MiB/s, 4 s left`; with
    /// `barWidth`, a `[#####.....]` bar after the name. An approximate total is marked `~`.
    public static func line(file: String, bytes: Int, total: Int?, approximate: Bool, bytesPerSecond: Double?,
                            secondsLeft: Double?, barWidth: Int? = nil) -> String {
        var text = file
        if let total, total > 0 {
            let fraction = min(Double(bytes) / Double(total), 1)
            if let barWidth { text += "  " + bar(fraction: fraction, width: barWidth) }
            text += "  \(approximate ? "~" : "")\(Int(fraction * 100))%  \(formatBytes(bytes)) of \(approximate ? "~" : "")\(formatBytes(total))"
        } else {
            text += "  \(formatBytes(bytes))"
        }
        if let bytesPerSecond { text += ", \(formatBytes(Int(bytesPerSecond)))/s" }
        if let secondsLeft, total != nil { text += ", \(duration(secondsLeft)) left" }
        return text
    }

    /// `[######....]`: `fraction` of `width` cells filled.
    public static func bar(fraction: Double, width: Int) -> String {
        let filled = Int((min(max(fraction, 0), 1) * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }

    /// `4 s`, `2 min 5 s`, `3 h 12 min`.
    public static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3600) h \(whole % 3600 / 60) min"
    }
}

import Foundation

/// Byte counts for people: `formatBytes(98_362_432)` is "93.8 MiB"; `parseByteSize("4G")` is
/// 4 GiB. Binary units throughout, the way RAM is sold and `free -h` prints it.
public func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while abs(value) >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    if unit == 0 { return "\(bytes) B" }
    let rounded = (value * 10).rounded() / 10
    return "\(rounded) \(units[unit])"
}

/// Parses sizes such as `512`, `30M`, `4G`, `1.5GiB`, `800k` (binary multiples, case-insensitive).
/// Returns nil for anything else, including negative or overflowing sizes.
public func parseByteSize(_ text: String) -> Int? {
    let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
    let digits = trimmed.prefix { $0.isNumber || $0 == "." }
    let suffix = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
    guard let number = Double(digits), number >= 0 else { return nil }
    let exponents: [String: Int] = [
        "": 0, "b": 0, "k": 10, "kb": 10, "kib": 10, "m": 20, "mb": 20, "mib": 20,
        "g": 30, "gb": 30, "gib": 30, "t": 40, "tb": 40, "tib": 40,
    ]
    guard let exponent = exponents[suffix] else { return nil }
    let bytes = (number * Double(1 << exponent)).rounded()
    guard bytes < 9e18 else { return nil }
    return Int(bytes)
}

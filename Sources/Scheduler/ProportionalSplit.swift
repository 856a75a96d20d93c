/// Splits `total` indivisible units (heads, layers, rows) among parties in proportion to their
/// weights, by the largest-remainder method: every party gets the floor of its exact share, then
/// the units left over go to the largest fractional remainders, the earlier party winning a tie.
///
///     proportionalSplit(8, weights: [1, 1, 1])  // [3, 3, 2]
///     proportionalSplit(30, weights: [2, 1])    // [20, 10]
///
/// The result always sums to `total`. Weights must be positive.
public func proportionalSplit(_ total: Int, weights: [Double]) -> [Int] {
    precondition(total >= 0 && !weights.isEmpty && weights.allSatisfy { $0 > 0 && $0.isFinite },
                 "proportionalSplit needs a non-negative total and positive weights")
    let sum = weights.reduce(0, +)
    let exact = weights.map { Double(total) * $0 / sum }
    var shares = exact.map { Int($0.rounded(.down)) }
    let byRemainder = exact.indices.sorted { a, b in
        let ra = exact[a] - Double(shares[a]), rb = exact[b] - Double(shares[b])
        return ra != rb ? ra > rb : a < b
    }
    for i in byRemainder.prefix(total - shares.reduce(0, +)) { shares[i] += 1 }
    return shares
}

/// Consecutive ranges of the given sizes starting at 0: `[3, 3, 2]` gives `0..<3, 3..<6, 6..<8`.
public func consecutiveRanges(sizes: [Int]) -> [Range<Int>] {
    var start = 0
    return sizes.map { size in
        defer { start += size }
        return start..<(start + size)
    }
}

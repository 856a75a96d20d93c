/// The tokens still in the running while sampling one step, with a logit or (after `softmax`) a
/// probability each. They start as the whole vocabulary in id order; a stage that sorts keeps
/// them sorted.
public struct SamplingCandidates: Sendable {
    public var ids: [Int32]
    public var values: [Float]

    public init(logits: [Float]) {
        ids = (0..<Int32(logits.count)).map { $0 }
        values = logits
    }

    public var count: Int { ids.count }

    /// Turns logits into probabilities: subtract the maximum, exponentiate, divide by the sum
    /// (summed in candidate order, as the reference's `softmax` does in id order).
    public mutating func softmax() {
        guard let maximum = values.max() else { return }
        var sum: Float = 0
        for index in values.indices {
            values[index] = (values[index] - maximum).exponential
            sum += values[index]
        }
        for index in values.indices { values[index] /= sum }
    }

    /// Orders by value, highest first; equal values keep their current (id) order.
    public mutating func sortDescending() {
        let order = values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
        ids = order.map { ids[$0] }
        values = order.map { values[$0] }
    }

    /// Keeps the first `count` candidates.
    public mutating func keepFirst(_ count: Int) {
        ids.removeSubrange(count...)
        values.removeSubrange(count...)
    }

    /// Keeps the candidates whose value satisfies `keep`, in order.
    public mutating func filter(_ keep: (Float) -> Bool) {
        var keptIDs: [Int32] = [], keptValues: [Float] = []
        for (id, value) in zip(ids, values) where keep(value) {
            keptIDs.append(id)
            keptValues.append(value)
        }
        ids = keptIDs
        values = keptValues
    }
}

extension Float {
    /// `expf` without Foundation: the library depends on ModelFormat only.
    var exponential: Float {
        #if canImport(Glibc)
        return Glibc.expf(self)
        #elseif canImport(Darwin)
        return Darwin.expf(self)
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

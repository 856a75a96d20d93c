import Testing
import Scheduler

@Suite("proportional split")
struct ProportionalSplitTests {
    @Test("8 KV heads over 3 equal nodes is 3/3/2")
    func threeNodes() {
        #expect(proportionalSplit(8, weights: [1, 1, 1]) == [3, 3, 2])
        #expect(consecutiveRanges(sizes: [3, 3, 2]) == [0..<3, 3..<6, 6..<8])
    }

    @Test("weights steer the shares and the total is always kept")
    func weighted() {
        #expect(proportionalSplit(30, weights: [2, 1]) == [20, 10])
        // Exact shares 1.5, 0.75, 0.75: floors 1, 0, 0, and the two spare units go to the larger remainders.
        #expect(proportionalSplit(3, weights: [8, 4, 4]) == [1, 1, 1])
        for total in 0..<50 {
            for weights in [[1.0], [1, 2], [0.3, 0.3, 0.4], [5, 1, 1, 1, 1]] {
                let shares = proportionalSplit(total, weights: weights)
                #expect(shares.reduce(0, +) == total)
                #expect(shares.allSatisfy { $0 >= 0 })
            }
        }
    }
}

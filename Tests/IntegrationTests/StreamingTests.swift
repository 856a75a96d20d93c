import Foundation
import Testing

/// A node whose share does not fit its RAM streams its layers from disk instead of failing.
@Suite("streaming under --max-ram, run as processes")
struct StreamingTests {
    /// The process's fixed overhead, which --max-ram does not cover: runtime, code, libraries,
    /// thread stacks (26 MiB for a 115 KiB model) plus SmolLM2's vocabulary and metadata.
    /// docs/performance.md shows the measurement.
    static let fixedOverhead = 40.0

    func run(_ extra: [String]) throws -> (text: String, peakMiB: Double, log: String) {
        let result = try Executables.run("dllama", ["inference", "--model", InferenceCommandTests.smolLM2,
                                                    "--prompt", "Once upon a time, in a small village,", "--steps", "24",
                                                    "--temperature", "0", "--max-seq-len", "128", "--nthreads", "2"] + extra,
                                         timeout: 180)
        #expect(result.status == 0, "\(result.stderr)")
        let peak = result.stderr.components(separatedBy: "peak RSS ").last?.split(separator: " ").first.flatMap { Double($0) } ?? .infinity
        return (result.stdout, peak, result.stderr)
    }

    @Test("a quarter of SmolLM2's weight bytes: the same tokens as resident, peak RSS within the budget plus the fixed overhead")
    func quarterBudget() throws {
        let resident = try run([])
        let streamed = try run(["--max-ram", "23M"])  // 92.1 MiB of weights / 4
        #expect(streamed.log.contains("streamed from disk"), "\(streamed.log)")
        #expect(streamed.text == resident.text)
        #expect(streamed.peakMiB <= 23 + Self.fixedOverhead, "peak RSS \(streamed.peakMiB) MiB")
        #expect(streamed.peakMiB < resident.peakMiB)
    }
}

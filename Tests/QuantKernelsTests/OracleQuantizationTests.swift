import Testing
@testable import QuantKernels

/// Our quantizers against the team oracle's writers (ports of distributed-llama's converter),
/// on the committed seeded input; see Tests/Fixtures/README.md for the command.
@Suite("Quantization matches the oracle writer byte for byte")
struct OracleQuantizationTests {
    let input: [Float]
    init() throws { input = try Paths.quantFixture("oracle_input.f32").floats }

    @Test("Q40 quantization equals oracle q40_bytes")
    func q40() throws {
        let expected = try Paths.quantFixture("oracle_q40.bin").bytes
        #expect(input.count == 37 * 32)
        #expect(quantized(input, .q40) == expected)
    }

    @Test("Q80 quantization equals oracle q80_bytes on every kernel path", arguments: KernelPath.available())
    func q80(path: KernelPath) throws {
        let expected = try Paths.quantFixture("oracle_q80.bin").bytes
        let ours = quantized(input, .q80, kernels: KernelTable(path: path))
        let firstDifference = zip(ours, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(ours == expected, "first differing byte: \(String(describing: firstDifference))")
    }
}

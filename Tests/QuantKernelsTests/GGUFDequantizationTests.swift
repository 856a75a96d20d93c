import Foundation
import Testing
import TestSupport
@testable import QuantKernels

/// Our dequantizers against the `gguf` Python package (gguf.quants.dequantize); goldens made by
/// Tests/Fixtures/make_quant_fixtures.py.
@Suite("Dequantization matches the gguf package")
struct GGUFDequantizationTests {
    static let fixtureTypes: [(file: String, type: BlockType)] = [
        ("q4_0", .q40), ("q4_1", .q41), ("q5_0", .q50), ("q5_1", .q51), ("q8_0", .q80),
        ("q4_k", .q4K), ("q5_k", .q5K), ("q6_k", .q6K),
    ]

    @Test("random blocks dequantize bit for bit as the gguf package does", arguments: fixtureTypes.map(\.file))
    func randomBlocks(file: String) throws {
        let type = Self.fixtureTypes.first { $0.file == file }!.type
        let blocks = try Paths.quantFixture("gguf_\(file).bin").bytes
        let expected = try Paths.quantFixture("gguf_\(file).f32").floats
        #expect(blocks.count == 5 * type.bytesPerBlock)
        for path in KernelPath.available() {
            let ours = dequantized(blocks, type, count: expected.count, kernels: KernelTable(path: path))
            #expect(bitPattern(ours) == bitPattern(expected), "\(type) on \(path)")
        }
    }

    struct Golden: Decodable {
        struct Tensor: Decodable {
            let name, type, firstRowsFile, bitChecksum: String
            let rows, columns, offset, bytes: Int
            let sum: Double
        }
        let file: String
        let tensors: [Tensor]
    }

    @Test("SmolLM2's Q4_1 attn_q and Q8_0 token_embd dequantize as the gguf package does", .enabled(if: Assets.present, Assets.missing))
    func smolLM2() throws {
        try checkGolden("smollm2.json")
    }

    @Test("Qwen2.5-Coder's Q5_0 attn_q, Q6_K and Q4_K ffn_down dequantize as the gguf package does", .enabled(if: Assets.present, Assets.missing))
    func qwen() throws {
        try checkGolden("qwen.json")
    }

    private func checkGolden(_ name: String) throws {
        let golden = try JSONDecoder().decode(Golden.self, from: try Paths.quantFixture(name))
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: try Paths.asset(golden.file)))
        defer { try? handle.close() }
        for tensor in golden.tensors {
            let type = try #require(["Q4_1": BlockType.q41, "Q8_0": .q80, "Q5_0": .q50, "Q4_K": .q4K, "Q6_K": .q6K][tensor.type])
            try handle.seek(toOffset: UInt64(tensor.offset))
            let data = try #require(try handle.read(upToCount: tensor.bytes))
            #expect(data.count == tensor.rows * type.rowBytes(tensor.columns))
            let firstRows = try Paths.quantFixture(tensor.firstRowsFile).floats
            for path in KernelPath.available() {
                let values = dequantizeAll(data, type, rows: tensor.rows, columns: tensor.columns, path: path)
                #expect(bitPattern(Array(values.rows.prefix(2 * tensor.columns))) == bitPattern(firstRows), "\(tensor.name) on \(path)")
                #expect(String(values.checksum) == tensor.bitChecksum, "\(tensor.name) on \(path)")
                #expect(abs(values.sum - tensor.sum) <= 1e-9 * max(1, abs(tensor.sum)), "\(tensor.name) on \(path)")
            }
        }
    }

    /// Dequantizes a whole tensor row by row, keeping its first two rows, its float64 sum and the
    /// fixture script's bit checksum sum(bits[i] * (2 i + 1)) mod 2^64.
    private func dequantizeAll(_ data: Data, _ type: BlockType, rows: Int, columns: Int, path: KernelPath)
        -> (rows: [Float], sum: Double, checksum: UInt64) {
        let kernel = KernelTable(path: path).dequantize(type)
        var row = [Float](repeating: 0, count: columns)
        var first: [Float] = []
        var sum = 0.0, checksum: UInt64 = 0
        data.withUnsafeBytes { raw in
            row.withUnsafeMutableBufferPointer { out in
                for r in 0..<rows {
                    kernel(Int32(columns), raw.baseAddress! + r * type.rowBytes(columns), out.baseAddress)
                    var index = UInt64(r * columns)
                    for v in out {
                        sum += Double(v)
                        checksum &+= UInt64(v.bitPattern) &* (2 &* index &+ 1)
                        index &+= 1
                    }
                    if r < 2 { first += out }
                }
            }
        }
        return (first, sum, checksum)
    }
}

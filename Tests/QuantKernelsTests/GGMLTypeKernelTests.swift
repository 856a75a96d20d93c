import Foundation
import Testing
import TestSupport
@testable import QuantKernels

/// The weight types QuantKernels reads but does not write: tested on seeded random blocks.
let readOnlyWeightTypes: [BlockType] = [.q50, .q51, .q4K, .q5K, .q6K]

/// Seeded random blocks of `type` (any bytes are a valid block) whose half-float scale fields are
/// set to values in ±0.05, as the fixture scripts do: random scale bits could be NaN or huge.
func randomBlocks(_ type: BlockType, count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    func next() -> UInt64 {  // SplitMix64
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    let halves: [Int] = switch type {
    case .q50, .q80, .q40: [0]
    case .q51, .q41, .q4K, .q5K: [0, 2]
    case .q6K: [208]
    default: []
    }
    var bytes = (0..<(count * type.bytesPerBlock)).map { _ in UInt8(truncatingIfNeeded: next()) }
    for block in 0..<count {
        for offset in halves {
            let value = Float16(Double(next() % 10_001) / 100_000 - 0.05).bitPattern
            bytes[block * type.bytesPerBlock + offset] = UInt8(value & 0xFF)
            bytes[block * type.bytesPerBlock + offset + 1] = UInt8(value >> 8)
        }
    }
    return bytes
}

/// Weight rows of any block type: quantized cos data where QuantKernels writes the type, else random blocks.
func weightRows(_ type: BlockType, rows: Int, columns: Int, seed: UInt64 = 1) -> [UInt8] {
    if scalarKernels.quantize(type) != nil { return quantized(cosData(rows * columns, offset: 0.8), type) }
    return randomBlocks(type, count: rows * columns / type.valuesPerBlock, seed: seed)
}

/// sum |w_i y_i| over the dequantized rows: the scale dot-product tolerances are relative to.
func dotScale(_ w: [UInt8], _ wType: BlockType, _ y: [UInt8], _ yType: BlockType, count: Int) -> Double {
    zip(dequantized(w, wType, count: count), dequantized(y, yType, count: count)).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
}

@Suite("Q5_0, Q5_1 and K-quant kernels")
struct GGMLTypeKernelTests {
    /// Block counts for `type`: odd, so unrolled loops hit their tails (fewer for 256-value blocks).
    static func blockCounts(_ type: BlockType) -> [Int] { type.valuesPerBlock == 256 ? [1, 3, 7, 19] : oddBlockCounts }

    @Test("the reference dot equals the dot of the dequantized weights and activations", arguments: readOnlyWeightTypes)
    func referenceMeaning(type: BlockType) throws {
        let activation = try #require(type.activationType)
        for blocks in Self.blockCounts(type) {
            let n = blocks * type.valuesPerBlock
            let w = randomBlocks(type, count: blocks, seed: UInt64(blocks))
            let x = quantized(cosData(n, offset: 1.7), activation)
            let exact = zip(dequantized(w, type, count: n), dequantized(x, activation, count: n))
                .reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let ours = scalarKernels.dot(weights: type)!(Int32(n), w, x)
            #expect(abs(Double(ours) - exact) <= 1e-5 * dotScale(w, type, x, activation, count: n), "\(type), \(blocks) blocks")
        }
    }

    @Test("SIMD dots agree with the reference over odd block counts", arguments: simdPaths, readOnlyWeightTypes)
    func simdDots(path: KernelPath, type: BlockType) throws {
        let simd = KernelTable(path: path), activation = try #require(type.activationType)
        for blocks in Self.blockCounts(type) {
            let n = blocks * type.valuesPerBlock
            let w = randomBlocks(type, count: blocks, seed: 7 &* UInt64(blocks))
            let x = quantized(cosData(n, offset: 0.4), activation)
            let reference = scalarKernels.dot(weights: type)!(Int32(n), w, x)
            let fast = simd.dot(weights: type)!(Int32(n), w, x)
            #expect(abs(Double(fast - reference)) <= KernelAgreementTests.dotTolerance * dotScale(w, type, x, activation, count: n),
                    "\(type), \(blocks) blocks on \(path): \(fast) vs \(reference)")
        }
    }

    @Test("Q8_K activations are byte-identical to llama.cpp's quantize_row_q8_K_ref on every path", arguments: KernelPath.available())
    func q8K(path: KernelPath) throws {
        let x = try Paths.quantFixture("ggml_q8_k_input.f32").floats
        let expected = try Paths.quantFixture("ggml_q8_k.bin").bytes
        #expect(expected.count == x.count / 256 * 292)
        #expect(quantized(x, .q8K, kernels: KernelTable(path: path)) == expected)
    }

    @Test("dots equal llama.cpp's CPU vec_dot on the same blocks", arguments: KernelPath.available(), readOnlyWeightTypes)
    func llamaCppDots(path: KernelPath, type: BlockType) throws {
        let name = ["q50": "q5_0", "q51": "q5_1", "q4K": "q4_k", "q5K": "q5_k", "q6K": "q6_k"][type.rawValue]!
        let weights = try Paths.quantFixture("ggml_dot_\(name).bin").bytes
        let expected = try Paths.quantFixture("ggml_dot_\(name).f32").floats
        let input = try Paths.quantFixture("ggml_dot_input.f32").floats
        let activation = try #require(type.activationType), kernels = KernelTable(path: path)
        let x = quantized(input, activation, kernels: kernels), n = input.count, rowBytes = type.rowBytes(n)
        #expect(weights.count == expected.count * rowBytes)
        // llama.cpp pairs Q5_1 with Q8_1 (whose block sum is a half float), we with Q80: a little looser there.
        let tolerance = type == .q51 ? 1e-4 : 1e-5
        for (r, value) in expected.enumerated() {
            let row = Array(weights[(r * rowBytes)..<((r + 1) * rowBytes)])
            let ours = kernels.dot(weights: type)!(Int32(n), row, x)
            #expect(abs(Double(ours - value)) <= tolerance * dotScale(row, type, x, activation, count: n), "\(type) row \(r) on \(path): \(ours) vs \(value)")
        }
    }

    /// The batched kernels on the same fixture: 5 tokens (a group of 4 and a single one), each the
    /// fixture's activation, every row at once.
    @Test("batched kernels equal llama.cpp's CPU vec_dot on the same blocks", arguments: simdPaths, readOnlyWeightTypes)
    func llamaCppBatches(path: KernelPath, type: BlockType) throws {
        let kernels = KernelTable(path: path)
        guard let kernel = kernels.matrixMatrix(weights: type) else { return }  // no batched kernel on this path
        let name = ["q50": "q5_0", "q51": "q5_1", "q4K": "q4_k", "q5K": "q5_k", "q6K": "q6_k"][type.rawValue]!
        let weights = try Paths.quantFixture("ggml_dot_\(name).bin").bytes
        let expected = try Paths.quantFixture("ggml_dot_\(name).f32").floats
        let input = try Paths.quantFixture("ggml_dot_input.f32").floats
        let activation = try #require(type.activationType)
        let x = quantized(input, activation, kernels: kernels), n = input.count, rowBytes = type.rowBytes(n), batch = 5
        // The token rows as the path's kernels read them: laid out by its prepare kernel, if it has one.
        let preparation = kernels.prepare(weights: type)
        let tokenBytes = preparation.map { $0.bytes(Int32(n)) } ?? x.count
        let tokens = UnsafeMutableRawPointer.allocate(byteCount: batch * tokenBytes, alignment: 64)  // [batch][tokenBytes]
        defer { tokens.deallocate() }
        x.withUnsafeBytes { xb in
            for t in 0..<batch {
                if let preparation { preparation.kernel(Int32(n), xb.baseAddress!, tokens + t * tokenBytes) }
                else { (tokens + t * tokenBytes).copyMemory(from: xb.baseAddress!, byteCount: x.count) }
            }
        }
        var out = [Float](repeating: .nan, count: batch * expected.count)  // [batch][rows]
        kernel(Int32(n), weights, rowBytes, Int32(expected.count), tokens, tokenBytes, Int32(batch), &out, expected.count)
        let tolerance = type == .q51 ? 1e-4 : 1e-5  // Q5_1: llama.cpp's Q8_1 activation, as above
        for t in 0..<batch {
            for (r, value) in expected.enumerated() {
                let row = Array(weights[(r * rowBytes)..<((r + 1) * rowBytes)])
                #expect(abs(Double(out[t * expected.count + r] - value)) <= tolerance * dotScale(row, type, x, activation, count: n),
                        "\(type) token \(t) row \(r) on \(path): \(out[t * expected.count + r]) vs \(value)")
            }
        }
    }
}

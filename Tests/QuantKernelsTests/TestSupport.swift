import Foundation
import Testing
@_exported import TestSupport
@testable import QuantKernels

extension Paths {
    static let quantFixtures = fixtures.appendingPathComponent("quant")
    static func quantFixture(_ name: String) throws -> Data { try Data(contentsOf: quantFixtures.appendingPathComponent(name)) }
}

extension Data {
    var floats: [Float] { withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } }
    var bytes: [UInt8] { [UInt8](self) }
}

/// ggml's synthetic test signal: `0.1 + 2 cos(i + offset)`.
func cosData(_ count: Int, offset: Float = 0) -> [Float] {
    (0..<count).map { 0.1 + 2 * cos(Float($0) + offset) }
}

/// Root-mean-square difference of two equally long vectors.
func rmse(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    let sum = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
    return (sum / Double(max(a.count, 1))).squareRoot()
}

/// The SIMD paths this machine can run (every one of them gets forced in the agreement tests).
let simdPaths = KernelPath.available().filter { $0 != .scalar }
let scalarKernels = KernelTable(path: .scalar)

/// Block counts the kernels are checked over: odd, so unrolled loops hit their tails.
let oddBlockCounts = [1, 3, 7, 17, 33, 129]

func quantized(_ x: [Float], _ type: BlockType, kernels: KernelTable = scalarKernels) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: type.rowBytes(x.count))
    Quantization.quantize(x, to: type, into: &out, kernels: kernels)
    return out
}

func dequantized(_ bytes: [UInt8], _ type: BlockType, count: Int, kernels: KernelTable = scalarKernels) -> [Float] {
    var out = [Float](repeating: 0, count: count)
    Quantization.dequantize(bytes, from: type, into: &out, kernels: kernels)
    return out
}

func bitPattern(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }

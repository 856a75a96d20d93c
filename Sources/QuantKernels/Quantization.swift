/// Row conversions between floats and block encodings, through the selected kernels.
///
/// ```swift
/// let x: [Float] = ...                                  // 4096 activations
/// var q = [UInt8](repeating: 0, count: BlockType.q80.rowBytes(4096))
/// Quantization.quantize(x, to: .q80, into: &q)
/// var back = [Float](repeating: 0, count: 4096)
/// Quantization.dequantize(q, from: .q80, into: &back)
/// ```
public enum Quantization {
    /// Encodes `values.count` floats (a multiple of the block size) as `type` into `output`.
    public static func quantize(_ values: UnsafeBufferPointer<Float>, to type: BlockType,
                                into output: UnsafeMutableRawBufferPointer, kernels: KernelTable = .current) {
        guard let kernel = kernels.quantize(type) else { preconditionFailure("QuantKernels cannot write \(type)") }
        precondition(output.count >= type.rowBytes(values.count), "output too small for \(values.count) \(type) values")
        kernel(Int32(values.count), values.baseAddress, output.baseAddress)
    }

    /// Decodes `output.count` values of `type` from `input`.
    public static func dequantize(_ input: UnsafeRawBufferPointer, from type: BlockType,
                                  into output: UnsafeMutableBufferPointer<Float>, kernels: KernelTable = .current) {
        precondition(input.count >= type.rowBytes(output.count), "input too small for \(output.count) \(type) values")
        kernels.dequantize(type)(Int32(output.count), input.baseAddress, output.baseAddress)
    }

    /// Array convenience for `quantize(_:to:into:)`.
    public static func quantize(_ values: [Float], to type: BlockType, into output: inout [UInt8], kernels: KernelTable = .current) {
        values.withUnsafeBufferPointer { v in
            output.withUnsafeMutableBytes { quantize(v, to: type, into: $0, kernels: kernels) }
        }
    }

    /// Array convenience for `dequantize(_:from:into:)`.
    public static func dequantize(_ input: [UInt8], from type: BlockType, into output: inout [Float], kernels: KernelTable = .current) {
        input.withUnsafeBytes { i in
            output.withUnsafeMutableBufferPointer { dequantize(i, from: type, into: $0, kernels: kernels) }
        }
    }
}

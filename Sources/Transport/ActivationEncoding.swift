import QuantKernels

/// How activation vectors travel between nodes (`--buffer-float-type`).
///
/// - `q80`: distributed-llama's default, 34 bytes per 32 values (an f16 scale and 32 int8). Cheap,
///   but one large value in a block of 32 flattens the other 31: SmolLM2's residual stream has
///   outliers near 650 that it rounds badly.
/// - `f16`: ours, 2 bytes per value, relative error below 2^-11 for every value.
/// - `f32`: exact, 4 bytes per value.
///
/// LZ4 comes on top, per frame, only when it makes the frame smaller (`FrameLink`).
public enum ActivationEncoding: String, Sendable, CaseIterable, Codable {
    case q80, f16, f32

    var blockType: BlockType {
        switch self {
        case .q80: .q80
        case .f16: .f16
        case .f32: .f32
        }
    }

    /// Encoded bytes of `count` values (for `q80`, `count` must be a multiple of 32).
    public func byteCount(_ count: Int) -> Int { blockType.rowBytes(count) }

    /// Encodes `values` into the first `byteCount(values.count)` bytes of `output`.
    public func encode(_ values: UnsafeBufferPointer<Float>, into output: UnsafeMutableRawBufferPointer,
                       kernels: KernelTable = .current) {
        Quantization.quantize(values, to: blockType, into: output, kernels: kernels)
    }

    /// Decodes `bytes`, which must hold exactly `output.count` values.
    public func decode(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>, peer: String,
                       kernels: KernelTable = .current) throws {
        let expected = byteCount(output.count)
        guard bytes.count == expected else {
            throw TransportError.payloadSize(peer: peer, what: "\(self) activations for \(output.count) values", expected: expected, got: bytes.count)
        }
        Quantization.dequantize(bytes, from: blockType, into: output, kernels: kernels)
    }

    var code: UInt8 {
        switch self {
        case .q80: 0
        case .f16: 1
        case .f32: 2
        }
    }

    init?(code: UInt8) {
        switch code {
        case 0: self = .q80
        case 1: self = .f16
        case 2: self = .f32
        default: return nil
        }
    }
}

extension ActivationEncoding {
    /// `values` encoded into `bytes` (grown as needed); the encoding is valid until `bytes` is reused.
    func encode(_ values: UnsafeMutableBufferPointer<Float>, reusing bytes: Bytes, kernels: KernelTable) -> UnsafeRawBufferPointer {
        let count = byteCount(values.count)
        bytes.ensure(count)
        let destination = bytes.raw(count)
        encode(UnsafeBufferPointer(values), into: destination, kernels: kernels)
        return UnsafeRawBufferPointer(destination)
    }
}

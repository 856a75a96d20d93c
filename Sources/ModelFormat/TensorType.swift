/// The element encodings a tensor can have, with their GGML type ids: the one table of GGML block
/// geometry in this project (QuantKernels' `BlockType` takes its sizes from here, and its
/// `KernelTable` holds each type's kernels, as GGML's type traits and CPU type traits do).
///
/// Quantized types store a row as blocks of `blockSize` consecutive values taking `blockBytes`
/// bytes each; a block never straddles two rows, so a row length must be a multiple of the block
/// size. Sizes follow `ggml-common.h` (and gguf-py's `GGML_QUANT_SIZES`).
public enum TensorType: UInt32, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    case q2_K = 10
    case q3_K = 11
    case q4_K = 12
    case q5_K = 13
    case q6_K = 14
    /// Activations only: what K-quant weights are dotted with (never stored as a model's weights).
    case q8_K = 15
    case bf16 = 30

    /// Values per block (1 for plain floats).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K: return 256
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18   // f16 d, u8 qs[16]
        case .q4_1: return 20   // f16 d, f16 m, u8 qs[16]
        case .q5_0: return 22   // f16 d, u8 qh[4], u8 qs[16]
        case .q5_1: return 24   // f16 d, f16 m, u8 qh[4], u8 qs[16]
        case .q8_0: return 34   // f16 d, i8 qs[32]
        case .q2_K: return 84   // u8 scales[16], u8 qs[64], f16 d, f16 dmin
        case .q3_K: return 110  // u8 hmask[32], u8 qs[64], u8 scales[12], f16 d
        case .q4_K: return 144  // f16 d, f16 dmin, u8 scales[12], u8 qs[128]
        case .q5_K: return 176  // f16 d, f16 dmin, u8 scales[12], u8 qh[32], u8 qs[128]
        case .q6_K: return 210  // u8 ql[128], u8 qh[64], i8 scales[16], f16 d
        case .q8_K: return 292  // f32 d, i8 qs[256], i16 bsums[16]
        }
    }

    /// The GGML name (`Q4_0`, `F32`, ...); distributed-llama calls Q4_0 "Q40" and Q8_0 "Q80".
    public var description: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q5_0: return "Q5_0"
        case .q5_1: return "Q5_1"
        case .q8_0: return "Q8_0"
        case .q2_K: return "Q2_K"
        case .q3_K: return "Q3_K"
        case .q4_K: return "Q4_K"
        case .q5_K: return "Q5_K"
        case .q6_K: return "Q6_K"
        case .q8_K: return "Q8_K"
        }
    }

    /// Bytes taken by `count` consecutive values, or nil when `count` is not a whole number of
    /// blocks or the size overflows.
    public func byteCount(elements count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }

    /// The `.m` header's weight float type (key 13): 0 F32, 1 F16, 2 Q40, 3 Q80.
    public init?(dllamaFloatType code: Int) {
        switch code {
        case 0: self = .f32
        case 1: self = .f16
        case 2: self = .q4_0
        case 3: self = .q8_0
        default: return nil
        }
    }

    public var dllamaFloatType: Int? {
        switch self {
        case .f32: return 0
        case .f16: return 1
        case .q4_0: return 2
        case .q8_0: return 3
        default: return nil
        }
    }

    /// A readable name for a GGML type id this enum does not cover (for error messages).
    static func name(ofGGMLType id: UInt32) -> String {
        if let known = TensorType(rawValue: id) { return known.description }
        let others: [UInt32: String] = [
            4: "Q4_2 (removed from GGML)", 5: "Q4_3 (removed from GGML)", 9: "Q8_1",
            16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S",
            22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64",
            29: "IQ1_M", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
        ]
        return others[id].map { "\($0) (GGML type \(id))" } ?? "GGML type \(id)"
    }
}

extension CodingUserInfoKey {
    /// `true` in an encoder's `userInfo` writes tensor types by name (`"Q4_1"`) instead of their
    /// GGML ids (`3`): JSON for people and scripts (`dllama inspect --json`). Decoding reads both.
    public static let tensorTypeNames = CodingUserInfoKey(rawValue: "dllama.tensorTypeNames")!
}

extension TensorType {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let id = try? container.decode(UInt32.self) {
            guard let type = TensorType(rawValue: id) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(TensorType.name(ofGGMLType: id)) is not a tensor type dllama reads")
            }
            self = type
        } else {
            let name = try container.decode(String.self)
            guard let type = TensorType.allCases.first(where: { $0.description == name }) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(name) is not a tensor type dllama reads")
            }
            self = type
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if encoder.userInfo[.tensorTypeNames] as? Bool == true {
            try container.encode(description)
        } else {
            try container.encode(rawValue)
        }
    }
}

import Foundation

/// Header keys of a distributed-llama `.m` file (formats.md section 1). Every value is an i32.
public enum DllamaHeaderKey: Int32, CaseIterable, Sendable, CustomStringConvertible {
    case version = 0
    case architecture = 1
    case dim = 2
    case hiddenDim = 3
    case layerCount = 4
    case headCount = 5
    case kvHeadCount = 6
    case expertCount = 7
    case activeExpertCount = 8
    case vocabSize = 9
    case maxSeqLen = 10
    case hiddenActivation = 11
    case ropeTheta = 12
    case weightFloatType = 13
    case ropeScalingFactor = 14
    case ropeScalingLowFrequencyFactor = 15
    case ropeScalingHighFrequencyFactor = 16
    case ropeScalingOriginalMaxSeqLen = 17
    case ropeType = 18
    case headDim = 19
    case normEpsilon = 20
    case expertHiddenDim = 21

    /// The converter's name for the key, used in error messages.
    public var description: String {
        ["version", "arch_type", "dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "n_experts",
         "n_active_experts", "vocab_size", "max_seq_len", "hidden_act", "rope_theta", "weights_float_type",
         "rope_scaling_factor", "rope_scaling_low_freq_factor", "rope_scaling_high_freq_factor",
         "rope_scaling_orig_max_seq_len", "rope_type", "head_dim", "norm_epsilon", "moe_hidden_dim"][Int(rawValue)]
    }
}

/// The key/value header of a `.m` file, in file order (the order matters for byte-exact rewrites).
public struct DllamaHeader: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var key: DllamaHeaderKey
        public var value: Int32
        public init(_ key: DllamaHeaderKey, _ value: Int32) {
            self.key = key
            self.value = value
        }
    }

    static let magic: Int32 = 0x0A00_ABCD
    /// The magic of a distributed-llama tokenizer file (`.t`), recognised to say so.
    static let tokenizerMagic: Int32 = 0x0056_7124
    /// Magics of the old, unsupported distributed-llama formats.
    static let legacyMagics: Set<Int32> = [0xABCD00, 0xABCD01]

    static let architectureCodes: [Architecture: Int32] = [.llama: 0xABCD00, .qwen3: 0xABCD01, .qwen3MoE: 0xABCD02]

    public var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    public subscript(key: DllamaHeaderKey) -> Int32? {
        entries.first { $0.key == key }?.value
    }

    /// Header size in bytes, counting the magic and the size field.
    public var byteCount: Int { 8 + 8 * entries.count }

    /// The header bytes as they appear at the start of the file.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(byteCount)
        func put(_ value: Int32) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        put(Self.magic)
        put(Int32(byteCount))
        for entry in entries {
            put(entry.key.rawValue)
            put(entry.value)
        }
        return out
    }

    /// Reads the header at the start of `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws -> DllamaHeader {
        var cursor = ByteCursor(bytes, path: path)
        let magic = try cursor.read(Int32.self, "the magic number")
        if legacyMagics.contains(magic) {
            throw ModelFormatError.unsupportedVersion(path: path, format: "distributed-llama model (old format, magic 0x\(String(magic, radix: 16)))", version: Int(magic & 0xFF))
        }
        if magic == tokenizerMagic { throw ModelFormatError.tokenizerNotModel(path: path) }
        guard magic == Self.magic else {
            throw ModelFormatError.notAModelFile(path: path, reason: "it starts with \(hex(bytes.prefix(4))), not a .m or GGUF magic")
        }
        let size = Int(try cursor.read(Int32.self, "the header size"))
        guard size >= 8, (size - 8) % 8 == 0 else {
            throw ModelFormatError.invalidHeader(path: path, reason: "header size \(size) is not 8 + 8 * keys")
        }
        try cursor.require(size - 8, for: "the \((size - 8) / 8)-key header")
        var entries: [Entry] = []
        for _ in 0..<((size - 8) / 8) {
            let rawKey = try cursor.read(Int32.self, "a header key")
            let value = try cursor.read(Int32.self, "a header value")
            guard let key = DllamaHeaderKey(rawValue: rawKey) else {
                throw ModelFormatError.unknownHeaderKey(path: path, key: Int(rawKey))
            }
            guard !entries.contains(where: { $0.key == key }) else {
                throw ModelFormatError.invalidHeader(path: path, reason: "key \(key) appears twice")
            }
            entries.append(Entry(key, value))
        }
        return DllamaHeader(entries: entries)
    }

    /// The header distributed-llama's `convert-hf.py` writes for `model`, in its key order.
    public init(model: ModelDescription) throws {
        guard let arch = Self.architectureCodes[model.architecture] else {
            throw ModelFormatError.invalidSlice(tensor: "header", reason: "a .m file cannot hold a \(model.architecture.rawValue) model")
        }
        guard let floatType = model.weightType.dllamaFloatType else {
            throw ModelFormatError.invalidSlice(tensor: "header", reason: "a .m file cannot hold \(model.weightType) weights (F32, F16, Q40 or Q80 only)")
        }
        let isQwen = model.architecture != .llama
        var e: [Entry] = [
            Entry(.version, 0), Entry(.architecture, arch),
            Entry(.hiddenActivation, model.activation == .gelu ? 0 : 1),
            Entry(.dim, Int32(model.dim)), Entry(.hiddenDim, Int32(model.hiddenDim)),
            Entry(.layerCount, Int32(model.layerCount)), Entry(.headCount, Int32(model.headCount)),
            Entry(.kvHeadCount, Int32(model.kvHeadCount)), Entry(.weightFloatType, Int32(floatType)),
            Entry(.maxSeqLen, Int32(model.maxSeqLen)), Entry(.vocabSize, Int32(model.vocabSize)),
            Entry(.expertCount, Int32(model.expertCount)), Entry(.activeExpertCount, Int32(model.activeExpertCount)),
            Entry(.ropeTheta, Int32(model.ropeTheta)),
        ]
        if let scaling = model.ropeScaling, scaling.kind == .llama3 {
            e += [Entry(.ropeScalingFactor, Int32(scaling.factor)),
                  Entry(.ropeScalingLowFrequencyFactor, Int32(scaling.lowFrequencyFactor)),
                  Entry(.ropeScalingHighFrequencyFactor, Int32(scaling.highFrequencyFactor)),
                  Entry(.ropeScalingOriginalMaxSeqLen, Int32(scaling.originalContextLength)),
                  Entry(.ropeType, 2)]
        }
        if isQwen || model.headDim * model.headCount != model.dim {
            e.append(Entry(.headDim, Int32(model.headDim)))
        }
        e.append(Entry(.normEpsilon, Int32((-log10(Double(model.normEpsilon))).rounded())))
        if model.isMoE {
            e.append(Entry(.expertHiddenDim, Int32(model.expertHiddenDim)))
        }
        entries = e
    }

    /// The model this header describes.
    func model(path: String) throws -> ModelDescription {
        func required(_ key: DllamaHeaderKey) throws -> Int {
            guard let value = self[key] else { throw ModelFormatError.missingMetadata(path: path, key: "\(key) (key \(key.rawValue))") }
            return Int(value)
        }
        let archCode = try required(.architecture)
        guard let architecture = Self.architectureCodes.first(where: { Int($0.value) == archCode })?.key else {
            throw ModelFormatError.unsupportedArchitecture(path: path, architecture: "0x\(String(archCode, radix: 16, uppercase: true))")
        }
        let floatCode = try required(.weightFloatType)
        guard let weightType = TensorType(dllamaFloatType: floatCode) else {
            throw ModelFormatError.invalidHeader(path: path, reason: "weights_float_type \(floatCode) is not 0 (F32), 1 (F16), 2 (Q40) or 3 (Q80)")
        }
        let dim = try required(.dim)
        let headCount = try required(.headCount)
        let activation: Activation
        switch self[.hiddenActivation] ?? 1 {
        case 0: activation = .gelu
        case 1: activation = .silu
        case let other: throw ModelFormatError.invalidHeader(path: path, reason: "hidden_act \(other) is not 0 (GELU) or 1 (SiLU)")
        }
        let ropeStyle: RopeStyle
        switch self[.ropeType] {
        case nil: ropeStyle = architecture == .llama ? .adjacentPairs : .neox
        case 0, 2: ropeStyle = architecture == .llama ? .adjacentPairs : .neox
        case 1: ropeStyle = .neox
        case let other?: throw ModelFormatError.invalidHeader(path: path, reason: "rope_type \(other) is not 0, 1 or 2")
        }
        var scaling: RopeScaling?
        if let factor = self[.ropeScalingFactor], factor != 1, factor != 0 {
            scaling = RopeScaling(
                kind: .llama3, factor: Float(factor),
                lowFrequencyFactor: Float(self[.ropeScalingLowFrequencyFactor] ?? 1),
                highFrequencyFactor: Float(self[.ropeScalingHighFrequencyFactor] ?? 4),
                originalContextLength: Int(self[.ropeScalingOriginalMaxSeqLen] ?? 8192))
        }
        let epsilonExponent = Int(self[.normEpsilon] ?? 5)
        guard (1...12).contains(epsilonExponent) else {
            throw ModelFormatError.invalidHeader(path: path, reason: "norm_epsilon \(epsilonExponent) is not an exponent 1...12 (5 means 1e-5)")
        }
        let model = ModelDescription(
            architecture: architecture, dim: dim, hiddenDim: try required(.hiddenDim),
            layerCount: try required(.layerCount), headCount: headCount,
            kvHeadCount: try required(.kvHeadCount),
            headDim: self[.headDim].map(Int.init) ?? (headCount > 0 ? dim / headCount : 0),
            vocabSize: try required(.vocabSize), maxSeqLen: try required(.maxSeqLen),
            expertCount: Int(self[.expertCount] ?? 0), activeExpertCount: Int(self[.activeExpertCount] ?? 0),
            expertHiddenDim: Int(self[.expertHiddenDim] ?? 0), activation: activation,
            ropeTheta: Float(self[.ropeTheta] ?? 10000), ropeStyle: ropeStyle, ropeScaling: scaling,
            normEpsilon: Float(pow(10.0, Double(-epsilonExponent))), weightType: weightType, tiedEmbedding: false)
        try model.validate(path: path)
        if model.isMoE != (architecture == .qwen3MoE) {
            throw ModelFormatError.invalidHeader(path: path, reason: "n_experts \(model.expertCount) does not fit architecture \(architecture.rawValue)")
        }
        return model
    }
}

func hex(_ bytes: some Collection<UInt8>) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")
}

import Foundation
import ModelFormat
import Tokenizer

/// A GGUF model mapped onto the `.m` layout.
///
/// `llama` GGUFs already hold q/k rows in adjacent-pair order (llama.cpp's converter permuted
/// them), so rows are copied as stored; `qwen3` and `qwen3moe` use NeoX RoPE, which needs no
/// permutation; stacked experts (`ffn_gate_exps`) are split into one `.m` tensor per expert.
/// Refused: `qwen2` (q/k/v biases), any other bias tensor, linear and YaRN RoPE scaling, and a
/// `rope_freqs` tensor that is not Llama 3.1 scaling with integer parameters.
enum GGUFModel {
    static func source(_ file: ModelFile) throws -> ConversionSource {
        guard let gguf = file.gguf else {
            throw ConverterError.notAnInput(path: file.path, reason: "already a distributed-llama .m file")
        }
        let path = file.path
        var model = file.model
        var notes: [String] = []
        func refuse(_ what: String, _ reason: String) -> ConverterError {
            .cannotConvertFaithfully(path: path, what: what, reason: reason)
        }
        if model.architecture == .qwen2 {
            throw refuse("a qwen2 model", "its q/k/v projections have biases (blk.N.attn_q.bias, ...), and a .m file has no bias tensors")
        }
        if let bias = file.tensors.first(where: { $0.name.hasSuffix(".bias") }) {
            throw refuse("tensor \(bias.name)", "a .m file has no bias tensors")
        }
        if let scaling = model.ropeScaling {
            throw refuse("\(scaling.kind.rawValue) RoPE scaling (factor \(scaling.factor))", "the engine implements Llama 3.1's frequency scaling only")
        }
        try checkPowerOfTen(Double(model.normEpsilon)) { refuse("norm epsilon \(model.normEpsilon)", $0) }
        guard model.ropeTheta >= 1, model.ropeTheta.rounded() == model.ropeTheta, Double(model.ropeTheta) <= Double(Int32.max) else {
            throw refuse("rope theta \(model.ropeTheta)", "the .m header stores it as a 32-bit integer")
        }
        if let frequencies = file["rope_freqs"] {
            let divisors = try Self.floats(of: frequencies, in: file)
            guard let scaling = Llama3RopeScaling.infer(divisors: divisors, headDim: model.headDim, theta: Double(model.ropeTheta)) else {
                throw refuse("the rope_freqs tensor", "its frequency divisors are not Llama 3.1 scaling with integer factors, the only kind a .m header can state")
            }
            model.ropeScaling = scaling
            notes.append("rope_freqs is Llama 3.1 scaling: factor \(Int(scaling.factor)), low \(Int(scaling.lowFrequencyFactor)), high \(Int(scaling.highFrequencyFactor)), original context \(scaling.originalContextLength) (written as header keys)")
        }

        var tensors: [String: SourceTensor] = [:]
        var used: Set<String> = ["rope_freqs"]
        for name in try model.dllamaTensorNames() {
            let stable = StableName(name)
            if let layer = stable.layer, let expert = stable.expert {
                let stacked = try file.tensor("blk.\(layer).\(stable.role)_exps")
                let matrix = try stacked.matrix(at: expert)
                tensors[name] = SourceTensor(name: matrix.tensor, file: file.mapping, type: matrix.type, typeName: matrix.type.description,
                                             shape: [matrix.rows, matrix.columns], offset: matrix.offset, rowBytes: matrix.rowBytes)
                used.insert(stacked.name)
                continue
            }
            let info = name == "output" && model.tiedEmbedding ? try file.tensor("token_embd") : try file.tensor(name)
            tensors[name] = SourceTensor(name: info.name, file: file.mapping, type: info.type, typeName: info.type.description,
                                         shape: info.shape.count == 1 ? info.shape : [info.rowCount, info.rowLength],
                                         offset: info.offset, rowBytes: info.rowBytes)
            used.insert(info.name)
        }
        if let extra = file.tensors.first(where: { !used.contains($0.name) }) {
            throw ConverterError.unexpectedTensor(path: path, tensor: extra.name)
        }
        var vocabulary: TokenTable?
        if gguf.metadata["tokenizer.ggml.tokens"] != nil {
            vocabulary = TokenTable(try Vocabulary(gguf: gguf, path: path))
        } else {
            notes.append("the GGUF carries no vocabulary (no tokenizer.ggml.tokens): no .t file is written")
        }
        let permuted = model.architecture == .llama ? "; q/k rows are already in adjacent-pair order (llama.cpp permuted them) and are copied as stored" : ""
        notes.insert("\(gguf.metadata["general.name"]?.string.map { "\"\($0)\", " } ?? "")GGUF v\(gguf.version)\(permuted)", at: 0)
        return ConversionSource(inputPath: path, kind: "GGUF \(model.architecture.rawValue)", model: model, tensors: tensors,
                                permutesQueryKeyRows: false, vocabulary: vocabulary, notes: notes)
    }

    /// A small F32 (or F16) vector's values.
    private static func floats(of tensor: TensorInfo, in file: ModelFile) throws -> [Float] {
        let bytes = try file.bytes(of: tensor)
        switch tensor.type {
        case .f32: return (0..<tensor.elementCount).map { Float(bitPattern: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian) }
        case .f16: return (0..<tensor.elementCount).map { Float(Float16(bitPattern: bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self).littleEndian)) }
        default: throw ConverterError.unsupportedTensorType(path: file.path, tensor: tensor.name, type: tensor.type.description)
        }
    }
}

/// Recovers Llama 3.1 RoPE scaling parameters from the frequency divisors llama.cpp stores as
/// `rope_freqs` (1 for high frequencies, `factor` for low ones, a smooth blend between).
enum Llama3RopeScaling {
    /// The integer parameters whose divisors match `divisors` to 1e-4, trying Llama 3.1's
    /// published low 1, high 4, original context 8192 first; nil when none does.
    static func infer(divisors: [Float], headDim: Int, theta: Double) -> RopeScaling? {
        guard divisors.count == headDim / 2, let largest = divisors.max(), largest >= 1, largest <= 1e6 else { return nil }
        let factor = largest.rounded()
        let contexts = [8192, 1024, 2048, 4096, 16384, 32768, 65536, 131072]
        for context in contexts {
            for low in 1...8 {
                for high in ([4] + Array(1...64)) where high > low {
                    let candidate = RopeScaling(kind: .llama3, factor: factor, lowFrequencyFactor: Float(low),
                                                highFrequencyFactor: Float(high), originalContextLength: context)
                    if matches(candidate, divisors, headDim: headDim, theta: theta) { return candidate }
                }
            }
        }
        return nil
    }

    /// Llama 3.1's rule: the divisor of pair i's frequency under `s`.
    static func divisor(pair i: Int, headDim: Int, theta: Double, _ s: RopeScaling) -> Double {
        let frequency = pow(theta, -2 * Double(i) / Double(headDim))
        let wavelength = 2 * Double.pi / frequency
        let context = Double(s.originalContextLength)
        let factor = Double(s.factor), low = Double(s.lowFrequencyFactor), high = Double(s.highFrequencyFactor)
        if wavelength < context / high { return 1 }
        if wavelength > context / low { return factor }
        let smooth = (context / wavelength - low) / (high - low)
        return 1 / ((1 - smooth) / factor + smooth)
    }

    private static func matches(_ s: RopeScaling, _ divisors: [Float], headDim: Int, theta: Double) -> Bool {
        divisors.indices.allSatisfy { abs(divisor(pair: $0, headDim: headDim, theta: theta, s) - Double(divisors[$0])) <= 1e-4 * Double(divisors[$0]) }
    }
}

/// Everything that stops a conversion, each case naming the file, the problem and what to do.
///
/// A conversion that throws leaves nothing under the output names: the files are written under
/// temporary names and moved into place only when complete. Errors about a GGUF file itself arrive
/// as `ModelFormatError`, errors about its vocabulary as `TokenizerError`, which name the file in
/// the same way.
public enum ConverterError: Error, Equatable, CustomStringConvertible, Sendable {
    case inputNotFound(path: String)
    case notAnInput(path: String, reason: String)
    case unsupportedArchitecture(path: String, architecture: String)
    /// The model has something a `.m` file or the engine cannot express (`what`), with why.
    case cannotConvertFaithfully(path: String, what: String, reason: String)
    case unsupportedTensorType(path: String, tensor: String, type: String)
    case invalidConfig(path: String, key: String, reason: String)
    case shapeMismatch(path: String, tensor: String, shape: [Int], expected: [Int], source: String)
    case missingTensor(path: String, tensor: String)
    case unexpectedTensor(path: String, tensor: String)
    case missingShard(path: String, tensorCount: Int)
    case invalidSafetensors(path: String, reason: String)
    case truncatedSafetensors(path: String, what: String, needed: Int, available: Int)
    case overlappingTensors(path: String, first: String, second: String)
    case tensorOutOfBounds(path: String, tensor: String, range: Range<Int>, dataSize: Int)
    case invalidTokenizer(path: String, reason: String)
    case outputIsInput(path: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .inputNotFound(let path):
            return "\(path): no such file or folder. Give a GGUF file or a Hugging Face folder (config.json, *.safetensors, tokenizer.json)."
        case .notAnInput(let path, let reason):
            return "\(path): cannot convert it (\(reason)). Give a GGUF file or a Hugging Face folder (config.json, *.safetensors, tokenizer.json)."
        case .unsupportedArchitecture(let path, let architecture):
            return "\(path): architecture \"\(architecture)\" cannot be converted (supported: Llama, Mistral, Qwen3, Qwen3-MoE; Qwen2 needs q/k/v biases a .m file cannot hold)."
        case .cannotConvertFaithfully(let path, let what, let reason):
            return "\(path): refusing to convert \(what): \(reason). The .m file would describe a different model; run the original file (dllama reads GGUF directly) instead."
        case .unsupportedTensorType(let path, let tensor, let type):
            return "\(path): tensor \(tensor) is \(type), which has no lossless or declared lossy conversion here (readable: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K). Convert from a checkpoint in one of those types."
        case .invalidConfig(let path, let key, let reason):
            return "\(path): \(key) \(reason). Fix config.json or use the checkpoint's original one."
        case .shapeMismatch(let path, let tensor, let shape, let expected, let source):
            return "\(path): tensor \(tensor) is shaped \(shape) but \(source) implies \(expected). The configuration and the weights do not belong together."
        case .missingTensor(let path, let tensor):
            return "\(path): tensor \(tensor) is missing. The checkpoint is incomplete or of another architecture."
        case .unexpectedTensor(let path, let tensor):
            return "\(path): tensor \(tensor) has no place in a .m file; converting without it would change the model. It belongs to a variant this converter does not know."
        case .missingShard(let path, let count):
            return "\(path): missing, but model.safetensors.index.json puts \(count) tensors in it. Download every shard of the checkpoint."
        case .invalidSafetensors(let path, let reason):
            return "\(path): not a valid safetensors file (\(reason)). The file is damaged; download it again."
        case .truncatedSafetensors(let path, let what, let needed, let available):
            return "\(path): truncated: \(what) needs \(needed) bytes but only \(available) remain. The file was cut short; download it again."
        case .overlappingTensors(let path, let first, let second):
            return "\(path): the header puts tensors \(first) and \(second) on overlapping bytes. The file is damaged; download it again."
        case .tensorOutOfBounds(let path, let tensor, let range, let dataSize):
            return "\(path): tensor \(tensor) occupies data bytes \(range.lowerBound)..<\(range.upperBound), past the end of the \(dataSize)-byte data section. The file is truncated or damaged; download it again."
        case .invalidTokenizer(let path, let reason):
            return "\(path): cannot make a .t tokenizer of it (\(reason))."
        case .outputIsInput(let path):
            return "\(path): the output would replace the input. Choose another --output (or --tokenizer-output)."
        case .cannotWrite(let path, let reason):
            return "\(path): cannot write it (\(reason)). Check that the folder exists and is writable, and that the disk has room."
        }
    }
}

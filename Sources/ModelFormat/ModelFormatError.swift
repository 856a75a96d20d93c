/// Everything that can be wrong with a model file, each case naming the file and the problem.
///
/// The `description` is written for the person at the terminal: it says what was found, what was
/// expected, and what to do about it.
public enum ModelFormatError: Error, Equatable, CustomStringConvertible, Sendable {
    case fileNotFound(path: String)
    case isDirectory(path: String)
    /// A distributed-llama tokenizer (`.t`) where a model was expected.
    case tokenizerNotModel(path: String)
    case unreadable(path: String, reason: String)
    case notAModelFile(path: String, reason: String)
    case unsupportedVersion(path: String, format: String, version: Int)
    case truncated(path: String, what: String, needed: Int, available: Int)
    case trailingBytes(path: String, expectedSize: Int, actualSize: Int)
    case unknownHeaderKey(path: String, key: Int)
    case invalidHeader(path: String, reason: String)
    case missingMetadata(path: String, key: String)
    case unsupportedArchitecture(path: String, architecture: String)
    case tensorOutOfBounds(path: String, tensor: String, range: Range<Int>, fileSize: Int)
    case unsupportedTensorType(path: String, tensor: String, type: String)
    case invalidTensor(path: String, tensor: String, reason: String)
    case missingTensor(path: String, tensor: String)
    case invalidSlice(tensor: String, reason: String)
    /// RoPE scaling the engine does not implement (GGUF `rope.scaling.type` linear or yarn).
    case unsupportedRopeScaling(path: String, kind: String, factor: Float)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file. Check the path, or fetch the model first (make assets fetches the test models)."
        case .isDirectory(let path):
            return "\(path) is a directory, not a file: give the path of the model or tokenizer file itself (.m, .t or .gguf)."
        case .tokenizerNotModel(let path):
            return "\(path) is a distributed-llama tokenizer file (.t), not a model: give it as the tokenizer, and the .m file as the model."
        case .unreadable(let path, let reason):
            return "\(path): cannot be read (\(reason)). Check its permissions and that it is a regular file."
        case .notAModelFile(let path, let reason):
            return "\(path): not a model file (\(reason)). dllama reads distributed-llama .m files and GGUF files."
        case .unsupportedVersion(let path, let format, let version):
            return "\(path): \(format) version \(version) is not supported. Re-convert the model with a current converter."
        case .truncated(let path, let what, let needed, let available):
            let size = needed == Int.max ? "more bytes than any file holds" : "\(needed) bytes"
            return "\(path): truncated: \(what) needs \(size) but only \(available) remain. The file is damaged or was cut short while copying; copy it again."
        case .trailingBytes(let path, let expected, let actual):
            return "\(path): the header and tensors add up to \(expected) bytes but the file has \(actual) (\(actual - expected) extra). The file is damaged or was written by an incompatible converter."
        case .unknownHeaderKey(let path, let key):
            return "\(path): unknown header key \(key). The file is damaged or comes from a newer converter than this dllama supports."
        case .invalidHeader(let path, let reason):
            return "\(path): invalid header: \(reason)."
        case .missingMetadata(let path, let key):
            return "\(path): required metadata key \(key) is missing. The file is incomplete or not a language model."
        case .unsupportedArchitecture(let path, let architecture):
            return "\(path): architecture \"\(architecture)\" is not supported (supported: llama, qwen2, qwen3, qwen3moe)."
        case .tensorOutOfBounds(let path, let tensor, let range, let fileSize):
            return "\(path): tensor \(tensor) occupies bytes \(range.lowerBound)..<\(range.upperBound), beyond the end of the \(fileSize)-byte file. The file is truncated or damaged; copy it again."
        case .unsupportedTensorType(let path, let tensor, let type):
            return "\(path): tensor \(tensor) has type \(type), which dllama cannot read. Re-quantize the model to Q4_0, Q4_1, Q8_0, a K-quant, F16 or F32."
        case .invalidTensor(let path, let tensor, let reason):
            return "\(path): tensor \(tensor) is invalid: \(reason)."
        case .missingTensor(let path, let tensor):
            return "\(path): tensor \(tensor) is missing. The file is incomplete or of an unexpected architecture."
        case .invalidSlice(let tensor, let reason):
            return "cannot slice tensor \(tensor): \(reason)."
        case .unsupportedRopeScaling(let path, let kind, let factor):
            return "\(path): the model uses \(kind) RoPE scaling (factor \(factor)), which dllama does not implement: running it would give wrong text. Only Llama 3.1's frequency scaling is supported; use a model without \(kind) scaling."
        }
    }
}

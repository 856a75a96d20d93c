/// Everything that can be wrong with a tokenizer source, each case naming the file and saying what
/// to do. Errors about the file itself (missing, cut short) from the GGUF reader arrive as
/// `ModelFormatError`, which names the file in the same way.
public enum TokenizerError: Error, Equatable, CustomStringConvertible, Sendable {
    case notATokenizerFile(path: String, reason: String)
    case truncated(path: String, what: String, needed: Int, available: Int)
    case invalidVocabulary(path: String, reason: String)
    case missingVocabulary(path: String, key: String)
    case unsupportedModel(path: String, model: String)
    case unknownPreTokenizer(path: String, name: String)
    case modelCarriesNoVocabulary(path: String)
    case unknownChatTemplate(name: String)
    case noChatTemplate(path: String)
    /// The template's special tokens are not in the vocabulary (`llama3` on a ChatML model).
    case chatTemplateTokensMissing(path: String, template: String, missing: [String])
    /// A tokenizer of another model: its token count does not fit the model's vocabulary rows.
    case mismatchedModel(path: String, tokens: Int, vocabularyRows: Int)

    public var description: String {
        switch self {
        case .notATokenizerFile(let path, let reason):
            return "\(path): not a tokenizer (\(reason)). Give a distributed-llama .t file or a GGUF file that carries tokenizer.ggml.* metadata."
        case .truncated(let path, let what, let needed, let available):
            return "\(path): truncated: \(what) needs \(needed) bytes but only \(available) remain. The file was cut short while copying; copy it again."
        case .invalidVocabulary(let path, let reason):
            return "\(path): invalid vocabulary: \(reason). The file is damaged or was written by an incompatible converter."
        case .missingVocabulary(let path, let key):
            return "\(path): metadata key \(key) is missing, so the file carries no usable tokenizer. Use the model's .t file, or a GGUF converted with its tokenizer."
        case .unsupportedModel(let path, let model):
            return "\(path): tokenizer model \"\(model)\" is not supported (supported: llama = sentencepiece, gpt2 = byte-level BPE)."
        case .unknownPreTokenizer(let path, let name):
            return "\(path): pre-tokenizer \"\(name)\" (tokenizer.ggml.pre) is not supported (supported: \(PreTokenizerFamily.allCases.map(\.rawValue).joined(separator: ", "))). Its splitting rules are unknown here, and guessing would give the model text it was not trained on."
        case .modelCarriesNoVocabulary(let path):
            return "\(path) is a distributed-llama .m file, which carries no vocabulary: its tokenizer is the .t file converted with it."
        case .unknownChatTemplate(let name):
            return "unknown chat template \"\(name)\" (known: \(ChatTemplateFamily.allCases.map(\.rawValue).joined(separator: ", ")))."
        case .noChatTemplate(let path):
            return "\(path): the tokenizer has no chat template, or none dllama recognises. Name one (\(ChatTemplateFamily.allCases.map(\.rawValue).joined(separator: ", ")))."
        case .chatTemplateTokensMissing(let path, let template, let missing):
            return "\(path): the \(template) chat template needs the special tokens \(missing.joined(separator: " ")), which this vocabulary does not have: the model was not trained on that format. Use the model's own template."
        case .mismatchedModel(let path, let tokens, let rows):
            return "the tokenizer (\(path)) has \(tokens) tokens but the model has \(rows) vocabulary rows: they do not belong together. Use the model's own tokenizer."
        }
    }
}

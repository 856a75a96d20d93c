/// The chat formats dllama knows, by the name `--chat-template` takes.
public enum ChatTemplateFamily: String, CaseIterable, Sendable {
    case llama2
    case llama3
    case chatml
    case qwen
    case deepseek3
}

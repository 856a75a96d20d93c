/// The chat formats dllama knows, by the name `--chat-template` takes.
///
/// There is no Jinja engine here: the family is recognised from markers in the template source
/// (as llama.cpp's `llm_chat_detect_template` does) and the format is written in Swift.
public enum ChatTemplateFamily: String, CaseIterable, Sendable {
    /// `<s>[INST] <<SYS>>\n...\n<</SYS>>\n\nuser [/INST] assistant </s>` (Llama 2 chat).
    case llama2
    /// `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>` (Llama 3.x).
    case llama3
    /// `<|im_start|>role\ncontent<|im_end|>\n` (SmolLM, many fine-tunes).
    case chatml
    /// ChatML as Qwen2/2.5 templates write it (a default system prompt, tool markup).
    case qwen
    /// `<｜User｜>content<｜Assistant｜>content<｜end▁of▁sentence｜>` (DeepSeek V3/R1).
    case deepseek3

    /// The family a template source belongs to, or nil if it has no known markers.
    public init?(detectingFrom source: String) {
        if source.contains("<｜Assistant｜>") || source.contains("<｜User｜>") {
            self = .deepseek3
        } else if source.contains("<|start_header_id|>") && source.contains("<|end_header_id|>") {
            self = .llama3
        } else if source.contains("<|im_start|>") {
            // Qwen's own templates name the model or carry its tool-call markup; other ChatML
            // templates (SmolLM2, the qwen2 test vocabulary) format messages the same way.
            let qwenMarkers = ["Qwen", "<tool_call>", "<tool_response>"]
            self = qwenMarkers.contains(where: source.contains) ? .qwen : .chatml
        } else if source.contains("[INST]") {
            self = .llama2
        } else {
            return nil
        }
    }
}

extension ChatTemplateFamily {
    /// The special tokens the family's prompts are made of, besides BOS and EOS: a vocabulary
    /// without them would split them into characters and the model would read nonsense.
    public var specialTokens: [String] {
        switch self {
        case .llama2: []
        case .llama3: ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
        case .chatml, .qwen: ["<|im_start|>", "<|im_end|>"]
        case .deepseek3: ["<｜User｜>", "<｜Assistant｜>", "<｜end▁of▁sentence｜>"]
        }
    }
}

extension ChatTemplateFamily {
    /// The family `name` (`--chat-template NAME`), or `TokenizerError.unknownChatTemplate`: a
    /// tool checks the name this way before it loads anything.
    public static func named(_ name: String) throws -> ChatTemplateFamily {
        guard let family = ChatTemplateFamily(rawValue: name) else { throw TokenizerError.unknownChatTemplate(name: name) }
        return family
    }
}

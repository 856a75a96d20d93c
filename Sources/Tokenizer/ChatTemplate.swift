/// Formats a conversation into the prompt text a chat model was trained on.
///
/// The text contains the special tokens as text (`<|im_start|>`, the BOS text...): encode it with
/// `Tokenizer.encodeChat`, which parses special tokens, or `encode(_:parseSpecialTokens: true)`.
/// The generation prompt (the assistant's header) comes once, at the end, and only when asked.
///
/// ```swift
/// let template = try tokenizer.chatTemplate()            // detected from the file
/// let text = template.render([.init(.user, "Hi")], bosToken: "<|begin_of_text|>", eosToken: "<|eot_id|>")
/// ```
public struct ChatTemplate: Sendable, Equatable {
    public var family: ChatTemplateFamily
    /// The system prompt the template inserts when the conversation has none (ChatML and Qwen
    /// templates carry one), taken from the template source.
    public var defaultSystemPrompt: String?
    /// Llama 3.1 and later open every conversation with a system header holding
    /// "Cutting Knowledge Date: December 2023" and "Today Date: ..." before the system message.
    public var knowledgeDatePreamble: Bool
    /// The "Today Date" of that preamble, as the template formats it (`strftime("%d %b %Y")`).
    /// The templates' own default when the renderer supplies no date is "26 Jul 2024".
    public var todayDate: String
    /// Qwen3 templates drop the `<think>...</think>` block of assistant turns that come before the
    /// latest user message: the model sees its earlier answers without their reasoning.
    public var dropsEarlierReasoning: Bool

    public init(family: ChatTemplateFamily, defaultSystemPrompt: String? = nil, knowledgeDatePreamble: Bool = false,
                todayDate: String = "26 Jul 2024", dropsEarlierReasoning: Bool = false) {
        self.family = family
        self.defaultSystemPrompt = defaultSystemPrompt
        self.knowledgeDatePreamble = knowledgeDatePreamble
        self.todayDate = todayDate
        self.dropsEarlierReasoning = dropsEarlierReasoning
    }

    /// The template of a Jinja source, or nil if its family is not recognised.
    public init?(source: String) {
        guard let family = ChatTemplateFamily(detectingFrom: source) else { return nil }
        self.init(family: family, defaultSystemPrompt: Self.defaultSystemPrompt(in: source),
                  knowledgeDatePreamble: family == .llama3 && source.contains("Cutting Knowledge Date"),
                  dropsEarlierReasoning: (family == .qwen || family == .chatml) && source.contains("</think>"))
    }

    /// The prompt text of `messages`, ending with the assistant's header when `addGenerationPrompt`.
    public func render(_ messages: [ChatMessage], bosToken: String, eosToken: String, addGenerationPrompt: Bool = true) -> String {
        switch family {
        case .llama2: return renderLlama2(messages, bosToken: bosToken, eosToken: eosToken)
        case .llama3: return renderLlama3(messages, bosToken: bosToken, addGenerationPrompt: addGenerationPrompt)
        case .chatml, .qwen: return renderChatML(messages, addGenerationPrompt: addGenerationPrompt)
        case .deepseek3: return renderDeepSeek3(messages, bosToken: bosToken, addGenerationPrompt: addGenerationPrompt)
        }
    }

    /// The literal after `<|im_start|>system\n` in a branch that writes a fixed system message,
    /// e.g. `{{ '<|im_start|>system\nYou are a helpful assistant<|im_end|>\n' }}`. An occurrence
    /// followed by template code (`' + messages[0]['content']`) is the user's system message, not
    /// a default, and is skipped.
    static func defaultSystemPrompt(in source: String) -> String? {
        for opener in ["<|im_start|>system\\n", "<|im_start|>system\n"] {
            var rest = source[...]
            while let start = rest.range(of: opener) {
                rest = rest[start.upperBound...]
                guard let end = rest.range(of: "<|im_end|>") else { break }
                let literal = rest[..<end.lowerBound]
                if !literal.isEmpty, !literal.contains(where: { "'\"{}+".contains($0) }) {
                    return literal.replacingOccurrences(of: "\\n", with: "\n")
                }
            }
        }
        return nil
    }
}

extension StringProtocol {
    /// Occurrence search and replacement without Foundation (the library depends on ModelFormat only).
    func range(of needle: String) -> Range<Index>? {
        guard !needle.isEmpty else { return nil }
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(needle) {
                return index..<self.index(index, offsetBy: needle.count)
            }
            index = self.index(after: index)
        }
        return nil
    }

    func replacingOccurrences(of target: String, with replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let found = rest.range(of: target) {
            result += rest[..<found.lowerBound]
            result += replacement
            rest = rest[found.upperBound...]
        }
        result += rest
        return result
    }
}

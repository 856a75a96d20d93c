extension Tokenizer {
    /// The chat template to use: the family `name` when given (`--chat-template NAME`), otherwise
    /// the one detected from the template the file carries.
    ///
    /// ```swift
    /// let template = try tokenizer.chatTemplate(named: nil)
    /// let ids = tokenizer.encodeChat([.init(.user, "Hi")], template: template)
    /// ```
    public func chatTemplate(named name: String? = nil, path: String = "the tokenizer") throws -> ChatTemplate {
        let source = vocabulary.chatTemplateSource
        if let name {
            guard let family = ChatTemplateFamily(rawValue: name) else { throw TokenizerError.unknownChatTemplate(name: name) }
            return ChatTemplate(family: family, defaultSystemPrompt: source.flatMap(ChatTemplate.defaultSystemPrompt(in:)))
        }
        guard let source, let template = ChatTemplate(source: source) else { throw TokenizerError.noChatTemplate(path: path) }
        return template
    }

    /// The prompt tokens of a conversation: the template's text with its special tokens parsed,
    /// and BOS only where the template writes it.
    public func encodeChat(_ messages: [ChatMessage], template: ChatTemplate, addGenerationPrompt: Bool = true) -> [Int] {
        let text = template.render(messages, bosToken: vocabulary.bosID.map(vocabulary.pieceText) ?? "",
                                   eosToken: vocabulary.eosID.map(vocabulary.pieceText) ?? "",
                                   addGenerationPrompt: addGenerationPrompt)
        return encode(text, addBOS: false, parseSpecialTokens: true)
    }
}

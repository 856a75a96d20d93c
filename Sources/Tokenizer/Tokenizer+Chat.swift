extension Tokenizer {
    /// The chat template to use: the family `name` when given (`--chat-template NAME`), otherwise
    /// the one detected from the template the file carries.
    ///
    /// ```swift
    /// let template = try tokenizer.chatTemplate(named: nil)
    /// let ids = tokenizer.encodeChat([.init(.user, "Hi")], template: template)
    /// ```
    ///
    /// A template whose special tokens this vocabulary lacks (`llama3` on a ChatML model) is
    /// refused: its markers would be split into characters and the model would answer garbage.
    public func chatTemplate(named name: String? = nil, path: String = "the tokenizer") throws -> ChatTemplate {
        let source = vocabulary.chatTemplateSource
        let template: ChatTemplate
        if let name {
            let family = try ChatTemplateFamily.named(name)
            template = ChatTemplate(family: family, defaultSystemPrompt: source.flatMap(ChatTemplate.defaultSystemPrompt(in:)))
        } else {
            guard let source, let detected = ChatTemplate(source: source) else { throw TokenizerError.noChatTemplate(path: path) }
            template = detected
        }
        let missing = template.family.specialTokens.filter { vocabulary.id(ofSpecial: $0) == nil }
        if !missing.isEmpty {
            throw TokenizerError.chatTemplateTokensMissing(path: path, template: template.family.rawValue, missing: missing)
        }
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

extension Tokenizer {
    /// The prompt of as much of a conversation as fits in `limit` tokens: the oldest messages
    /// after the system message are left out first, a whole exchange at a time, so that what
    /// remains still starts with a user message. `droppedMessages` counts those left out (they
    /// follow the system message, if any); nil when even the last exchange does not fit.
    ///
    /// ```swift
    /// guard let (ids, dropped) = tokenizer.encodeChat(messages, template: template, fitting: 4096 - 512) else { ... }
    /// messages.removeSubrange(1..<(1 + dropped))   // with a system message first
    /// ```
    public func encodeChat(_ messages: [ChatMessage], template: ChatTemplate, fitting limit: Int) -> (ids: [Int], droppedMessages: Int)? {
        let system = messages.first?.role == .system ? 1 : 0
        var dropped = 0
        while true {
            let kept = Array(messages[..<system]) + messages[(system + dropped)...]
            let ids = encodeChat(kept, template: template)
            if ids.count <= limit { return (ids, dropped) }
            // Leave out the oldest message and everything up to the next user message.
            var next = system + dropped + 1
            while next < messages.count && messages[next].role != .user { next += 1 }
            guard next < messages.count else { return nil }
            dropped = next - system
        }
    }
}

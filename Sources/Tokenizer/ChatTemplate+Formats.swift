/// One function per family, each mirroring the reference Jinja template named in its comment.
/// The tests render those templates with jinja2 and compare (Tests/Fixtures/tokenizer/make_chat_goldens.py).
extension ChatTemplate {
    /// meta-llama/Llama-2-*-chat: the system message goes inside the first user turn between
    /// `<<SYS>>` markers; every user turn is `BOS[INST] text [/INST]` with the text stripped,
    /// every assistant turn ` text EOS`. The template has no generation prompt: the prompt ends
    /// with `[/INST]`.
    func renderLlama2(_ messages: [ChatMessage], bosToken: String, eosToken: String) -> String {
        var system: String?
        var turns = messages[...]
        if let first = turns.first, first.role == .system {
            system = first.content
            turns = turns.dropFirst()
        }
        var out = ""
        for (index, message) in turns.enumerated() {
            var content = message.content
            if index == 0, let system { content = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content }
            switch message.role {
            case .user: out += bosToken + "[INST] " + content.pythonStripped + " [/INST]"
            case .assistant: out += " " + content.pythonStripped + " " + eosToken
            case .system: break  // a later system message has no place in this format (the template drops it)
            }
        }
        return out
    }

    /// Meta-Llama-3-*-Instruct: BOS, then `<|start_header_id|>role<|end_header_id|>\n\n` + the
    /// trimmed content + `<|eot_id|>` per message (not `<|end_of_text|>`, the reference C++
    /// template's mistake), then the assistant header.
    ///
    /// Llama 3.1+ (`knowledgeDatePreamble`): the system header always comes first, holding the
    /// knowledge cutoff, today's date and then the trimmed system message (empty if none).
    func renderLlama3(_ messages: [ChatMessage], bosToken: String, addGenerationPrompt: Bool) -> String {
        var out = bosToken
        var messages = messages[...]
        if knowledgeDatePreamble {
            var system = ""
            if let first = messages.first, first.role == .system {
                system = first.content.pythonStripped
                messages = messages.dropFirst()
            }
            out += "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
                + todayDate + "\n\n" + system + "<|eot_id|>"
        }
        for message in messages {
            out += "<|start_header_id|>" + message.role.rawValue + "<|end_header_id|>\n\n" + message.content.pythonStripped + "<|eot_id|>"
        }
        if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        return out
    }

    /// ChatML (SmolLM2, Qwen2/2.5 without tools): the default system message when the
    /// conversation has none, every message as `<|im_start|>role\ncontent<|im_end|>\n` (content
    /// untouched), and the generation prompt `<|im_start|>assistant\n` once at the end (the
    /// reference C++ template wrongly appends it after every message).
    func renderChatML(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        var out = ""
        if messages.first?.role != .system, let defaultSystemPrompt {
            out += "<|im_start|>system\n" + defaultSystemPrompt + "<|im_end|>\n"
        }
        let lastUserIndex = messages.lastIndex { $0.role == .user } ?? -1
        for (index, message) in messages.enumerated() {
            var content = message.content
            if dropsEarlierReasoning, message.role == .assistant, index < lastUserIndex {
                content = Self.withoutReasoning(content)
            }
            out += "<|im_start|>" + message.role.rawValue + "\n" + content + "<|im_end|>\n"
        }
        if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }

    /// Qwen3's `content.split('</think>')[-1].lstrip('\n')`: the answer after the reasoning.
    static func withoutReasoning(_ content: String) -> String {
        guard content.range(of: "</think>") != nil else { return content }
        var rest = content[...]
        while let end = rest.range(of: "</think>") { rest = rest[end.upperBound...] }
        return String(rest.drop { $0 == "\n" })
    }

    /// deepseek-ai/DeepSeek-V3: BOS, all system messages joined by blank lines, then
    /// `<｜User｜>content` and `<｜Assistant｜>content<｜end▁of▁sentence｜>`, and `<｜Assistant｜>`
    /// to prompt the answer.
    func renderDeepSeek3(_ messages: [ChatMessage], bosToken: String, addGenerationPrompt: Bool) -> String {
        var out = bosToken + messages.filter { $0.role == .system }.map(\.content).joined(separator: "\n\n")
        for message in messages {
            switch message.role {
            case .user: out += "<｜User｜>" + message.content
            case .assistant: out += "<｜Assistant｜>" + message.content + "<｜end▁of▁sentence｜>"
            case .system: break
            }
        }
        if addGenerationPrompt { out += "<｜Assistant｜>" }
        return out
    }
}

extension String {
    /// Python's `str.strip()` (Jinja's `trim`): Unicode whitespace and the separators \x1c-\x1f.
    var pythonStripped: String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
        }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[first...last])
    }
}

import Foundation
import Testing
import TestSupport
@testable import Tokenizer

/// Each family against the real Jinja templates rendered by jinja2 (chat_goldens.json, made by
/// Tests/Fixtures/tokenizer/make_chat_goldens.py): a system + user + assistant + user
/// conversation, one whose assistant turn holds reasoning, and a user-only one, with and without
/// the generation prompt.
@Suite("chat templates")
struct ChatTemplateTests {
    struct Golden: Decodable {
        var template: String
        var conversation: String
        var add_generation_prompt: Bool
        var bos_token: String
        var eos_token: String
        var expected: String
    }

    struct Message: Decodable {
        var role: String
        var content: String
    }

    struct File: Decodable {
        var conversations: [String: [Message]]
        var goldens: [Golden]
    }

    static let file: File? = {
        guard let data = FileManager.default.contents(atPath: Paths.fixture("tokenizer/chat_goldens.json")) else { return nil }
        return try? JSONDecoder().decode(File.self, from: data)
    }()

    static let expectedFamilies: [String: ChatTemplateFamily] = [
        "llama2": .llama2, "llama3": .llama3, "llama3.2": .llama3, "chatml-smollm2": .chatml, "chatml-qwen2-vocab": .chatml,
        "qwen": .qwen, "deepseek3": .deepseek3, "qwen3": .qwen,
    ]

    @Test("detected from the template source and rendered exactly as jinja2 renders the template",
          arguments: ["llama2", "llama3", "llama3.2", "chatml-smollm2", "chatml-qwen2-vocab", "qwen", "qwen3", "deepseek3"])
    func rendersLikeJinja(templateName: String) throws {
        let file = try #require(Self.file, "chat_goldens.json is missing or unreadable")
        let source = try String(contentsOfFile: Paths.fixture("tokenizer/templates/\(templateName).jinja"), encoding: .utf8)
        let template = try #require(ChatTemplate(source: source))
        #expect(template.family == Self.expectedFamilies[templateName])
        let goldens = file.goldens.filter { $0.template == templateName }
        #expect(goldens.count == 6)
        for golden in goldens {
            let messages = try #require(file.conversations[golden.conversation]).map {
                ChatMessage(try #require(ChatMessage.Role(rawValue: $0.role)), $0.content)
            }
            let text = template.render(messages, bosToken: golden.bos_token, eosToken: golden.eos_token,
                                       addGenerationPrompt: golden.add_generation_prompt)
            #expect(text == golden.expected, "\(templateName) \(golden.conversation) generation prompt \(golden.add_generation_prompt)")
        }
    }

    @Test("Llama 3.1+ templates get the knowledge-date preamble, Llama 3.0 not")
    func llama3Preamble() throws {
        let v32 = try String(contentsOfFile: Paths.fixture("tokenizer/templates/llama3.2.jinja"), encoding: .utf8)
        let v30 = try String(contentsOfFile: Paths.fixture("tokenizer/templates/llama3.jinja"), encoding: .utf8)
        #expect(ChatTemplate(source: v32)?.knowledgeDatePreamble == true)
        #expect(ChatTemplate(source: v30)?.knowledgeDatePreamble == false)
        var template = try #require(ChatTemplate(source: v32))
        template.todayDate = "01 Jan 2027"
        #expect(template.render([.init(.user, "Hi")], bosToken: "", eosToken: "").contains("Today Date: 01 Jan 2027\n\n<|eot_id|>"))
    }

    @Test("the default system prompts come from the template source")
    func defaultSystemPrompts() throws {
        let smol = try String(contentsOfFile: Paths.fixture("tokenizer/templates/chatml-smollm2.jinja"), encoding: .utf8)
        #expect(ChatTemplate(source: smol)?.defaultSystemPrompt == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        let qwen = try String(contentsOfFile: Paths.fixture("tokenizer/templates/qwen.jinja"), encoding: .utf8)
        #expect(ChatTemplate(source: qwen)?.defaultSystemPrompt == "You are a helpful assistant.")
        #expect(ChatTemplate(source: "{{ messages }}") == nil)
    }

    @Test("SmolLM2's chat prompt parses its special tokens and stops at <|im_end|>", .enabled(if: Assets.present, Assets.missing))
    func smolLM2Chat() throws {
        let tokenizer = try LoadedTokenizers.asset("SmolLM2-135M-Instruct.Q4_1.gguf")
        let template = try tokenizer.chatTemplate()
        #expect(template.family == .chatml)
        let ids = tokenizer.encodeChat([.init(.user, "Hi")], template: template)
        let imStart = try #require(tokenizer.vocabulary.id(ofSpecial: "<|im_start|>"))
        let imEnd = try #require(tokenizer.vocabulary.id(ofSpecial: "<|im_end|>"))
        #expect(ids.first == imStart)
        #expect(ids.filter { $0 == imStart }.count == 3)  // default system, user, generation prompt
        #expect(tokenizer.decode(ids) == template.render([.init(.user, "Hi")], bosToken: "", eosToken: ""))
        #expect(tokenizer.isEndOfGeneration(imEnd))
        #expect(tokenizer.isEndOfGeneration(2))  // <|endoftext|>, the EOS
        // Without special-token parsing the same text is ordinary characters.
        #expect(!tokenizer.encode("<|im_start|>").contains(imStart))
    }

    @Test("the .t tokenizer's llama3 template ends turns with <|eot_id|> and starts with BOS once")
    func tinyLlama3() throws {
        let tokenizer = try Tokenizer(path: Paths.fixture("oracle/dllama_tokenizer_tiny.t"))
        let template = try tokenizer.chatTemplate()
        #expect(template.family == .llama3)
        let ids = tokenizer.encodeChat([.init(.system, "be brief"), .init(.user, "hello")], template: template)
        let bos = try #require(tokenizer.vocabulary.bosID)
        let eot = try #require(tokenizer.vocabulary.id(ofSpecial: "<|eot_id|>"))
        #expect(ids.first == bos)
        #expect(ids.filter { $0 == bos }.count == 1)
        #expect(ids.filter { $0 == eot }.count == 2)
        #expect(tokenizer.isEndOfGeneration(eot))
        #expect(tokenizer.isEndOfGeneration(try #require(tokenizer.vocabulary.id(ofSpecial: "<|end_of_text|>"))))
    }

    @Test("--chat-template overrides detection; an unknown name, or a template whose tokens the vocabulary lacks, is a clear error", .enabled(if: Assets.present, Assets.missing))
    func override() throws {
        let tokenizer = try LoadedTokenizers.asset("SmolLM2-135M-Instruct.Q4_1.gguf")
        #expect(try tokenizer.chatTemplate(named: "qwen").family == .qwen)
        // SmolLM2 has no <|start_header_id|>: llama3 would be split into characters and answered with garbage.
        #expect(throws: TokenizerError.chatTemplateTokensMissing(path: "the tokenizer", template: "llama3",
                                                                  missing: ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"])) {
            try tokenizer.chatTemplate(named: "llama3")
        }
        #expect(throws: TokenizerError.unknownChatTemplate(name: "vicuna")) { try tokenizer.chatTemplate(named: "vicuna") }
        #expect(TokenizerError.unknownChatTemplate(name: "vicuna").description.contains("llama2, llama3, chatml, qwen, deepseek3"))
    }

    @Test("a conversation that outgrows a limit loses its oldest exchanges first, keeping the system message",
          .enabled(if: Assets.present, Assets.missing))
    func fitting() throws {
        let tokenizer = try LoadedTokenizers.asset("SmolLM2-135M-Instruct.Q4_1.gguf")
        let template = try tokenizer.chatTemplate()
        let messages: [ChatMessage] = [.init(.system, "Be brief."), .init(.user, "First question?"), .init(.assistant, "First answer."),
                                       .init(.user, "Second question?"), .init(.assistant, "Second answer."), .init(.user, "Third?")]
        let all = tokenizer.encodeChat(messages, template: template)
        let whole = try #require(tokenizer.encodeChat(messages, template: template, fitting: all.count))
        #expect(whole.ids == all && whole.droppedMessages == 0)
        let kept = [messages[0]] + messages[3...]
        let shorter = try #require(tokenizer.encodeChat(messages, template: template, fitting: all.count - 1))
        #expect(shorter.droppedMessages == 2)
        #expect(shorter.ids == tokenizer.encodeChat(Array(kept), template: template))
        let last = tokenizer.encodeChat([messages[0], messages[5]], template: template)
        #expect(tokenizer.encodeChat(messages, template: template, fitting: last.count)?.droppedMessages == 4)
        #expect(tokenizer.encodeChat(messages, template: template, fitting: last.count - 1) == nil)
    }
}

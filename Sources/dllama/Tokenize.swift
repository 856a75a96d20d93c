import ArgumentParser
import Foundation
import Tokenizer

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the token ids (and pieces) of a text.",
        discussion: """
            Reads the vocabulary from --tokenizer (a .t or GGUF file) or else from the GGUF --model \
            (vocabulary-only GGUFs work). Special tokens in the text are ordinary characters unless \
            --special is given. TEXT - reads standard input exactly, trailing newline included.
            """)

    @Option(name: [.customShort("m"), .long], help: "The model file (GGUF, or a .m file together with --tokenizer).")
    var model: String

    @Option(help: "A tokenizer file (.t or GGUF) to use instead of the model's own vocabulary.")
    var tokenizer: String?

    @Flag(help: "Read special tokens (<|im_start|>, <s>, ...) in the text as the tokens themselves.")
    var special = false

    @Flag(help: "Print only the ids, space-separated, on one line.")
    var idsOnly = false

    @Flag(help: "Do not start with BOS even if the vocabulary asks for it.")
    var noBOS = false

    @Flag(help: "Show the prompt a chat model gets for TEXT as the user's message (special tokens parsed).")
    var chat = false

    @Option(help: "With --chat: the template family (llama2, llama3, chatml, qwen, deepseek3) instead of the detected one.")
    var chatTemplate: String?

    @Option(help: "With --chat: a system message before the user's.")
    var system: String?

    @Argument(help: "The text, or - to read standard input.")
    var text: String

    func validate() throws {
        if !chat && (chatTemplate != nil || system != nil) {
            throw ValidationError("\(chatTemplate != nil ? "--chat-template" : "--system") applies to the chat prompt: add --chat.")
        }
        if let chatTemplate {
            do { _ = try ChatTemplateFamily.named(chatTemplate) } catch { throw ValidationError("--chat-template: \(error)") }
        }
    }

    func run() throws {
        let tokenizer = try loadTokenizer()
        let input: String
        if text == "-" {
            let bytes = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
            input = String(decoding: bytes, as: UTF8.self)
            if Array(input.utf8) != bytes {
                warn("standard input is not valid UTF-8; the invalid bytes were replaced by U+FFFD before encoding")
            }
        } else {
            input = text
        }
        let encoding: Tokenizer.Encoding
        if chat {
            let template = try tokenizer.chatTemplate(named: chatTemplate, path: tokenizerPath)
            var messages = system.map { [ChatMessage(.system, $0)] } ?? []
            messages.append(ChatMessage(.user, input))
            encoding = Tokenizer.Encoding(ids: tokenizer.encodeChat(messages, template: template), droppedByteCount: 0)
        } else {
            encoding = tokenizer.encodeReportingDropped(input, addBOS: noBOS ? false : nil, parseSpecialTokens: special)
        }
        if encoding.droppedByteCount > 0 {
            warn("\(encoding.droppedByteCount) input bytes have no token in this vocabulary (no byte or unknown token) and were left out")
        }
        if idsOnly {
            print(encoding.ids.map(String.init).joined(separator: " "))
            return
        }
        let width = String(tokenizer.vocabulary.count).count
        for id in encoding.ids {
            let padded = String(repeating: " ", count: max(0, width - String(id).count)) + String(id)
            print("\(padded) \(Self.display(tokenizer.bytes(of: id)))")
        }
        print("\(encoding.ids.count) tokens")
    }

    private var tokenizerPath: String { tokenizer ?? model }

    private func loadTokenizer() throws -> Tokenizer {
        try Tokenizer(modelPath: model, tokenizerPath: tokenizer)
    }

    /// A piece quoted for the terminal: controls escaped, bytes that are not whole UTF-8
    /// characters (a byte token, half an emoji) shown as \xNN.
    static func display(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        guard Array(text.utf8) == bytes else {
            return "'" + bytes.map { $0 >= 0x20 && $0 < 0x7F ? String(UnicodeScalar($0)) : String(format: "\\x%02X", $0) }.joined() + "'"
        }
        var out = "'"
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "'": out += "\\'"
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\x%02X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "'"
    }

    private func warn(_ message: String) {
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }
}

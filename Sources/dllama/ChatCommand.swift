import ArgumentParser
import Engine
import Foundation
import Tokenizer

struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Talk with the model, turn after turn, reusing the conversation's KV cache; end with EOF (Ctrl-D).")

    @OptionGroup var options: RunOptions

    @Option(help: "The template family (llama2, llama3, chatml, qwen, deepseek3) instead of the detected one.")
    var chatTemplate: String?

    @Option(help: "A system message for the whole conversation.")
    var system: String?

    @Option(help: "Tokens to generate at most per answer.")
    var steps = 512

    func run() throws {
        let (engine, tokenizer) = try options.load()
        let template = try tokenizer.chatTemplate(named: chatTemplate, path: options.tokenizer ?? options.model)
        options.reportSteps(of: engine)
        let generator = Generator(transformer: engine, tokenizer: tokenizer)
        var sampler = Sampler(options.sampling)
        var messages: [ChatMessage] = system.map { [ChatMessage(.system, $0)] } ?? []
        let interactive = isatty(STDIN_FILENO) != 0
        while true {
            if interactive { print("> ", terminator: ""); fflush(nil) }
            guard let line = readLine(strippingNewline: true) else { break }
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            messages.append(ChatMessage(.user, line))
            let prompt = tokenizer.encodeChat(messages, template: template)
            var answer = ""
            let (_, stats) = try generator.generate(prompt: prompt, maxTokens: steps, sampler: &sampler) { text in
                answer += text
                print(text, terminator: "")
                fflush(nil)
            }
            print()
            fflush(nil)
            messages.append(ChatMessage(.assistant, answer))
            if options.profile || interactive { printSummary(stats, engine: engine) }
        }
        printWorkerReports(engine.shutdown())
    }
}

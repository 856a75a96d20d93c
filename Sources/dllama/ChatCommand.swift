import ArgumentParser
import Engine
import Foundation
import Tokenizer

struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Talk with the model, turn after turn, reusing the conversation's KV cache; end with EOF (Ctrl-D).",
        discussion: """
            Each answer is followed by its speed on standard error. When the conversation no longer fits the \
            context, the oldest turns are left out (saying so) and the session goes on. Ctrl-C stops an answer; \
            at the prompt it ends the session.
            """)

    @OptionGroup var options: RunOptions

    @Option(help: "The template family (llama2, llama3, chatml, qwen, deepseek3) instead of the detected one.")
    var chatTemplate: String?

    @Option(help: "A system message for the whole conversation.")
    var system: String?

    @Option(name: [.customShort("n"), .long], help: "Tokens to generate at most per answer.")
    var steps = 512

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1.") }
        if let chatTemplate {
            do { _ = try ChatTemplateFamily.named(chatTemplate) } catch { throw ValidationError("--chat-template: \(error)") }
        }
    }

    func run() throws {
        let (engine, tokenizer) = try options.load()
        let template = try tokenizer.chatTemplate(named: chatTemplate, path: options.tokenizer ?? options.model)
        options.reportSteps(of: engine)
        let generator = Generator(transformer: engine, tokenizer: tokenizer)
        var sampler = Sampler(options.samplingParameters())
        var messages: [ChatMessage] = system.map { [ChatMessage(.system, $0)] } ?? []
        let interactive = isatty(STDIN_FILENO) != 0
        let interrupt = Interrupt()
        // Room kept for each answer; the prompt gets the rest of the context.
        let answerRoom = min(steps, engine.maxSeqLen / 2)
        while true {
            if interactive { print("> ", terminator: ""); fflush(nil) }
            guard let line = readLine(strippingNewline: true) else { break }
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            messages.append(ChatMessage(.user, line))
            guard let (prompt, dropped) = tokenizer.encodeChat(messages, template: template, fitting: engine.maxSeqLen - answerRoom) else {
                messages.removeLast()
                log("that message does not fit the context (\(engine.maxSeqLen) tokens, \(answerRoom) kept for the answer): "
                    + "it was not sent. Send a shorter one, or start again with a longer -c (--max-seq-len).")
                continue
            }
            if dropped > 0 {
                let first = system == nil ? 0 : 1
                messages.removeSubrange(first..<(first + dropped))
                log("(the conversation outgrew the context of \(engine.maxSeqLen) tokens: the oldest \(dropped) message\(dropped == 1 ? " was" : "s were") left out)")
            }
            var answer = ""
            let (_, stats) = try interrupt.generating {
                try generator.generate(prompt: prompt, maxTokens: steps, sampler: &sampler, stop: interrupt.stop) { text in
                    answer += text
                    print(text, terminator: "")
                    fflush(nil)
                }
            }
            print()
            fflush(nil)
            messages.append(ChatMessage(.assistant, answer))
            if stats.stoppedAtContextLimit { log("(the answer stopped where the context is full; older turns make room for the next)") }
            printSummary(stats, engine: engine)
        }
        printWorkerReports(engine.shutdown())
    }
}

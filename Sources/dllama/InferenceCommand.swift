import ArgumentParser
import Engine
import Foundation
import Tokenizer

struct InferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference",
        abstract: "Generate text after a prompt, streaming it as it comes, then print the speed.",
        discussion: """
            Generation stops at the end-of-sequence token, after --steps tokens, when the context is full \
            (saying so), or at Ctrl-C (the summary is still printed; exit status 130).
            """)

    @OptionGroup var options: RunOptions

    @Option(name: [.customShort("p"), .long], help: "The prompt, or - to read it from standard input.")
    var prompt: String?

    @Option(help: "A file holding the prompt (instead of --prompt).")
    var promptFile: String?

    @Option(name: [.customShort("n"), .long], help: "Tokens to generate at most (generation also stops at the end-of-sequence token).")
    var steps = 64

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1.") }
        switch (prompt, promptFile) {
        case (nil, nil): throw ValidationError("give the prompt with --prompt TEXT (- for standard input) or --prompt-file PATH.")
        case (.some, .some): throw ValidationError("give --prompt or --prompt-file, not both.")
        case (.some(let text), nil): guard !text.isEmpty else { throw ValidationError("--prompt is empty.") }
        case (nil, .some): break
        }
    }

    func run() throws {
        let text = try promptText()
        let (engine, tokenizer) = try options.load()
        options.reportSteps(of: engine)
        let generator = Generator(transformer: engine, tokenizer: tokenizer)
        let prompt = tokenizer.encode(text)
        guard !prompt.isEmpty else { throw UserError("the prompt encodes to no tokens.") }
        var sampler = Sampler(options.samplingParameters())
        let interrupt = Interrupt()
        print(text, terminator: "")
        fflush(nil)
        let (_, stats) = try interrupt.generating {
            try generator.generate(prompt: prompt, maxTokens: steps, sampler: &sampler, stop: interrupt.stop) { text in
                print(text, terminator: "")
                fflush(nil)
            }
        }
        print()
        fflush(nil)
        if stats.stoppedAtContextLimit {
            log("stopped: the context is full (\(engine.maxSeqLen) tokens); -c (--max-seq-len) allows a longer one")
        }
        printSummary(stats, engine: engine)
        printWorkerReports(engine.shutdown())
        if interrupt.isRequested { throw ExitCode(130) }
    }

    /// The prompt from `--prompt`, standard input (`--prompt -`) or `--prompt-file`.
    private func promptText() throws -> String {
        let text: String
        if let promptFile {
            guard let data = FileManager.default.contents(atPath: promptFile) else {
                var isDirectory: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: promptFile, isDirectory: &isDirectory)
                throw UserError("--prompt-file \(promptFile): " + (isDirectory.boolValue ? "is a directory" : exists ? "cannot be read" : "no such file"))
            }
            text = String(decoding: data, as: UTF8.self)
        } else if prompt == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            text = prompt ?? ""
        }
        guard !text.isEmpty else { throw UserError(promptFile.map { "--prompt-file \($0) is empty." } ?? "standard input held no prompt.") }
        return text
    }
}

import ArgumentParser
import Engine
import Foundation
import Tokenizer

struct InferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference",
        abstract: "Generate text after a prompt, streaming it as it comes, then print the speed.")

    @OptionGroup var options: RunOptions

    @Option(help: "The prompt.")
    var prompt: String

    @Option(help: "Tokens to generate at most (generation also stops at the end-of-sequence token).")
    var steps = 64

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1.") }
        guard !prompt.isEmpty else { throw ValidationError("--prompt is empty.") }
    }

    func run() throws {
        let (engine, tokenizer) = try options.load()
        options.reportSteps(of: engine)
        let generator = Generator(transformer: engine, tokenizer: tokenizer)
        let prompt = tokenizer.encode(self.prompt)
        guard !prompt.isEmpty else { throw ValidationError("the prompt encodes to no tokens.") }
        var sampler = Sampler(options.sampling)
        print(self.prompt, terminator: "")
        fflush(nil)
        let (_, stats) = try generator.generate(prompt: prompt, maxTokens: steps, sampler: &sampler) { text in
            print(text, terminator: "")
            fflush(nil)
        }
        print()
        fflush(nil)
        printSummary(stats, engine: engine)
        printWorkerReports(engine.shutdown())
    }
}

import ArgumentParser

@main
struct Dllama: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dllama",
        abstract: "Distributed LLM inference on CPU clusters.",
        subcommands: [InferenceCommand.self, ChatCommand.self, Inspect.self, PlanCommand.self, Info.self, Tokenize.self, ConvertCommand.self]
    )
}

import ArgumentParser

@main
struct Dllama: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dllama",
        abstract: "Distributed LLM inference on CPU clusters.",
        subcommands: [InferenceCommand.self, ChatCommand.self, ServeCommand.self, Inspect.self, PlanCommand.self, BenchCommand.self, Info.self, Tokenize.self, ConvertCommand.self, PullCommand.self, ModelsCommand.self]
    )
}

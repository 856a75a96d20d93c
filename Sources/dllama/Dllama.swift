import ArgumentParser
import Engine

@main
struct Dllama: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dllama",
        abstract: "Distributed LLM inference on CPU clusters.",
        version: DllamaVersion.description,
        subcommands: [InferenceCommand.self, ChatCommand.self, ServeCommand.self, Inspect.self, PlanCommand.self, BenchCommand.self, Info.self, Tokenize.self, ConvertCommand.self,
                      PullCommand.self, ModelsCommand.self]
    )

    /// ArgumentParser's entry point, with the libraries' errors worded with this tool's options.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: CommandLineWording.reword(error))
        }
    }
}

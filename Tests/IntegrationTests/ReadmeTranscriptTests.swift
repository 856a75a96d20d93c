import Foundation
import Testing
import TestSupport

/// Issue 15, defect 2: the README's sample output could not be reproduced (other greedy text, a
/// peak RSS that needed another context, a summary line left out). These run the README's own
/// commands and compare.
@Suite("README transcripts", .enabled(if: Assets.present, Assets.missing))
struct ReadmeTranscriptTests {
    /// The README's lines from `$ COMMAND` (with its `\` continuations) to the next `$ ` or the end
    /// of the block: the command's words, and the lines it printed.
    static func transcript(startingWith prefix: String) throws -> (arguments: [String], output: [String]) {
        let readme = try String(contentsOf: Paths.repository.appendingPathComponent("README.md"), encoding: .utf8)
        var lines = readme.components(separatedBy: "\n").drop { !$0.hasPrefix("$ " + prefix) }
        var command = ""
        while let line = lines.first {
            lines = lines.dropFirst()
            command += line.hasSuffix("\\") ? String(line.dropLast()) : line
            if !line.hasSuffix("\\") { break }
        }
        let output = lines.prefix { !$0.hasPrefix("$ ") && $0 != "```" }
        return (Self.words(String(command.dropFirst(2))), Array(output))
    }

    /// Shell words of a simple command line (double quotes only, as the README uses).
    static func words(_ command: String) -> [String] {
        var words: [String] = [], current = "", quoted = false
        for character in command {
            if character == "\"" { quoted.toggle() } else if character == " " && !quoted {
                if !current.isEmpty { words.append(current); current = "" }
            } else { current.append(character) }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// A summary line with its figures and kernel path taken out, so that two runs compare.
    static func shape(_ line: String) -> String {
        line.replacingOccurrences(of: "[0-9]+(\\.[0-9]+)?", with: "#", options: .regularExpression)
            .replacingOccurrences(of: "on [a-z0-9]+ kernels", with: "on K kernels", options: .regularExpression)
            .replacingOccurrences(of: "# threads? ", with: "# threads ", options: .regularExpression)
    }

    /// `$ .build/release/dllama ARGS` run from the repository, where the README's relative paths point.
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        let index = try #require(arguments.firstIndex { $0.hasSuffix("/dllama") })
        let resolved = arguments.dropFirst(index + 1).map { $0.hasPrefix(".assets/") ? Paths.assetPath(String($0.dropFirst(8))) : $0 }
        return try Executables.run("dllama", Array(resolved), environment: environment, timeout: 300)
    }

    @Test("the scalar kernels' greedy text is the README's, word for word")
    func scalarText() throws {
        let (arguments, output) = try Self.transcript(startingWith: "DLLAMA_KERNELS=scalar .build/release/dllama inference")
        #expect(arguments.first == "DLLAMA_KERNELS=scalar" && arguments.last == "2>/dev/null", "\(arguments)")
        let result = try run(Array(arguments.dropFirst().dropLast()), environment: ["DLLAMA_KERNELS": "scalar"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "\n").dropLast() == output[...], "\(result.stdout)")
    }

    @Test("the first inference transcript shows every line dllama prints, the summary's included")
    func summaryLines() throws {
        let (arguments, output) = try Self.transcript(startingWith: ".build/release/dllama inference -m")
        let result = try run(arguments)
        #expect(result.status == 0, "\(result.stderr)")
        // A machine with one core adds a warning that -t 2 is capped: not part of the transcript.
        let printed = result.stderr.components(separatedBy: "\n").filter { !$0.isEmpty && !$0.hasPrefix("warning: ") }.map(Self.shape)
        let shown = output.map(Self.shape)
        #expect(printed.count == 3, "\(result.stderr)")
        for line in printed { #expect(shown.contains(line), "README lacks a line shaped as \(line)") }
        // The text's first sentence does not depend on the kernel path (the ties come later).
        let sentence = "The capital of France is Paris."
        #expect(output.contains(sentence) && result.stdout.hasPrefix(sentence), "\(result.stdout)")
    }
}

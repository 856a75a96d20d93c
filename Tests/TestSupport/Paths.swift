import Foundation
import Testing

/// Where committed fixtures and fetched assets live, found from this file's path so the tests run
/// from any working directory. Shared by every test target.
public enum Paths {
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let fixtures = repository.appendingPathComponent("Tests/Fixtures")
    public static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// The asset cache `make assets` fills (or `$DLLAMA_ASSETS`).
    public static var assets: URL {
        ProcessInfo.processInfo.environment["DLLAMA_ASSETS"].map { URL(fileURLWithPath: $0) }
            ?? repository.appendingPathComponent(".assets")
    }

    /// A fetched asset's path, whether or not it is there.
    public static func assetPath(_ name: String) -> String { assets.appendingPathComponent(name).path }

    /// A fetched asset; a missing one fails the test with the command that fetches it. Tests
    /// that need an asset are also marked `.enabled(if: Assets.available(...), Assets.missing)`,
    /// so without the assets they are skipped saying so, not failed.
    public static func asset(_ name: String) throws -> String {
        let path = assetPath(name)
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("missing asset \(path): run `make assets` first")
            throw CancellationError()
        }
        return path
    }
}

/// The fetched models and tokenizers (`make assets`), for tests that need them.
public enum Assets {
    public static let smolLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf"
    public static let qwen = "qwen2.5-coder-0.5b-instruct.gguf"
    public static let llama3Tokenizer = "llama3.2/tokenizer.json"
    public static func vocabulary(_ name: String) -> String { "vocab/ggml-vocab-\(name).gguf" }

    /// Whether `make assets` has run: every model and tokenizer it fetches is there. The trait of
    /// tests that need them: `@Test("...", .enabled(if: Assets.present, Assets.missing))`.
    public static var present: Bool {
        available(smolLM2, qwen, llama3Tokenizer, vocabulary("llama-bpe"), vocabulary("llama-spm"), vocabulary("gpt-2"))
    }

    /// Whether every named asset is there (default: SmolLM2, which most tests use).
    public static func available(_ names: String...) -> Bool {
        (names.isEmpty ? [smolLM2] : names).allSatisfy { FileManager.default.fileExists(atPath: Paths.assetPath($0)) }
    }

    /// What a test skipped for want of assets says.
    public static let missing: Comment = "skipped: run make assets (the fetched models are missing)"
}

import Foundation
import Testing

/// Where committed fixtures and fetched assets live, found from this file's path so the tests run
/// from any working directory; and scratch folders that remove themselves.
enum Paths {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repository.appendingPathComponent("Tests/Fixtures")
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// The asset cache `make assets` fills (or `$DLLAMA_ASSETS`).
    static var assets: URL {
        ProcessInfo.processInfo.environment["DLLAMA_ASSETS"].map { URL(fileURLWithPath: $0) }
            ?? repository.appendingPathComponent(".assets")
    }

    /// A fetched asset; a missing one fails the test with the command that fetches it.
    static func asset(_ name: String) throws -> String {
        let path = assets.appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("missing asset \(path): run `make assets` first")
            throw CancellationError()
        }
        return path
    }
}

/// A fresh folder under the temporary directory, removed when the value goes away.
final class ScratchFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("dllama-convert-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// The names in the folder, sorted.
    var contents: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
}

import Foundation
import Testing

/// Where committed fixtures and fetched assets live, found from this file's path.
enum Paths {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

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

/// A scratch directory, removed when the value goes away.
final class Scratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("dllama-catalogue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `bytes` to `name` (folders created), returning its path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file.path
    }
}

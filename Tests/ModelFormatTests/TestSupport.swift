import Foundation
import Testing
@testable import ModelFormat

/// Where committed fixtures and fetched assets live, found from this file's path so the tests run
/// from any working directory.
enum Paths {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repository.appendingPathComponent("Tests/Fixtures")
    static func oracle(_ name: String) -> String { fixtures.appendingPathComponent("oracle/\(name)").path }
    static func gguf(_ name: String) -> String { fixtures.appendingPathComponent("gguf/\(name)").path }

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

/// A scratch directory removed when the test ends.
final class ScratchDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("dllama-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes a copy of `source` with `edit` applied to its bytes.
    func damagedCopy(of source: String, named name: String, _ edit: (inout [UInt8]) -> Void) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: source)))
        edit(&bytes)
        let path = self.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

extension Array where Element == UInt8 {
    func readU32(at offset: Int) -> UInt32 { self[offset..<offset + 4].enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * $1.offset) } }
    mutating func writeU32(_ value: UInt32, at offset: Int) { for i in 0..<4 { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) } }
    mutating func writeU64(_ value: UInt64, at offset: Int) { for i in 0..<8 { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) } }

    /// Offset of the first occurrence of `needle`.
    func firstOffset(of needle: [UInt8]) -> Int? {
        guard needle.count <= count else { return nil }
        return (0...(count - needle.count)).first { self[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}

/// The error `body` throws, as a `ModelFormatError` (failing the test if it throws none or another).
func modelFormatError(_ body: () throws -> Void) -> ModelFormatError? {
    do {
        try body()
        Issue.record("expected a ModelFormatError, nothing was thrown")
    } catch let error as ModelFormatError {
        return error
    } catch {
        Issue.record("expected a ModelFormatError, got \(error)")
    }
    return nil
}

import Foundation
import Testing
@_exported import TestSupport
@testable import Tokenizer

/// Loaded tokenizers, shared by the tests of a run (a 128 000-token vocabulary takes a while to
/// load in a debug build).
enum LoadedTokenizers {
    static let cache = TokenizerCache()

    static func vocab(_ name: String) throws -> Tokenizer {
        try cache.tokenizer(at: try Paths.asset("vocab/ggml-vocab-\(name).gguf"))
    }

    static func asset(_ name: String) throws -> Tokenizer {
        try cache.tokenizer(at: try Paths.asset(name))
    }
}

final class TokenizerCache: @unchecked Sendable {
    private let lock = NSLock()
    private var loaded: [String: Tokenizer] = [:]

    func tokenizer(at path: String) throws -> Tokenizer {
        lock.lock()
        defer { lock.unlock() }
        if let tokenizer = loaded[path] { return tokenizer }
        let tokenizer = try Tokenizer(path: path)
        loaded[path] = tokenizer
        return tokenizer
    }
}

/// One case of llama.cpp's tokenizer test files: `NAME.gguf.inp` holds the texts, each followed by
/// a line `__ggml_vocab_test__`; `NAME.gguf.out` the expected ids, one line per text (tokenized
/// without BOS and without parsing special tokens, as `test-tokenizer-0` does).
struct VocabTestCase: CustomTestStringConvertible {
    var index: Int
    var text: String
    var expected: [Int]
    var testDescription: String { "case \(index): \(text.debugDescription.prefix(40))" }

    static func load(_ name: String) throws -> [VocabTestCase] {
        let input = try Data(contentsOf: URL(fileURLWithPath: try Paths.asset("vocab/ggml-vocab-\(name).gguf.inp")))
        let output = try String(contentsOfFile: try Paths.asset("vocab/ggml-vocab-\(name).gguf.out"), encoding: .utf8)
        let separator = Array("\n__ggml_vocab_test__\n".utf8)
        var texts: [String] = []
        let bytes = [UInt8](input)
        var start = 0
        var index = 0
        while index + separator.count <= bytes.count {
            if bytes[index..<index + separator.count].elementsEqual(separator) {
                texts.append(String(decoding: bytes[start..<index], as: UTF8.self))
                index += separator.count
                start = index
            } else {
                index += 1
            }
        }
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        #expect(lines.count == texts.count, "\(name): \(texts.count) texts but \(lines.count) expected lines")
        return zip(texts, lines).enumerated().map { index, pair in
            VocabTestCase(index: index, text: pair.0, expected: pair.1.split(separator: " ").map { Int($0)! })
        }
    }
}

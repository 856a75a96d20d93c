import Foundation
import Testing
@_exported import TestSupport
@testable import ModelFormat

extension Paths {
    static func oracle(_ name: String) -> String { fixture("oracle/\(name)") }
    static func gguf(_ name: String) -> String { fixture("gguf/\(name)") }
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

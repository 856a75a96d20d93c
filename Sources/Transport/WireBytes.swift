/// Little-endian encoding of message fields. Every read is bounds-checked and throws
/// `TransportError.malformed` naming the field, so a short or hostile payload cannot trap.
public struct WireWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    public mutating func f64(_ v: Double) { u64(v.bitPattern) }
    public mutating func raw(_ v: [UInt8]) { bytes += v }
    /// A u32 length, then the bytes.
    public mutating func blob(_ v: [UInt8]) {
        u32(UInt32(v.count))
        bytes += v
    }
    public mutating func string(_ v: String) { blob(Array(v.utf8)) }
}

public struct WireReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0
    /// What is being read, for error messages (`hello`, `setup`, ...).
    private let message: String

    public init(_ bytes: UnsafeRawBufferPointer, message: String) {
        self.bytes = bytes
        self.message = message
    }

    public var remaining: Int { bytes.count - offset }

    private mutating func take(_ count: Int, _ field: String) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else {
            throw TransportError.malformed(message: message, reason: "\(field) needs \(count) bytes but \(remaining) remain")
        }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    private mutating func integer<T: FixedWidthInteger>(_ type: T.Type, _ field: String) throws -> T {
        let raw = try take(MemoryLayout<T>.size, field)
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: raw) }
        return T(littleEndian: value)
    }

    public mutating func u8(_ field: String) throws -> UInt8 { try integer(UInt8.self, field) }
    public mutating func u16(_ field: String) throws -> UInt16 { try integer(UInt16.self, field) }
    public mutating func u32(_ field: String) throws -> UInt32 { try integer(UInt32.self, field) }
    public mutating func u64(_ field: String) throws -> UInt64 { try integer(UInt64.self, field) }
    public mutating func i64(_ field: String) throws -> Int64 { Int64(bitPattern: try u64(field)) }
    public mutating func f64(_ field: String) throws -> Double { Double(bitPattern: try u64(field)) }
    public mutating func raw(_ count: Int, _ field: String) throws -> [UInt8] { Array(try take(count, field)) }

    /// A u32 length and that many bytes, the length checked against what is left (and `limit`).
    public mutating func blob(_ field: String, limit: Int = .max) throws -> [UInt8] {
        let count = Int(try u32(field))
        guard count <= limit else {
            throw TransportError.malformed(message: message, reason: "\(field) declares \(count) bytes, more than the \(limit) allowed")
        }
        return Array(try take(count, field))
    }

    /// A UTF-8 string of at most `limit` bytes.
    public mutating func string(_ field: String, limit: Int = 4096) throws -> String {
        let bytes = try blob(field, limit: limit)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw TransportError.malformed(message: message, reason: "\(field) is not UTF-8")
        }
        return text
    }

    /// Throws unless every byte was read.
    public func finish() throws {
        guard remaining == 0 else {
            throw TransportError.malformed(message: message, reason: "\(remaining) unexpected bytes at the end")
        }
    }
}

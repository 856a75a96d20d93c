import CLZ4

/// LZ4 block compression for activation frames (liblz4's `LZ4_compress_default`).
///
/// A frame records the uncompressed length itself, so decompression is told the exact size to
/// expect and rejects anything that does not decode to exactly that many bytes.
public enum LZ4Codec {
    /// Compresses `input` into a new buffer.
    public static func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        guard input.count <= Int(LZ4_MAX_INPUT_SIZE) else { throw LZ4CodecError.inputTooLarge(input.count) }
        let bound = Int(LZ4_compressBound(Int32(input.count)))
        var out = [UInt8](repeating: 0, count: bound)
        let written = out.withUnsafeMutableBytes { dst in
            LZ4_compress_default(input.baseAddress?.assumingMemoryBound(to: CChar.self),
                                 dst.baseAddress!.assumingMemoryBound(to: CChar.self),
                                 Int32(input.count), Int32(bound))
        }
        guard written > 0 || input.isEmpty else { throw LZ4CodecError.inputTooLarge(input.count) }
        out.removeLast(bound - Int(written))
        return out
    }

    /// Decompresses `input`, which must decode to exactly `originalCount` bytes.
    public static func decompress(_ input: UnsafeRawBufferPointer, originalCount: Int) throws -> [UInt8] {
        guard originalCount >= 0, originalCount <= Int(LZ4_MAX_INPUT_SIZE) else { throw LZ4CodecError.corrupt(expectedBytes: originalCount) }
        if originalCount == 0 { return [] }
        var out = [UInt8](repeating: 0, count: originalCount)
        let decoded = out.withUnsafeMutableBytes { dst in
            LZ4_decompress_safe(input.baseAddress?.assumingMemoryBound(to: CChar.self),
                                dst.baseAddress!.assumingMemoryBound(to: CChar.self),
                                Int32(input.count), Int32(originalCount))
        }
        guard Int(decoded) == originalCount else { throw LZ4CodecError.corrupt(expectedBytes: originalCount) }
        return out
    }
}

extension LZ4Codec {
    /// The largest compressed size of `count` input bytes (`output` of `compress(_:into:)` needs it).
    public static func bound(_ count: Int) -> Int { Int(LZ4_compressBound(Int32(min(count, Int(LZ4_MAX_INPUT_SIZE))))) }

    /// Compresses `input` into `output` (at least `bound(input.count)` bytes); returns the
    /// compressed length, or nil when the input is too large for one block.
    public static func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        guard input.count <= Int(LZ4_MAX_INPUT_SIZE), output.count >= bound(input.count), !input.isEmpty else { return nil }
        let written = LZ4_compress_default(input.baseAddress!.assumingMemoryBound(to: CChar.self),
                                           output.baseAddress!.assumingMemoryBound(to: CChar.self),
                                           Int32(input.count), Int32(output.count))
        return written > 0 ? Int(written) : nil
    }

    /// Decompresses `input` into exactly `output.count` bytes, or throws `corrupt`.
    public static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        guard !output.isEmpty else {
            guard input.isEmpty || input.count == 1 else { throw LZ4CodecError.corrupt(expectedBytes: 0) }
            return
        }
        guard let source = input.baseAddress, input.count <= Int(Int32.max) else { throw LZ4CodecError.corrupt(expectedBytes: output.count) }
        let decoded = LZ4_decompress_safe(source.assumingMemoryBound(to: CChar.self),
                                          output.baseAddress!.assumingMemoryBound(to: CChar.self),
                                          Int32(input.count), Int32(output.count))
        guard Int(decoded) == output.count else { throw LZ4CodecError.corrupt(expectedBytes: output.count) }
    }
}

/// Why a frame cannot be compressed or decompressed.
public enum LZ4CodecError: Error, Equatable, CustomStringConvertible {
    case inputTooLarge(Int)
    case corrupt(expectedBytes: Int)

    public var description: String {
        switch self {
        case .inputTooLarge(let n): return "LZ4 cannot compress \(n) bytes in one block (limit \(LZ4_MAX_INPUT_SIZE))"
        case .corrupt(let n): return "LZ4 data is corrupt or does not decode to the expected \(n) bytes"
        }
    }
}

import ModelFormat

extension Vocabulary {
    /// The magic number of a distributed-llama tokenizer file (`.t`).
    public static let tokenizerFileMagic: Int32 = 0x567124

    /// Reads a distributed-llama `.t` tokenizer file (formats.md section 3).
    ///
    /// Ids below `bos_id` are regular tokens, `bos_id` and above special ones (parsed in text only
    /// when asked). Every length is checked against the bytes left, so a file cut short gives
    /// `TokenizerError.truncated` naming what was being read.
    ///
    /// ```swift
    /// let vocabulary = try Vocabulary(tokenizerFilePath: "dllama_tokenizer_llama3.t")
    /// ```
    public init(tokenizerFilePath path: String) throws {
        let file = try MappedFile(path: path)
        var reader = TokenizerFileReader(bytes: file.bytes, path: path)
        guard file.size >= 8 else {
            throw TokenizerError.notATokenizerFile(path: path, reason: file.size == 0 ? "the file is empty" : "it is only \(file.size) bytes long")
        }
        let magic = try reader.int32("the magic number")
        guard magic == Self.tokenizerFileMagic else {
            throw TokenizerError.notATokenizerFile(path: path, reason: "magic 0x\(String(UInt32(bitPattern: magic), radix: 16)) instead of 0x567124")
        }
        let headerSize = Int(try reader.int32("the header size"))
        guard headerSize >= 8, (headerSize - 8) % 8 == 0 else {
            throw TokenizerError.invalidVocabulary(path: path, reason: "header size \(headerSize) is not 8 + 8 x keys")
        }
        var vocabularySize: Int?
        var bos: Int?
        var endIDs: [Int] = []
        var templateLength = 0
        var stopLength = 0
        var endCount = 0
        var addsBOS = false
        for _ in 0..<(headerSize - 8) / 8 {
            let key = try reader.int32("a header key")
            let value = Int(try reader.int32("the value of header key \(key)"))
            switch key {
            case 0:
                guard value == 1 else { throw TokenizerError.invalidVocabulary(path: path, reason: "version \(value) (only version 1 exists)") }
            case 1: vocabularySize = value
            case 2: break  // max_token_length: derived from the pieces instead
            case 3: bos = value
            case 4, 6: endIDs.append(value)  // legacy eos_id and chat_eos_id
            case 5: break  // pad_id: unused
            case 7: templateLength = value
            case 8: stopLength = value
            case 9: endCount = value
            case 10: addsBOS = value == 1
            default:
                throw TokenizerError.invalidVocabulary(path: path, reason: "unknown header key \(key)")
            }
        }
        guard let vocabularySize, vocabularySize > 0 else {
            throw TokenizerError.invalidVocabulary(path: path, reason: "the header gives no vocabulary size (key 1)")
        }
        guard templateLength >= 0, stopLength >= 0, endCount >= 0 else {
            throw TokenizerError.invalidVocabulary(path: path, reason: "a negative length in the header")
        }
        // The chat-stop string comes before the template; nothing uses it.
        _ = try reader.bytes(stopLength, "the chat stop string")
        let template = templateLength > 0 ? String(decoding: try reader.bytes(templateLength, "the chat template"), as: UTF8.self) : nil
        for index in 0..<endCount { endIDs.append(Int(try reader.int32("eos id \(index)"))) }

        // Each token needs at least 8 bytes: refuse an absurd count before reserving memory for it.
        try reader.require(vocabularySize * 8, "\(vocabularySize) tokens")
        var pieces: [[UInt8]] = []
        var scores: [Float] = []
        pieces.reserveCapacity(vocabularySize)
        scores.reserveCapacity(vocabularySize)
        for id in 0..<vocabularySize {
            scores.append(Float(bitPattern: UInt32(bitPattern: try reader.int32("the score of token \(id)"))))
            let length = Int(UInt32(bitPattern: try reader.int32("the length of token \(id)")))
            pieces.append(Array(try reader.bytes(length, "the \(length) bytes of token \(id)")))
        }
        if let b = bos, !(0..<vocabularySize).contains(b) {
            throw TokenizerError.invalidVocabulary(path: path, reason: "bos_id \(b) is not a token id (\(vocabularySize) tokens)")
        }
        let regularCount = bos ?? vocabularySize
        let kinds = (0..<vocabularySize).map { $0 < regularCount ? TokenKind.normal : TokenKind.control }
        self.init(model: .scoreMerge, pieces: pieces, scores: scores, kinds: kinds, bosID: bos, addsBOS: addsBOS,
                  endOfGenerationIDs: endIDs, unknownID: nil, chatTemplateSource: template)
    }
}

/// A bounds-checked little-endian reader for `.t` files.
struct TokenizerFileReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0

    func require(_ count: Int, _ what: @autoclosure () -> String) throws {
        guard count <= bytes.count - offset else {
            throw TokenizerError.truncated(path: path, what: what(), needed: count, available: bytes.count - offset)
        }
    }

    mutating func int32(_ what: @autoclosure () -> String) throws -> Int32 {
        try require(4, what())
        defer { offset += 4 }
        return Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self))
    }

    mutating func bytes(_ count: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        try require(count, what())
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }
}

import Foundation
import Testing
import TestSupport
@testable import ModelFormat

/// Damaged copies of real files, made in the test, each giving its own typed error.
@Suite("damaged and wrong files")
struct BadInputTests {
    let model = Paths.oracle("dllama_model_llama_q40.m")
    let gguf = Paths.gguf("tiny-llama.gguf")

    @Test("a missing file")
    func missing() {
        let error = modelFormatError { _ = try ModelFile(path: "/nonexistent/model.m") }
        #expect(error == .fileNotFound(path: "/nonexistent/model.m"))
        #expect(error?.description.contains("/nonexistent/model.m") == true)
    }

    @Test("a directory is said to be one")
    func directory() throws {
        let scratch = try ScratchDirectory()
        let error = modelFormatError { _ = try ModelFile(path: scratch.path) }
        #expect(error == .isDirectory(path: scratch.path))
        #expect(error?.description.contains("is a directory") == true)
    }

    @Test("a .t tokenizer given as the model is named as one")
    func tokenizerAsModel() throws {
        let path = Paths.oracle("dllama_tokenizer_tiny.t")
        #expect(modelFormatError { _ = try ModelFile(path: path) } == .tokenizerNotModel(path: path))
    }

    @Test("a metadata count damaged past any file size: the message says so without overflowing (issue 15: \"needs -12 bytes\")")
    func hugeCount() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.damagedCopy(of: gguf, named: "count.gguf") { $0.writeU64(12_058_570_031_895_729_849, at: 16) }
        let error = modelFormatError { _ = try ModelFile(path: path) }
        guard case .truncated(_, _, let needed, _)? = error else { Issue.record("expected .truncated, got \(String(describing: error))"); return }
        #expect(needed == Int.max)
        #expect(error?.description.contains("more bytes than any file holds") == true && error?.description.contains("needs -") == false,
                "\(String(describing: error))")
    }

    @Test("an empty file and a three-byte file")
    func tiny() throws {
        let scratch = try ScratchDirectory()
        for count in [0, 3] {
            let path = try scratch.damagedCopy(of: model, named: "short\(count).m") { $0 = Array($0.prefix(count)) }
            guard case .notAModelFile? = modelFormatError({ _ = try ModelFile(path: path) }) else {
                Issue.record("expected .notAModelFile for \(count) bytes"); continue
            }
        }
    }

    @Test("wrong magic")
    func wrongMagic() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.damagedCopy(of: model, named: "magic.m") { $0[0] = 0x7F; $0[1] = 0x45 }
        guard case .notAModelFile(let p, let reason)? = modelFormatError({ _ = try ModelFile(path: path) }) else {
            Issue.record("expected .notAModelFile"); return
        }
        #expect(p == path && reason.contains("7f 45"))
    }

    @Test("the old distributed-llama format")
    func legacyMagic() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.damagedCopy(of: model, named: "old.m") { $0.writeU32(0xABCD00, at: 0) }
        guard case .unsupportedVersion? = modelFormatError({ _ = try ModelFile(path: path) }) else {
            Issue.record("expected .unsupportedVersion"); return
        }
    }

    @Test("an unknown header key")
    func unknownKey() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.damagedCopy(of: model, named: "key.m") { $0.writeU32(99, at: 8 + 8 * 3) }
        #expect(modelFormatError { _ = try ModelFile(path: path) } == .unknownHeaderKey(path: path, key: 99))
    }

    @Test("a .m file cut short names the first tensor it cuts")
    func truncatedModel() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.damagedCopy(of: model, named: "cut.m") { $0.removeLast(1000) }
        guard case .truncated(_, let what, _, _)? = modelFormatError({ _ = try ModelFile(path: path) }) else {
            Issue.record("expected .truncated"); return
        }
        #expect(what.contains("tensor output"))
    }

    @Test("a .m file with bytes after its last tensor")
    func trailing() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.damagedCopy(of: model, named: "long.m") { $0.append(contentsOf: [1, 2, 3]) }
        #expect(modelFormatError { _ = try ModelFile(path: path) } == .trailingBytes(path: path, expectedSize: 117_632, actualSize: 117_635))
    }

    @Test("a header whose dimensions do not fit together")
    func inconsistentHeader() throws {
        let scratch = try ScratchDirectory()
        // Key 6 (n_kv_heads) is the 8th entry of the oracle header: 3 kv heads do not divide 4 heads.
        let path = try scratch.damagedCopy(of: model, named: "heads.m") { bytes in
            let entry = (0..<14).first { bytes.readU32(at: 8 + 8 * $0) == 6 }!
            bytes.writeU32(3, at: 8 + 8 * entry + 4)
        }
        guard case .invalidHeader(_, let reason)? = modelFormatError({ _ = try ModelFile(path: path) }) else {
            Issue.record("expected .invalidHeader"); return
        }
        #expect(reason.contains("kv heads"))
    }

    @Test("GGUF cut inside its metadata")
    func truncatedGGUF() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.damagedCopy(of: gguf, named: "cut.gguf") { $0 = Array($0.prefix(300)) }
        guard case .truncated? = modelFormatError({ _ = try ModelFile(path: path) }) else {
            Issue.record("expected .truncated"); return
        }
    }

    @Test("GGUF cut inside its tensor data")
    func truncatedGGUFData() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.damagedCopy(of: gguf, named: "cutdata.gguf") { $0.removeLast(100) }
        guard case .tensorOutOfBounds(_, let tensor, _, _)? = modelFormatError({ _ = try ModelFile(path: path) }) else {
            Issue.record("expected .tensorOutOfBounds"); return
        }
        #expect(tensor == "output.weight")
    }

    /// Offset of the fields after tensor `name`'s name in the tensor table: n_dims, dims, type, offset.
    func tensorInfoFields(_ bytes: [UInt8], _ name: String) -> (nDims: Int, type: Int, offset: Int) {
        let encoded = Array(name.utf8)
        var lengthPrefixed = [UInt8](repeating: 0, count: 8)
        lengthPrefixed.writeU64(UInt64(encoded.count), at: 0)
        let start = bytes.firstOffset(of: lengthPrefixed + encoded)! + 8 + encoded.count
        let nDims = Int(bytes.readU32(at: start))
        let type = start + 4 + 8 * nDims
        return (start, type, type + 4)
    }

    @Test("a GGUF tensor placed beyond the end of the file")
    func offsetBeyondEnd() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.damagedCopy(of: gguf, named: "offset.gguf") { bytes in
            bytes.writeU64(1 << 30, at: tensorInfoFields(bytes, "blk.1.ffn_up.weight").offset)
        }
        guard case .tensorOutOfBounds(_, let tensor, let range, let size)? = modelFormatError({ _ = try ModelFile(path: path) }) else {
            Issue.record("expected .tensorOutOfBounds"); return
        }
        #expect(tensor == "blk.1.ffn_up.weight" && range.lowerBound > size)
    }

    @Test("a GGUF tensor offset off the alignment")
    func misaligned() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.damagedCopy(of: gguf, named: "align.gguf") { bytes in
            bytes.writeU64(33, at: tensorInfoFields(bytes, "blk.0.attn_k.weight").offset)
        }
        guard case .invalidTensor(_, let tensor, let reason)? = modelFormatError({ _ = try ModelFile(path: path) }) else {
            Issue.record("expected .invalidTensor"); return
        }
        #expect(tensor == "blk.0.attn_k.weight" && reason.contains("alignment"))
    }

    @Test("a GGUF tensor of a type dllama cannot read")
    func unsupportedType() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.damagedCopy(of: gguf, named: "type.gguf") { bytes in
            bytes.writeU32(16, at: tensorInfoFields(bytes, "blk.0.attn_v.weight").type)
        }
        #expect(modelFormatError { _ = try ModelFile(path: path) }
            == .unsupportedTensorType(path: path, tensor: "blk.0.attn_v.weight", type: "IQ2_XXS (GGML type 16)"))
    }

    @Test("a GGUF array whose length runs past the end of the file")
    func hugeArray() throws {
        let scratch = try ScratchDirectory()
        // The first metadata value is general.architecture; make the kv count absurd instead.
        let path = try scratch.damagedCopy(of: gguf, named: "kv.gguf") { $0.writeU64(UInt64.max / 2, at: 16) }
        guard case .truncated? = modelFormatError({ _ = try ModelFile(path: path) }) else {
            Issue.record("expected .truncated"); return
        }
    }

    /// SmolLM2's GGUF with byte 731 set to 0x03: a key length becomes 48 MiB that still fits in the
    /// file. It used to take 100 s and print the 48 MiB "key" (17 MB of binary) in the error.
    @Test("a key length damaged into megabytes: refused at once, with a short printable message", .enabled(if: Assets.present, Assets.missing))
    func damagedKeyLength() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.damagedCopy(of: try Paths.asset("SmolLM2-135M-Instruct.Q4_1.gguf"), named: "flipped.gguf") { $0[731] = 0x03 }
        let start = Date()
        let error = modelFormatError { _ = try ModelFile(path: path) }
        #expect(Date().timeIntervalSince(start) < 10)
        guard case .invalidHeader(_, let reason)? = error else { Issue.record("expected .invalidHeader, got \(String(describing: error))"); return }
        #expect(reason.contains("more than the 65535 allowed"), "\(reason)")
        let message = error!.description
        #expect(message.count < 400)
        #expect(message.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F })
    }

    @Test("a metadata key that is not ASCII is refused")
    func keysAndNames() throws {
        let scratch = try ScratchDirectory()
        // The first key (general.architecture) starts after the 24-byte header and its u64 length.
        let badKey = try scratch.damagedCopy(of: gguf, named: "key.gguf") { $0[24 + 8] = 0x01 }
        guard case .invalidHeader(_, let reason)? = modelFormatError({ _ = try ModelFile(path: badKey) }) else {
            Issue.record("expected .invalidHeader"); return
        }
        #expect(reason.contains("not an ASCII key"))
    }

    @Test("every prefix of a GGUF header fails cleanly")
    func everyPrefix() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: gguf)))
        let dataStart = try GGUFFile.read(path: gguf).dataOffset
        for length in stride(from: 0, through: dataStart + 64, by: 7) {
            let result = Array(bytes.prefix(length)).withUnsafeBytes { buffer in
                Result { try GGUFFile.parse(buffer, path: "prefix") }
            }
            guard case .failure(let error) = result, error is ModelFormatError else {
                Issue.record("prefix of \(length) bytes: \(result)"); continue
            }
        }
    }

    @Test("a vocabulary-only GGUF is a GGUF but not a model", .enabled(if: Assets.present, Assets.missing))
    func vocabularyOnly() throws {
        let path = try Paths.asset("vocab/ggml-vocab-llama-spm.gguf")
        let vocabulary = try GGUFFile.read(path: path)
        #expect(vocabulary.tensors.isEmpty)
        #expect(vocabulary.metadata["tokenizer.ggml.tokens"]?.array?.count == 32000)
        guard case .missingTensor(_, let tensor)? = modelFormatError({ _ = try ModelFile(path: path) }) else {
            Issue.record("expected .missingTensor"); return
        }
        #expect(tensor.contains("vocabulary only"))
    }
}

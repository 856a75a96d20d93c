import Foundation
import Testing
import TestSupport
@testable import ModelFormat

@Suite("fingerprint and hashing")
struct FingerprintTests {
    @Test("SHA-256 matches the FIPS 180-2 test vectors")
    func sha256Vectors() {
        func hash(_ s: String) -> String { Array(s.utf8).withUnsafeBytes { SHA256.hash($0).hexString } }
        #expect(hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var million = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { chunk.withUnsafeBytes { million.update($0) } }  // also exercises partial blocks
        #expect(million.finalize().hexString == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("the full hash equals sha256sum's, and is cached beside the file")
    func fullHash() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.damagedCopy(of: Paths.oracle("dllama_model_llama_q40.m"), named: "m.m") { _ in }
        let file = try ModelFile(path: path)
        // sha256sum Tests/Fixtures/oracle/dllama_model_llama_q40.m
        let expected = "11a53c8d969faabdb52eb422da96985be181576b095852b82f4b3fdff349791a"
        #expect(try file.fullHash() == expected)
        let cache = try String(contentsOfFile: path + ".sha256", encoding: .utf8)
        #expect(cache.hasPrefix("\(expected)  m.m\n# dllama size=117632"))
        // A stale cache (wrong stamp) is ignored and rewritten.
        try "0000  m.m\n# dllama size=1 mtime=0\n".write(toFile: path + ".sha256", atomically: true, encoding: .utf8)
        #expect(try file.fullHash() == expected)
        #expect(try file.fullHash(useCache: false) == expected)
    }

    @Test("equal files have equal fingerprints; header, layout and sampled bytes change it")
    func sensitivity() throws {
        let source = Paths.oracle("dllama_model_qwen3_q40.m")
        let scratch = try ScratchDirectory()
        let original = try ModelFile(path: source)
        let reference = original.fingerprint()
        #expect(try ModelFile(path: scratch.damagedCopy(of: source, named: "copy.m") { _ in }).fingerprint() == reference)

        let q = try original.tensor("blk.1.attn_q")
        let changes: [(String, (inout [UInt8]) -> Void)] = [
            ("header value", { $0.writeU32(20_000, at: 8 + 8 * 13 + 4) }),              // rope_theta
            ("first byte of a tensor", { $0[q.offset] ^= 1 }),
            ("last byte of the file", { $0[$0.count - 1] ^= 1 }),
        ]
        for (what, edit) in changes {
            let changed = try ModelFile(path: scratch.damagedCopy(of: source, named: "\(what).m", edit))
            #expect(changed.fingerprint() != reference, "\(what)")
        }
        // A file this small is sampled whole, so no change can escape the fingerprint.
        var covered = [Bool](repeating: false, count: original.fileSize)
        for range in original.fingerprintSamples() { for i in range { covered[i] = true } }
        #expect(covered.allSatisfy { $0 })
    }

    @Test("on a real model the fingerprint reads little, and misses what it does not read", .enabled(if: Assets.present, Assets.missing))
    func sampledLimit() throws {
        let source = try Paths.asset("SmolLM2-135M-Instruct.Q4_1.gguf")
        let original = try ModelFile(path: source)
        let samples = original.fingerprintSamples()
        let sampledBytes = samples.reduce(0) { $0 + $1.count }
        #expect(sampledBytes - original.headerByteCount < 1 << 20)
        // Documented limit: a byte outside every sample keeps the fingerprint; the full hash sees it.
        let q = try original.tensor("blk.7.attn_q")
        let unsampled = try #require((q.offset..<(q.offset + q.byteCount)).first { i in !samples.contains { $0.contains(i) } })
        let scratch = try ScratchDirectory()
        let quiet = try ModelFile(path: scratch.damagedCopy(of: source, named: "quiet.gguf") { $0[unsampled] ^= 1 })
        #expect(quiet.fingerprint() == original.fingerprint())
        // The asset's published sha256 (scripts/fetch-assets.sh checks it).
        #expect(try quiet.fullHash(useCache: false) != "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
    }

    @Test("a GGUF's fingerprint covers its metadata")
    func ggufMetadata() throws {
        let source = Paths.gguf("tiny-llama.gguf")
        let scratch = try ScratchDirectory()
        let reference = try ModelFile(path: source).fingerprint()
        let path = try scratch.damagedCopy(of: source, named: "meta.gguf") { bytes in
            let key = Array("llama.context_length".utf8)
            let at = bytes.firstOffset(of: key)! + key.count + 4  // past the key and its value type
            bytes.writeU32(512, at: at)
        }
        let changed = try ModelFile(path: path)
        #expect(changed.model.maxSeqLen == 512)
        #expect(changed.fingerprint() != reference)
        #expect(reference.description.count == 16)
    }
}

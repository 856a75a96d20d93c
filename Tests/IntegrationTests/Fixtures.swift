import Foundation
import TestSupport

/// Variants of the committed fixtures that tests make on the fly.
enum Fixtures {
    static let tinyModel = Paths.fixture("oracle/dllama_model_llama_q40.m")
    static let tinyTokenizer = Paths.fixture("oracle/dllama_tokenizer_tiny.t")

    /// A copy of the tiny oracle model (2 layers, 2 KV heads of 16) declaring a context of
    /// `maxSeqLen` tokens (header key 10): with 2^31 - 1 its KV cache would take 1 TiB.
    static func dllamaModel(maxSeqLen: Int32, in scratch: ScratchDirectory) throws -> String {
        try scratch.damagedCopy(of: tinyModel, named: "long-context.m") { bytes in
            let headerSize = Int(bytes[4]) | Int(bytes[5]) << 8
            for offset in stride(from: 8, to: headerSize, by: 8) where bytes[offset] == 10 && bytes[(offset + 1)...(offset + 3)].allSatisfy({ $0 == 0 }) {
                for i in 0..<4 { bytes[offset + 4 + i] = UInt8(truncatingIfNeeded: maxSeqLen >> (8 * i)) }
            }
        }
    }
}

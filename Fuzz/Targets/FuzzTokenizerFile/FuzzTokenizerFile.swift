// A `.t` tokenizer file (or a GGUF's vocabulary) from any bytes: a tokenizer or a typed error,
// and a tokenizer that loaded encodes and decodes text without trapping.
import Foundation
import Tokenizer

let scratchPath = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-tokenizer-\(getpid()).t").path

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizerFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    // The loaders map files, so each input goes through one scratch file.
    guard FileManager.default.createFile(atPath: scratchPath, contents: data.map { Data(bytes: $0, count: size) } ?? Data()) else {
        return 0
    }
    guard let tokenizer = try? Tokenizer(path: scratchPath) else { return 0 }
    for text in ["Hello, world! 123", " éß 日本語 🙂\n\t", "<|im_start|>user<s></s>", ""] {
        for special in [false, true] {
            _ = tokenizer.decode(tokenizer.encode(text, parseSpecialTokens: special))
        }
    }
    return 0
}

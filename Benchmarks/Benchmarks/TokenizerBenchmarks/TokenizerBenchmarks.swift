import Benchmark
import Foundation
import Tokenizer

/// Encoding throughput of each encoder on 1 MiB of text, and the cost of loading a vocabulary.
/// The text is the committed multilingual sample (Tests/Fixtures/tokenizer/sample.txt: prose in
/// nine scripts, code, digits, emoji) repeated to 1 MiB; the `.t` encoder gets the sample's ASCII
/// lines repeated, since the tiny oracle vocabulary has only ASCII tokens. One iteration encodes
/// the whole MiB, so MB/s = 1.048576 / (wall clock in seconds).
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
let assets = ProcessInfo.processInfo.environment["DLLAMA_ASSETS"] ?? repository.appendingPathComponent(".assets").path
let fixtures = repository.appendingPathComponent("Tests/Fixtures").path

func mebibyte(of text: String) -> String {
    String(repeating: text, count: (1 << 20) / text.utf8.count + 1)
}

let benchmarks: @Sendable () -> Void = {
    guard let sample = try? String(contentsOfFile: fixtures + "/tokenizer/sample.txt", encoding: .utf8) else {
        fatalError("Tests/Fixtures/tokenizer/sample.txt is missing")
    }
    let asciiSample = sample.split(separator: "\n").filter { $0.allSatisfy(\.isASCII) }.joined(separator: "\n") + "\n"
    let text = mebibyte(of: sample)
    let asciiText = mebibyte(of: asciiSample)

    let encoders: [(name: String, path: String, text: String)] = [
        ("sentencepiece (llama-spm)", assets + "/vocab/ggml-vocab-llama-spm.gguf", text),
        ("BPE llama-bpe (Llama 3)", assets + "/vocab/ggml-vocab-llama-bpe.gguf", text),
        ("BPE gpt-2", assets + "/vocab/ggml-vocab-gpt-2.gguf", text),
        ("BPE qwen2", assets + "/vocab/ggml-vocab-qwen2.gguf", text),
        ("BPE smollm (SmolLM2)", assets + "/SmolLM2-135M-Instruct.Q4_1.gguf", text),
        (".t score-merge (tiny oracle, ASCII)", fixtures + "/oracle/dllama_tokenizer_tiny.t", asciiText),
    ]
    let encode = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
                                         maxDuration: .seconds(10), maxIterations: 10)
    for encoder in encoders {
        guard FileManager.default.fileExists(atPath: encoder.path) else {
            fatalError("\(encoder.path) is missing: run `make assets` first")
        }
        Benchmark("encode 1 MiB: \(encoder.name)", configuration: encode) { benchmark in
            let tokenizer = try Tokenizer(path: encoder.path)
            benchmark.startMeasurement()
            blackHole(tokenizer.encode(encoder.text, addBOS: false).count)
        }
    }

    // The 1 MiB text repeats every 1.1 KB, so after the first pass BPE finds every word in its
    // per-call word cache. Encoding the sample alone, 100 calls per iteration, each with a fresh
    // cache, measures the uncached rate: MB/s = 100 x sample bytes / wall clock.
    for encoder in encoders {
        let short = encoder.text == asciiText ? asciiSample : sample
        Benchmark("encode sample x 100 calls (\(short.utf8.count) bytes each, cold word cache): \(encoder.name)",
                  configuration: encode) { benchmark in
            let tokenizer = try Tokenizer(path: encoder.path)
            benchmark.startMeasurement()
            for _ in 0..<100 { blackHole(tokenizer.encode(short, addBOS: false).count) }
        }
    }

    Benchmark("load vocabulary: llama-bpe (128 256 tokens, 280 147 merges)",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(10), maxIterations: 10)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try Tokenizer(path: assets + "/vocab/ggml-vocab-llama-bpe.gguf").vocabulary.count)
        }
    }
}

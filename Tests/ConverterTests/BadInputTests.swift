import Foundation
import Testing
@testable import Converter

/// Damaged or inconsistent inputs: each gives an error naming the file and the problem, and no
/// output file (not even a partial one) is left behind.
@Suite("bad input")
struct BadInputTests {
    /// A valid tiny Llama folder (no tokenizer), then `damage` applied to it.
    func folder(_ damage: (ScratchDirectory) throws -> Void) throws -> ScratchDirectory {
        let folder = try ScratchDirectory()
        try TinyCheckpoint(kind: .llama).write(to: folder.path)
        try damage(folder)
        return folder
    }

    /// Converts `input` into a fresh folder and returns the error, checking nothing was written.
    func failure(_ input: String) throws -> ConverterError? {
        let out = try ScratchDirectory()
        defer { #expect(out.contents.isEmpty, "left behind: \(out.contents)") }
        do {
            try Converter(inputPath: input).convert(ConversionOptions(outputPath: out.file("model.m"), weights: .q80))
        } catch let error as ConverterError {
            return error
        }
        Issue.record("the conversion of \(input) succeeded")
        return nil
    }

    static let secondShard = "model-00002-of-00002.safetensors"

    @Test("the undamaged folder converts (the baseline the other cases break)")
    func baseline() throws {
        let input = try folder { _ in }, out = try ScratchDirectory()
        let report = try Converter(inputPath: input.path).convert(ConversionOptions(outputPath: out.file("model.m"), weights: .q80))
        #expect(out.contents == ["model.m"] && report.tokenizerPath == nil)
    }

    @Test("a truncated safetensors file names the shard and the first tensor cut off")
    func truncated() throws {
        let input = try folder { f in
            let path = f.file(Self.secondShard)
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
            try FileHandle(forWritingTo: URL(fileURLWithPath: path)).truncate(atOffset: UInt64(size - 100))
        }
        let error = try failure(input.path)
        guard case .tensorOutOfBounds(let path, _, _, _) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(path.hasSuffix(Self.secondShard))
        #expect(error!.description.contains("truncated or damaged"))
    }

    @Test("a file shorter than its header length")
    func headerCut() throws {
        let input = try folder { f in
            try FileHandle(forWritingTo: URL(fileURLWithPath: f.file(Self.secondShard))).truncate(atOffset: 20)
        }
        guard case .truncatedSafetensors(_, let what, _, _) = try failure(input.path) else { Issue.record("wrong error"); return }
        #expect(what.contains("header"))
    }

    /// Rewrites the second shard with its header changed by `edit` (the data kept as is).
    func editedHeader(_ edit: @escaping (inout [String: Any]) -> Void) throws -> ScratchDirectory {
        try folder { f in
            let path = f.file(Self.secondShard)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let length = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
            var header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + length))) as! [String: Any]
            edit(&header)
            try SafetensorsWriter.write(header: header, data: bytes.subdata(in: (8 + length)..<bytes.count), to: path)
        }
    }

    @Test("header offsets that overlap another tensor's")
    func overlapping() throws {
        let input = try editedHeader { header in
            var entry = header["model.norm.weight"] as! [String: Any]
            let offsets = entry["data_offsets"] as! [Int]
            entry["data_offsets"] = [offsets[0] - 8, offsets[1] - 8]
            header["model.norm.weight"] = entry
        }
        guard case .overlappingTensors(_, let a, let b) = try failure(input.path) else { Issue.record("wrong error"); return }
        #expect([a, b].contains("model.norm.weight"))
    }

    @Test("header offsets past the end of the data")
    func pastTheEnd() throws {
        let input = try editedHeader { header in
            var entry = header["model.norm.weight"] as! [String: Any]
            let offsets = entry["data_offsets"] as! [Int]
            entry["data_offsets"] = [offsets[0] + 1_000_000, offsets[1] + 1_000_000]
            header["model.norm.weight"] = entry
        }
        guard case .tensorOutOfBounds(_, let tensor, _, _) = try failure(input.path) else { Issue.record("wrong error"); return }
        #expect(tensor == "model.norm.weight")
    }

    @Test("a byte count that disagrees with the dtype and shape")
    func wrongLength() throws {
        let input = try editedHeader { header in
            var entry = header["model.norm.weight"] as! [String: Any]
            entry["shape"] = [65]
            header["model.norm.weight"] = entry
        }
        guard case .invalidSafetensors(_, let reason) = try failure(input.path) else { Issue.record("wrong error"); return }
        #expect(reason.contains("model.norm.weight") && reason.contains("needs 260 bytes"))
    }

    @Test("a header that is not JSON")
    func notJSON() throws {
        let input = try folder { f in
            var data = Data()
            withUnsafeBytes(of: UInt64(8).littleEndian) { data.append(contentsOf: $0) }
            data.append(contentsOf: Array("{not json".utf8.prefix(8)))
            try data.write(to: URL(fileURLWithPath: f.file(Self.secondShard)))
        }
        guard case .notAnInput(_, let reason) = try failure(input.path) else { Issue.record("wrong error"); return }
        #expect(reason.contains("not valid JSON"))
    }

    @Test("a shard the index lists but the folder lacks")
    func missingShard() throws {
        let input = try folder { f in try FileManager.default.removeItem(atPath: f.file(Self.secondShard)) }
        guard case .missingShard(let path, let count) = try failure(input.path) else { Issue.record("wrong error"); return }
        #expect(path.hasSuffix(Self.secondShard) && count > 0)
    }

    @Test("a config that disagrees with the tensor shapes names the tensor and both shapes")
    func configDisagrees() throws {
        let input = try folder { f in try TinyCheckpoint(kind: .llama).write(to: f.path, config: ["intermediate_size": 96]) }
        let error = try failure(input.path)
        guard case .shapeMismatch(_, let tensor, let shape, let expected, _) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(tensor == "model.layers.0.mlp.gate_proj.weight" && shape == [128, 64] && expected == [96, 64])
        #expect(error!.description.contains("config.json"))
    }

    @Test("a config whose vocabulary disagrees with the embedding")
    func vocabularyDisagrees() throws {
        let input = try folder { f in try TinyCheckpoint(kind: .llama).write(to: f.path, config: ["vocab_size": 300]) }
        guard case .shapeMismatch(_, let tensor, _, _, _) = try failure(input.path) else { Issue.record("wrong error"); return }
        #expect(tensor == "model.embed_tokens.weight")
    }

    @Test("what a .m file cannot express is refused with the reason", arguments: [
        (#"{"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]}"#, "biases"),
        (#"{"rope_scaling": {"rope_type": "yarn", "factor": 4.0}}"#, "RoPE scaling \"yarn\""),
        (#"{"rope_scaling": {"rope_type": "llama3", "factor": 8.5, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}"#, "integers"),
        (#"{"hidden_act": "gelu"}"#, "hidden_act \"gelu\""),
        (#"{"attention_bias": true}"#, "no bias tensors"),
        (#"{"rms_norm_eps": 3e-6}"#, "power of ten"),
        (#"{"model_type": "gemma", "architectures": ["GemmaForCausalLM"]}"#, "GemmaForCausalLM"),
    ])
    func refused(override: String, message: String) throws {
        let keys = try JSONSerialization.jsonObject(with: Data(override.utf8)) as! [String: Any]
        let input = try folder { f in try TinyCheckpoint(kind: .llama).write(to: f.path, config: keys) }
        let error = try failure(input.path)
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }

    @Test("impossible dimensions are refused before anything is written", arguments: [
        (#"{"num_key_value_heads": 3}"#, "does not divide the 4 heads"),
        (#"{"hidden_size": 3000000000}"#, "outside 1...2147483647"),
        (#"{"num_hidden_layers": 0}"#, "num_hidden_layers is 0"),
        (#"{"head_dim": 15}"#, "even head dimension"),
        (#"{"vocab_size": "many"}"#, "vocab_size is not a non-negative integer"),
    ])
    func impossibleConfig(override: String, message: String) throws {
        let keys = try JSONSerialization.jsonObject(with: Data(override.utf8)) as! [String: Any]
        let input = try folder { f in try TinyCheckpoint(kind: .llama).write(to: f.path, config: keys) }
        let error = try failure(input.path)
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }

    @Test("a tensor with no place in a .m file is refused, not dropped")
    func extraTensor() throws {
        let input = try editedHeader { header in
            var entry = header["model.norm.weight"] as! [String: Any]
            entry["data_offsets"] = [0, 0]
            entry["shape"] = [0]
            header["model.norm.bias"] = entry
        }
        guard case .unexpectedTensor(_, let tensor) = try failure(input.path) else { Issue.record("wrong error"); return }
        #expect(tensor == "model.norm.bias")
    }

    @Test("an integer tensor has no conversion")
    func integerTensor() throws {
        let input = try editedHeader { header in
            var entry = header["model.norm.weight"] as! [String: Any]
            entry["dtype"] = "I32"
            header["model.norm.weight"] = entry
        }
        guard case .unsupportedTensorType(_, let tensor, let type) = try failure(input.path) else { Issue.record("wrong error"); return }
        #expect(tensor == "model.norm.weight" && type == "I32")
    }

    @Test("inputs that are not models", arguments: ["/no/such/model.gguf", "not-a-model"])
    func notAModel(name: String) throws {
        let scratch = try ScratchDirectory()
        var path = name
        if !name.hasPrefix("/") {
            path = scratch.file(name)
            try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        }
        let error = try failure(path)
        #expect(error == .inputNotFound(path: path) || error == .notAnInput(path: path, reason: "neither a GGUF file nor a folder"))
    }

    @Test("an output in a folder that does not exist is refused before anything is written")
    func missingOutputFolder() throws {
        let input = Paths.fixture("gguf/tiny-qwen3.gguf")
        #expect(throws: ConverterError.cannotWrite(path: "/no/such/folder/x.m", reason: "no folder /no/such/folder")) {
            try Converter(inputPath: input).convert(ConversionOptions(outputPath: "/no/such/folder/x.m", weights: .f32))
        }
    }

    @Test("an output that would replace the input is refused")
    func outputIsInput() throws {
        let input = Paths.fixture("gguf/tiny-qwen3.gguf")
        #expect(throws: ConverterError.outputIsInput(path: input)) {
            try Converter(inputPath: input).convert(ConversionOptions(outputPath: input, weights: .f32))
        }
    }
}

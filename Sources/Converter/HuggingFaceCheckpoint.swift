import Foundation
import ModelFormat

/// A Hugging Face checkpoint folder: `config.json`, the weights in one `model.safetensors` or in
/// shards listed by `model.safetensors.index.json`, and usually `tokenizer.json`.
///
/// Every shard is memory-mapped and its header checked at open; no tensor data is read until the
/// conversion streams it.
struct HuggingFaceCheckpoint {
    let folder: String
    let config: JSONValue
    let configPath: String
    let files: [SafetensorsFile]
    /// Which file holds each tensor.
    private let fileIndex: [String: Int]

    init(folder: String) throws {
        self.folder = folder
        configPath = (folder as NSString).appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw ConverterError.notAnInput(path: folder, reason: "a folder without config.json")
        }
        config = try JSONValue.read(path: configPath, what: "config.json")
        guard config.object != nil else {
            throw ConverterError.invalidConfig(path: configPath, key: "the file", reason: "is not a JSON object")
        }

        let indexPath = (folder as NSString).appendingPathComponent("model.safetensors.index.json")
        var files: [SafetensorsFile] = []
        var fileIndex: [String: Int] = [:]
        if FileManager.default.fileExists(atPath: indexPath) {
            let index = try JSONValue.read(path: indexPath, what: "the shard index")
            guard let weightMap = index["weight_map"].object else {
                throw ConverterError.invalidSafetensors(path: indexPath, reason: "no weight_map object")
            }
            var tensorsByShard: [String: [String]] = [:]
            for (tensor, shard) in weightMap {
                guard let shard = shard as? String, !shard.contains("/") else {
                    throw ConverterError.invalidSafetensors(path: indexPath, reason: "weight_map gives \(tensor) no plain shard file name")
                }
                tensorsByShard[shard, default: []].append(tensor)
            }
            for shard in tensorsByShard.keys.sorted() {
                let path = (folder as NSString).appendingPathComponent(shard)
                guard FileManager.default.fileExists(atPath: path) else {
                    throw ConverterError.missingShard(path: path, tensorCount: tensorsByShard[shard]!.count)
                }
                let file = try SafetensorsFile(path: path)
                for tensor in tensorsByShard[shard]!.sorted() {
                    guard file.tensors[tensor] != nil else { throw ConverterError.missingTensor(path: path, tensor: tensor) }
                }
                // A tensor the index does not list still counts (transformers loads whole shards),
                // so the converter can refuse one it has no place for instead of dropping it.
                for tensor in file.tensors.keys where weightMap[tensor] as? String == shard || weightMap[tensor] == nil {
                    fileIndex[tensor] = files.count
                }
                files.append(file)
            }
        } else {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            let shards = names.filter { $0.hasSuffix(".safetensors") && !$0.hasPrefix(".") }.sorted()
            guard !shards.isEmpty else {
                throw ConverterError.notAnInput(path: folder, reason: "no *.safetensors file in the folder")
            }
            for shard in shards {
                let file = try SafetensorsFile(path: (folder as NSString).appendingPathComponent(shard))
                for tensor in file.tensors.keys {
                    if let other = fileIndex[tensor] {
                        throw ConverterError.invalidSafetensors(path: file.path, reason: "tensor \(tensor) is also in \(files[other].path), and there is no index to say which counts")
                    }
                    fileIndex[tensor] = files.count
                }
                files.append(file)
            }
        }
        self.files = files
        self.fileIndex = fileIndex
    }

    /// Names of every tensor the checkpoint holds.
    var tensorNames: [String] { fileIndex.keys.sorted() }

    /// The tensor `name`, or nil when no shard holds it.
    func tensor(_ name: String) -> SourceTensor? {
        fileIndex[name].flatMap { files[$0].source(name) }
    }

    /// A file of the folder beside config.json, if present.
    func sidecar(_ name: String) -> String? {
        let path = (folder as NSString).appendingPathComponent(name)
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
}

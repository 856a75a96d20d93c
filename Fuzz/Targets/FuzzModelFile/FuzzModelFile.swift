// ModelFormat must turn any bytes into a model or a typed error: GGUF and `.m` headers, their
// model descriptions, tensor tables and shape checks.
@testable import ModelFormat

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    if let header = try? DllamaHeader.parse(bytes, path: "fuzz"), let model = try? header.model(path: "fuzz") {
        _ = try? DllamaLayout.tensors(of: model, headerSize: header.byteCount, path: "fuzz", fileSize: size)
    }
    if let gguf = try? GGUFFile.parse(bytes, path: "fuzz"), let model = try? GGUFModelMapping.model(of: gguf, path: "fuzz") {
        let tensors = GGUFModelMapping.tensors(of: gguf)
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        _ = try? GGUFModelMapping.checkShapes(byName, model: model, path: "fuzz")
    }
    return 0
}

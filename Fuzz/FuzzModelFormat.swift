// libFuzzer target: ModelFormat must turn any bytes into a model or a typed error, never a crash.
// Built by `make fuzz` (swiftc -sanitize=fuzzer,address with the ModelFormat sources).
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelFormat(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    _ = try? GGUFFile.parse(bytes, path: "fuzz")
    if let header = try? DllamaHeader.parse(bytes, path: "fuzz"), let model = try? header.model(path: "fuzz") {
        _ = try? DllamaLayout.tensors(of: model, headerSize: header.byteCount, path: "fuzz", fileSize: size)
    }
    if let gguf = try? GGUFFile.parse(bytes, path: "fuzz"), let model = try? GGUFModelMapping.model(of: gguf, path: "fuzz") {
        let tensors = GGUFModelMapping.tensors(of: gguf)
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        _ = try? GGUFModelMapping.checkShapes(byName, model: model, path: "fuzz")
    }
    return 0
}

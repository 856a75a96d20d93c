// A `.safetensors` header from any bytes: its tensor table, every range inside the file and
// disjoint, or a typed error naming the tensor. Inputs reach several MiB, so a declared header
// length far past the JSON (or past the file) is exercised too.
import Foundation
@testable import Converter

let scratchPath = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(getpid()).safetensors").path

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    // SafetensorsFile maps its file, so each input goes through one scratch file.
    guard FileManager.default.createFile(atPath: scratchPath, contents: data.map { Data(bytes: $0, count: size) } ?? Data()) else {
        return 0
    }
    guard let file = try? SafetensorsFile(path: scratchPath) else { return 0 }
    for tensor in file.tensors.values {
        precondition(tensor.range.lowerBound >= 8 && tensor.range.upperBound <= size, "tensor \(tensor.name) outside the file")
        _ = try? file.mapping.bytes(tensor.range)
    }
    return 0
}

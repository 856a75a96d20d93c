// swift-tools-version: 6.1
// libFuzzer targets, nested so that the root package's build and tests never compile them. Each
// target defines `LLVMFuzzerTestOneInput` and takes libFuzzer's own `main`; `make fuzz` builds them
// with `--sanitize fuzzer --sanitize address` and runs each for FUZZ_SECONDS. It also names the
// coverage explicitly (`-sanitize-coverage=...`: SwiftPM 6.3 passes the Swift compiler no coverage
// for `--sanitize fuzzer`, and libFuzzer would fuzz blind) and keeps the linker from dropping the
// counters' sections (`--no-gc-sections`).
import PackageDescription
import class Foundation.ProcessInfo
import struct Foundation.URL

// A path dependency's identity is its folder name, which differs between clones.
let rootPackage = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

func fuzzTarget(_ name: String, _ libraries: [String]) -> Target {
    .executableTarget(name: name, dependencies: libraries.map { .product(name: $0, package: rootPackage) }, path: "Targets/\(name)")
}

let package = Package(
    name: "DllamaFuzz",
    dependencies: [.package(path: "../")],
    targets: [
        fuzzTarget("FuzzModelFile", ["ModelFormat"]),
        fuzzTarget("FuzzTokenizerFile", ["Tokenizer"]),
        fuzzTarget("FuzzSafetensors", ["Converter"]),
        fuzzTarget("FuzzFrames", ["Transport", "Engine"]),
        fuzzTarget("FuzzHandshake", ["Transport"]),
    ]
)

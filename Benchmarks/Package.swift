// swift-tools-version: 6.1
// The per-library benchmarks, nested so that `swift test` at the root never builds them.
// Run with `make bench`, or `swift package benchmark --target ModelFormatBenchmarks` (or
// another target) here.
import PackageDescription
import class Foundation.ProcessInfo
import struct Foundation.URL

// A path dependency's identity is its folder name, which differs between clones.
let rootPackage = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

func benchmark(_ name: String, _ libraries: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: [.product(name: "Benchmark", package: "benchmark")]
            + libraries.map { .product(name: $0, package: rootPackage) },
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

let package = Package(
    name: "DllamaBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        benchmark("ModelFormatBenchmarks", ["ModelFormat"]),
        benchmark("QuantKernelsBenchmarks", ["QuantKernels"]),
        benchmark("TokenizerBenchmarks", ["Tokenizer"]),
        benchmark("LayerStoreBenchmarks", ["LayerStore", "ModelFormat", "Scheduler"]),
        benchmark("TransportBenchmarks", ["Transport"]),
        benchmark("SchedulerBenchmarks", ["Scheduler", "ModelFormat"]),
        benchmark("EngineBenchmarks", ["Engine", "ModelFormat", "QuantKernels", "LayerStore", "Scheduler"]),
    ]
)

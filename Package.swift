// swift-tools-version: 6.1
// The dllama workspace: one library product per library, two thin executables.
// Library floors (an arrow means "depends on"); nothing imports a floor above its own:
//   ModelFormat, CBLAS, CLZ4, CQuantKernels  <-  QuantKernels, Tokenizer, Scheduler, ModelCatalogue  <-  LayerStore, Transport, Converter
//   <-  Engine  <-  Server  <-  dllama, dllama-worker
// The `MPI` trait (`swift build --traits MPI`, `make build-mpi`) adds Open MPI (Packages/CMPI) to
// Transport: `MPICollective` and `dllama --transport mpi`. Without it nothing needs MPI installed.
import PackageDescription

/// Open MPI, for Transport's `MPICollective`: only with the `MPI` trait.
let openMPI = Target.Dependency.product(name: "CMPI", package: "CMPI", condition: .when(traits: ["MPI"]))

let libraries: [(name: String, dependencies: [Target.Dependency])] = [
    ("ModelFormat", []),
    ("QuantKernels", ["CQuantKernels", "ModelFormat", .product(name: "CBLAS", package: "CBLAS")]),  // ModelFormat: TensorType's block sizes
    ("Tokenizer", ["ModelFormat"]),
    ("Scheduler", ["ModelFormat"]),
    // The catalogue of known models, the local cache and `dllama pull`'s downloads (FoundationNetworking).
    ("ModelCatalogue", ["ModelFormat", .product(name: "Crypto", package: "swift-crypto")]),
    ("LayerStore", ["ModelFormat", "QuantKernels", "Scheduler"]),
    ("Transport", ["QuantKernels", .product(name: "CLZ4", package: "CLZ4"), .product(name: "Crypto", package: "swift-crypto"), openMPI]),
    ("Engine", ["ModelFormat", "QuantKernels", "Tokenizer", "Scheduler", "LayerStore", "Transport",
                .product(name: "Logging", package: "swift-log")]),
    ("Converter", ["ModelFormat", "QuantKernels", "Tokenizer"]),
    ("Server", ["Engine", "Tokenizer", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"), .product(name: "Logging", package: "swift-log")]),
]

/// Files a library ships beside its code (the Server's chat page: plain HTML and JavaScript).
let libraryResources: [String: [Resource]] = ["Server": [.copy("Page")]]

/// Test targets that need more than their own library (ConverterTests runs converted models in the Engine;
/// ServerTests runs its engine queue on a tiny model).
let extraTestDependencies: [String: [Target.Dependency]] = [
    "Converter": ["Engine"],
    "Server": ["Engine", "ModelFormat", "Tokenizer", .product(name: "Logging", package: "swift-log")],
]

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

// The targets in typed pieces: one expression holding them all takes the manifest's type checker too long.
let libraryTargets: [Target] = libraries.map { .target(name: $0.name, dependencies: $0.dependencies, resources: libraryResources[$0.name]) }
    // The innermost SIMD loops of QuantKernels: C, so each variant carries its own target attribute.
    + [.target(name: "CQuantKernels")]
// Paths to fixtures and assets, scratch directories: one copy for every test target.
let testSupport = Target.target(name: "TestSupport", path: "Tests/TestSupport")
let testTargets: [Target] = [testSupport] + libraries.map {
    .testTarget(name: "\($0.name)Tests", dependencies: [.target(name: $0.name), "TestSupport"] + (extraTestDependencies[$0.name] ?? []))
}
let executableTargets: [Target] = [
    .executableTarget(name: "dllama", dependencies: ["Converter", "Engine", "LayerStore", "ModelFormat", "QuantKernels", "Scheduler", "Server",
                                                    "Tokenizer", "Transport", argumentParser, .product(name: "Logging", package: "swift-log"),
                                                    "ModelCatalogue"]),
    .executableTarget(name: "dllama-worker", dependencies: ["Engine", "ModelFormat", "QuantKernels", "Transport", argumentParser,
                                                           .product(name: "Logging", package: "swift-log"), "ModelCatalogue"]),
    .testTarget(name: "IntegrationTests", dependencies: ["dllama", "dllama-worker", "ModelFormat", "Engine", "Scheduler",
                                                       "Tokenizer", "Transport", "ModelCatalogue", "TestSupport"]),
]

let products: [Product] = libraries.map { .library(name: $0.name, targets: [$0.name]) } + [
    .executable(name: "dllama", targets: ["dllama"]),
    .executable(name: "dllama-worker", targets: ["dllama-worker"]),
]
let traits: Set<Trait> = [
    .trait(name: "MPI", description: "Open MPI as a second cluster transport (libopenmpi-dev): dllama --transport mpi under mpirun or srun."),
]

let package = Package(
    name: "dllama",
    platforms: [.macOS(.v14)],
    products: products,
    traits: traits,
    dependencies: [
        .package(path: "Packages/CBLAS"),
        .package(path: "Packages/CLZ4"),
        .package(path: "Packages/CMPI"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Without its default traits Hummingbird needs no swift-configuration.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: libraryTargets + testTargets + executableTargets
)

// swift-tools-version: 6.1
// OpenBLAS as a system library: `apt-get install libopenblas-dev` (pkg-config name `openblas`).
import PackageDescription

let package = Package(
    name: "CBLAS",
    products: [.library(name: "CBLAS", targets: ["CBLAS"])],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
        )
    ]
)

// swift-tools-version: 6.1
// liblz4 as a system library: `apt-get install liblz4-dev` (pkg-config name `liblz4`).
import PackageDescription

let package = Package(
    name: "CLZ4",
    products: [.library(name: "CLZ4", targets: ["CLZ4"])],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]
        )
    ]
)

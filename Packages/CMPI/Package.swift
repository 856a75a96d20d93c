// swift-tools-version: 6.1
// Open MPI as a system library: `apt-get install libopenmpi-dev openmpi-bin` (pkg-config name `ompi`).
// Only the `MPI` trait of the dllama package builds it (`make build-mpi`); the default build never
// looks for it.
import PackageDescription

let package = Package(
    name: "CMPI",
    products: [.library(name: "CMPI", targets: ["CMPI"])],
    targets: [
        .systemLibrary(
            name: "CMPI",
            pkgConfig: "ompi",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"]), .brew(["open-mpi"])]
        )
    ]
)

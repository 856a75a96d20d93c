import Testing
@testable import QuantKernels

@Suite("Kernel path selection")
struct DispatchTests {
    static let allX86: CPUFeatures = [.avx2, .fma, .f16c, .avx512f, .avx512bw, .avx512vl, .avx512vnni]

    @Test("the scalar path is always available and preferred last")
    func scalarAlways() {
        #expect(KernelPath.available(on: []) == [.scalar])
        #expect(KernelPath.available().contains(.scalar))
        #expect(KernelPath.choose(features: [], override: nil).path == .scalar)
    }

    #if arch(x86_64)
    @Test("AVX-512 needs VNNI, BW and VL as well as F; AVX2 needs FMA and F16C")
    func requirements() {
        #expect(KernelPath.available(on: Self.allX86) == [.scalar, .avx2, .avx512])
        #expect(KernelPath.available(on: [.avx2, .fma, .f16c, .avx512f]) == [.scalar, .avx2])
        #expect(KernelPath.available(on: [.avx2, .f16c]) == [.scalar])
        #expect(KernelPath.choose(features: Self.allX86, override: nil).path == .avx512)
    }

    @Test("DLLAMA_KERNELS forces any path that can run and is ignored otherwise")
    func override() {
        #expect(KernelPath.choose(features: Self.allX86, override: "scalar").path == .scalar)
        #expect(KernelPath.choose(features: Self.allX86, override: "AVX2").path == .avx2)
        let refused = KernelPath.choose(features: [.avx2, .fma, .f16c], override: "avx512")
        #expect(refused.path == .avx2)
        #expect(refused.note.contains("cannot run"))
        #expect(KernelPath.choose(features: Self.allX86, override: "neon").path == .avx512)  // not compiled here
        #expect(KernelPath.choose(features: Self.allX86, override: "fast").note.contains("not a kernel path"))
    }
    #endif

    @Test("the process-wide selection is one of the available paths and its table says so")
    func processSelection() {
        #expect(KernelPath.available().contains(KernelPath.selected))
        #expect(KernelTable.current.path == KernelPath.selected)
    }

    @Test("features render as names")
    func featureNames() {
        #expect(CPUFeatures([.avx2, .fma]).description == "avx2 fma")
        #expect(CPUFeatures([]).description == "none")
    }
}

import CQuantKernels

/// The CPU features the kernels care about, detected at run time.
public struct CPUFeatures: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let avx2 = CPUFeatures(rawValue: UInt32(QK_CPU_AVX2))
    public static let fma = CPUFeatures(rawValue: UInt32(QK_CPU_FMA))
    public static let f16c = CPUFeatures(rawValue: UInt32(QK_CPU_F16C))
    public static let avx512f = CPUFeatures(rawValue: UInt32(QK_CPU_AVX512F))
    public static let avx512bw = CPUFeatures(rawValue: UInt32(QK_CPU_AVX512BW))
    public static let avx512vl = CPUFeatures(rawValue: UInt32(QK_CPU_AVX512VL))
    public static let avx512vnni = CPUFeatures(rawValue: UInt32(QK_CPU_AVX512VNNI))
    public static let neon = CPUFeatures(rawValue: UInt32(QK_CPU_NEON))
    public static let neonDotProduct = CPUFeatures(rawValue: UInt32(QK_CPU_NEON_DOTPROD))

    /// What this machine supports (and its OS enables).
    public static let detected = CPUFeatures(rawValue: qk_cpu_features())

    private static let names: [(CPUFeatures, String)] = [
        (.avx2, "avx2"), (.fma, "fma"), (.f16c, "f16c"), (.avx512f, "avx512f"), (.avx512bw, "avx512bw"),
        (.avx512vl, "avx512vl"), (.avx512vnni, "avx512vnni"), (.neon, "neon"), (.neonDotProduct, "dotprod"),
    ]

    public var description: String {
        let found = Self.names.filter { contains($0.0) }.map(\.1)
        return found.isEmpty ? "none" : found.joined(separator: " ")
    }
}

/// A family of kernels: the portable scalar reference or one SIMD instruction set.
///
/// ```swift
/// let path = KernelPath.selected           // best available, or $DLLAMA_KERNELS if set and usable
/// let table = KernelTable(path: .scalar)   // force one, e.g. in a test
/// ```
public enum KernelPath: String, CaseIterable, Sendable {
    case scalar, avx2, avx512, neon

    /// Features the path's kernels execute.
    public var requiredFeatures: CPUFeatures {
        switch self {
        case .scalar: []
        case .avx2: [.avx2, .fma, .f16c]
        case .avx512: [.avx2, .fma, .f16c, .avx512f, .avx512bw, .avx512vl, .avx512vnni]
        case .neon: [.neon]
        }
    }

    /// Whether this binary contains the path's kernels (x86-64 or ARM64 code).
    public var isCompiled: Bool {
        switch self {
        case .scalar: true
        case .avx2, .avx512: qk_compiled_arch() == 1
        case .neon: qk_compiled_arch() == 2
        }
    }

    /// Paths that can run here, slowest first.
    public static func available(on features: CPUFeatures = .detected) -> [KernelPath] {
        allCases.filter { $0.isCompiled && features.isSuperset(of: $0.requiredFeatures) }
    }

    /// The environment variable that forces a path: `DLLAMA_KERNELS=scalar|avx2|avx512|neon`.
    public static let environmentVariable = "DLLAMA_KERNELS"

    /// The path to use given the features and an optional override; an override naming a path that
    /// cannot run here is ignored (the reason is in `note`), so a binary never executes an
    /// instruction the CPU lacks.
    public static func choose(features: CPUFeatures, override: String?) -> (path: KernelPath, note: String) {
        let usable = available(on: features)
        let best = preferred(among: usable)
        guard let override, !override.isEmpty else { return (best, "best available") }
        guard let forced = KernelPath(rawValue: override.lowercased()) else {
            return (best, "\(environmentVariable)=\(override) is not a kernel path; using the best available")
        }
        guard usable.contains(forced) else {
            return (best, "\(environmentVariable)=\(override) cannot run on this CPU; using the best available")
        }
        return (forced, "forced by \(environmentVariable)")
    }

    /// Which available path to prefer. AVX-512 is preferred over AVX2 where it measured faster
    /// (see docs/performance.md, QuantKernels).
    static func preferred(among usable: [KernelPath]) -> KernelPath {
        for path in [KernelPath.avx512, .avx2, .neon] where usable.contains(path) { return path }
        return .scalar
    }

    /// The path chosen once per process from the CPU and `$DLLAMA_KERNELS`.
    public static let selection = choose(features: .detected, override: getenv(environmentVariable).map { String(cString: $0) })
    public static var selected: KernelPath { selection.path }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

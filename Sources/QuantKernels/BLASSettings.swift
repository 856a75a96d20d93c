import CBLAS

/// The OpenBLAS settings every batched product depends on.
///
/// OpenBLAS starts one thread per core unless told otherwise, which oversubscribes the cores the
/// engine's own thread pool is using; callers set the count explicitly before the first product.
public enum BLASSettings {
    /// Sets the number of threads OpenBLAS uses for its products.
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(max(count, 1)))
    }

    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// One OpenBLAS thread per caller: the products that call OpenBLAS from the pool's tasks
    /// evaluate this before their first call.
    static let singleThreaded: Void = setThreadCount(1)

    /// OpenBLAS's build description (version, kernel target, threading), for `dllama info`.
    public static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config)
    }
}

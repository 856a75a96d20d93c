import CQuantKernels
import Foundation

/// Measures how fast this machine reads memory: the bound every matrix-vector product over a
/// matrix larger than the caches is judged against.
///
/// ```swift
/// let pool = ThreadPool(threadCount: 2)
/// let probe = MemoryBandwidth(bytes: 512 << 20)
/// print(probe.measureRead(pool: pool), "GB/s")
/// ```
public final class MemoryBandwidth: @unchecked Sendable {  // the buffer is only read after init
    private let buffer: UnsafeMutablePointer<Float>  // [count], touched once so pages are resident
    private let count: Int
    private let allocation: UnsafeMutableRawBufferPointer

    /// Allocates and fills a buffer of `bytes` (make it several times the last-level cache), in
    /// huge pages where granted (`HugePages`), as the engine holds its weights: the bound is what
    /// the machine reads at best.
    public init(bytes: Int) {
        count = bytes / MemoryLayout<Float>.stride
        allocation = HugePages.allocate(byteCount: bytes)
        buffer = allocation.bindMemory(to: Float.self).baseAddress!
        buffer.initialize(repeating: 1, count: count)
    }

    deinit { allocation.deallocate() }

    public var byteCount: Int { count * MemoryLayout<Float>.stride }

    /// Reads the whole buffer once, split across `pool`, `repeats` times; returns the best GB/s.
    public func measureRead(pool: ThreadPool? = nil, repeats: Int = 3) -> Double {
        var best = 0.0
        let count = self.count, buffer = self.buffer
        let probe = Self.probe
        let sink = UnsafeMutablePointer<Float>.allocate(capacity: 64)
        defer { sink.deallocate() }
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            let body = { (worker: Int, workers: Int) in
                let share = ThreadPool.share(of: 0..<count, worker: worker, workers: workers)
                sink[worker] = probe(share.count, buffer + share.lowerBound)
            }
            if let pool { pool.run(body) } else { body(0, 1) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = max(best, Double(byteCount) / seconds / 1e9)
        }
        return best
    }

    /// The widest read loop this CPU runs.
    private static let probe: @convention(c) (Int, UnsafePointer<Float>?) -> Float = {
        #if arch(x86_64)
        if KernelPath.available().contains(.avx2) { return qk_read_bandwidth_probe_avx2 }
        #endif
        return qk_read_bandwidth_probe_ref
    }()
}

#if canImport(Glibc)
import Glibc
#endif

/// Buffers in 2 MiB pages where the system grants them (Linux's transparent huge pages, asked for
/// with `madvise`, which its `madvise` mode honours; elsewhere ordinary pages). Memory read every
/// token (held weights, the KV cache, the read probe judged against them) needs it: from 4 KiB
/// pages each page costs a TLB miss (a two-level walk in a virtual machine) and a restart of the
/// hardware prefetcher. SmolLM2's decode ran 1.25-1.30x faster from 2 MiB ones while the kernels
/// relied on that prefetcher, 1.02-1.03x since they ask for their weights ahead (weight_prefetch.h).
public enum HugePages {
    /// The size of a huge page: what large buffers are aligned to and made of.
    public static let pageBytes = 2 << 20

    /// An allocation for `byteCount` bytes: from `pageBytes` up, aligned to them, rounded up to
    /// whole pages and asked to be backed by huge ones; below, 64-byte aligned (at least one byte).
    /// The caller deallocates it; its first `byteCount` bytes are the caller's to use.
    public static func allocate(byteCount: Int) -> UnsafeMutableRawBufferPointer {
        guard byteCount >= pageBytes else { return .allocate(byteCount: max(byteCount, 1), alignment: 64) }
        let size = (byteCount + pageBytes - 1) / pageBytes * pageBytes
        let allocation = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: pageBytes)
        #if os(Linux)
        _ = madvise(allocation.baseAddress!, size, MADV_HUGEPAGE)
        #endif
        return allocation
    }
}

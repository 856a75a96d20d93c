#if canImport(Glibc)
import Glibc
#endif

extension FileRangeReader {
    /// Tells the kernel the pages of `range` will not be needed again, so reading a model larger
    /// than RAM does not build up page cache (memory pressure) behind the reader. A hint only.
    public func dropCachedPages(_ range: Range<Int>) {
        #if canImport(Glibc)
        _ = posix_fadvise(fileDescriptor, off_t(range.lowerBound), off_t(range.count), POSIX_FADV_DONTNEED)
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory.
///
/// Mapping costs no reads: pages come in when touched, so opening a 40 GB model and parsing its
/// header touches only the header's pages. The mapping is immutable, hence safe to share between
/// threads. (If another process truncates the file while it is mapped, touching the lost pages
/// raises SIGBUS; nothing in-process can prevent that, which is why the size is checked at open.)
public final class MappedFile: @unchecked Sendable {  // unchecked: the mapping is read-only and lives as long as the object
    public let path: String
    public let size: Int
    private let base: UnsafeRawPointer?

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw ModelFormatError.fileNotFound(path: path) }
            throw ModelFormatError.unreadable(path: path, reason: String(cString: strerror(code)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ModelFormatError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw ModelFormatError.isDirectory(path: path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw ModelFormatError.unreadable(path: path, reason: "not a regular file")
        }
        size = Int(info.st_size)
        guard size > 0 else {
            base = nil
            return
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw ModelFormatError.unreadable(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// The whole file.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

    /// The bytes of `range`, which must lie inside the file.
    public func bytes(_ range: Range<Int>) throws -> UnsafeRawBufferPointer {
        guard range.lowerBound >= 0, range.upperBound <= size else {
            throw ModelFormatError.truncated(path: path, what: "bytes \(range.lowerBound)..<\(range.upperBound)",
                                             needed: range.upperBound, available: size)
        }
        return UnsafeRawBufferPointer(rebasing: bytes[range])
    }

    /// Drops this process's pages of `range` (rounded out to whole pages): a later touch reads
    /// them again from the page cache. A streaming reader calls it behind itself, so its resident
    /// memory stays near what it holds at once instead of growing to the file's size.
    public func releasePages(_ range: Range<Int>) {
        guard let base, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = max(range.lowerBound, 0) / page * page
        let end = min(range.upperBound, size)
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }
}

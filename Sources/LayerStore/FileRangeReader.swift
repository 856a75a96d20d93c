#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ModelFormat

/// Reads byte ranges of a local file into buffers the caller owns, with `pread`, counting every
/// byte read so a node can prove it never touched the parts of the model it does not own.
///
/// Unlike the memory map, reads through here do not leave pages resident in the process.
public final class FileRangeReader: @unchecked Sendable {  // unchecked: the byte counters behind `lock`; pread needs no lock
    public let path: String
    public let size: Int
    private let fd: Int32
    var fileDescriptor: Int32 { fd }
    private let lock = Mutex()
    private var _bytesRead = 0
    private var _readLog: [Range<Int>]?

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw ModelFormatError.fileNotFound(path: path) }
            throw ModelFormatError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw ModelFormatError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        size = Int(info.st_size)
    }

    deinit { close(fd) }

    /// Total bytes read through this reader so far.
    public var bytesRead: Int { lock.withLock { _bytesRead } }

    /// Starts keeping every range read (for tests and audits that prove what was touched).
    public func recordReads() { lock.withLock { _readLog = _readLog ?? [] } }

    /// The ranges read since `recordReads()`, in order.
    public var readLog: [Range<Int>] { lock.withLock { _readLog ?? [] } }

    /// Reads exactly `range` into `buffer` (which must hold `range.count` bytes).
    public func read(_ range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) throws {
        guard range.lowerBound >= 0, range.upperBound <= size else {
            throw ModelFormatError.truncated(path: path, what: "bytes \(range.lowerBound)..<\(range.upperBound)",
                                             needed: range.upperBound, available: size)
        }
        precondition(buffer.count >= range.count, "buffer of \(buffer.count) bytes for a \(range.count)-byte read")
        var done = 0
        while done < range.count {
            let n = pread(fd, buffer.baseAddress! + done, range.count - done, off_t(range.lowerBound + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = n == 0 ? "the file ended early (was it truncated while in use?)" : String(cString: strerror(errno))
                throw ModelFormatError.unreadable(path: path, reason: "reading bytes \(range): \(reason)")
            }
            done += n
        }
        lock.withLock {
            _bytesRead += range.count
            _readLog?.append(range)
        }
    }

    /// Reads `range` into a new array.
    public func read(_ range: Range<Int>) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: range.count)
        try out.withUnsafeMutableBytes { try read(range, into: $0) }
        return out
    }
}


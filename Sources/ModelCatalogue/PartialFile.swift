import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A download in progress: a file that only grows (or starts over), held with an exclusive lock so
/// two pulls into one cache cannot write the same file. A full disk is reported as such.
final class PartialFile {
    let path: String
    /// What the download is for, named in a full-disk message.
    let modelName: String
    private var descriptor: Int32
    private(set) var size: Int

    init(path: String, modelName: String) throws {
        self.path = path
        self.modelName = modelName
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw PullError.fileFailed(path: path, operation: "open", reason: Self.lastError()) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let reason = Self.lastError()
            close(descriptor)
            throw busy ? PullError.busy(path: path) : PullError.fileFailed(path: path, operation: "lock", reason: reason)
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let reason = Self.lastError()
            close(descriptor)
            throw PullError.fileFailed(path: path, operation: "read the size of", reason: reason)
        }
        size = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// Appends `bytes`; ENOSPC and EDQUOT become `PullError.diskFull`.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if written < 0 {
                if errno == EINTR { continue }
                if errno == ENOSPC || errno == EDQUOT { throw PullError.diskFull(path: path, written: size, name: modelName) }
                throw PullError.fileFailed(path: path, operation: "write", reason: Self.lastError())
            }
            done += written
            size += written
        }
    }

    func append(_ data: Data) throws {
        try data.withUnsafeBytes { try append($0) }
    }

    /// Cuts the file back to `length` bytes (0: the download starts over).
    func truncate(to length: Int = 0) throws {
        guard ftruncate(descriptor, off_t(length)) == 0 else {
            throw PullError.fileFailed(path: path, operation: "truncate", reason: Self.lastError())
        }
        size = min(size, length)
    }

    /// Flushes the file to disk before it is moved into place.
    func sync() throws {
        guard fsync(descriptor) == 0 else { throw PullError.fileFailed(path: path, operation: "flush", reason: Self.lastError()) }
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}

/// Free bytes for an unprivileged user on the file system holding `path`; nil when unknown.
func availableBytes(at path: String) -> Int? {
    var info = statvfs()
    guard statvfs(path, &info) == 0 else { return nil }
    let (bytes, overflow) = Int(info.f_bavail).multipliedReportingOverflow(by: Int(info.f_frsize))
    return overflow ? Int.max : bytes
}

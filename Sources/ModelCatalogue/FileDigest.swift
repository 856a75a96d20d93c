import Crypto
import Foundation

/// SHA-256 of files, with swift-crypto (BoringSSL's hardware-accelerated code: a multi-GB
/// download is checked at disk speed).
public enum FileDigest {
    /// The lowercase hex SHA-256 of the file at `path`, as `sha256sum` prints it; `progress` gets
    /// the bytes hashed so far after each 8 MiB.
    public static func sha256(ofFile path: String, progress: (Int) -> Void = { _ in }) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw PullError.fileFailed(path: path, operation: "read", reason: "it cannot be opened")
        }
        defer { try? handle.close() }
        var hasher = Crypto.SHA256()
        var done = 0
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 8 << 20)
            } catch {
                throw PullError.fileFailed(path: path, operation: "read", reason: (error as NSError).localizedDescription)
            }
            guard let chunk, !chunk.isEmpty else { break }
            hasher.update(data: chunk)
            done += chunk.count
            progress(done)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

import Foundation

/// A cheap identity of a model file that two nodes compare before running together.
///
/// It is SHA-256 over: the file size; every byte before the tensor data (the whole `.m` header, or
/// GGUF's metadata, vocabulary and tensor table); each tensor's name, type, shape and byte range;
/// the first, middle and last 256 bytes of every tensor; and 64 evenly spaced 4 KiB windows of the
/// tensor data. On a 40 GB file that is a few MB of reads.
///
/// Equal fingerprints mean same format, same architecture and dimensions, same tokenizer metadata,
/// same quantization and tensor layout, and equal bytes at every sampled place. They do not prove
/// the unsampled bytes are equal: a file damaged in place (a flipped bit) can keep its fingerprint.
/// `ModelFile.fullHash()` covers that, at the cost of reading the whole file once.
public struct ModelFingerprint: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Hex SHA-256 of the sampled content.
    public var sha256: String
    public var fileSize: Int

    public static let version = "dllama-fingerprint-v1"
    static let edgeBytes = 256
    static let windowCount = 64
    static let windowBytes = 4096

    /// The first 16 hex digits: enough to tell files apart in logs and error messages.
    public var description: String { String(sha256.prefix(16)) }
}

extension ModelFile {
    /// The sampled fingerprint (see `ModelFingerprint`).
    public func fingerprint() -> ModelFingerprint {
        var h = SHA256()
        h.update(Array(ModelFingerprint.version.utf8))
        h.update(integer: UInt64(fileSize))
        for t in tensors {
            h.update(Array(t.name.utf8))
            h.update(integer: t.type.rawValue)
            for d in t.shape { h.update(integer: UInt64(d)) }
            h.update(integer: UInt64(t.offset))
            h.update(integer: UInt64(t.byteCount))
        }
        let all = mapping.bytes
        for range in fingerprintSamples() {
            h.update(UnsafeRawBufferPointer(rebasing: all[range]))
        }
        return ModelFingerprint(sha256: h.finalize().hexString, fileSize: fileSize)
    }

    /// The byte ranges the fingerprint reads: everything before the tensor data, the edges and
    /// middle of each tensor, and evenly spaced windows of the data (they overlap on small files,
    /// which are then covered whole).
    func fingerprintSamples() -> [Range<Int>] {
        var samples = [0..<headerByteCount]
        for t in tensors {
            let edge = min(ModelFingerprint.edgeBytes, t.byteCount)
            let middle = t.offset + (t.byteCount - edge) / 2
            for start in [t.offset, middle, t.offset + t.byteCount - edge] { samples.append(start..<(start + edge)) }
        }
        let dataBytes = fileSize - headerByteCount
        if dataBytes > 0 {
            let window = min(ModelFingerprint.windowBytes, dataBytes)
            let span = dataBytes - window
            for i in 0..<ModelFingerprint.windowCount {
                let start = headerByteCount + span * i / (ModelFingerprint.windowCount - 1)
                samples.append(start..<(start + window))
            }
        }
        return samples
    }

    /// SHA-256 of the whole file, as `sha256sum` prints it.
    ///
    /// With `useCache`, the result is kept beside the model in `<model>.sha256` (a `sha256sum`
    /// line plus the file's size and modification time) and reused while those still match; a
    /// directory that cannot be written just means no cache. `progress` gets bytes done and total.
    public func fullHash(useCache: Bool = true, progress: ((Int, Int) -> Void)? = nil) throws -> String {
        let cachePath = path + ".sha256"
        let stamp = try fileStamp()
        if useCache, let cached = try? String(contentsOfFile: cachePath, encoding: .utf8) {
            let lines = cached.split(separator: "\n")
            if lines.count >= 2, lines[1] == stamp, let hash = lines[0].split(separator: " ").first, hash.count == 64 {
                return String(hash)
            }
        }
        var h = SHA256()
        let all = mapping.bytes
        let chunk = 8 << 20
        var done = 0
        while done < fileSize {
            let end = min(done + chunk, fileSize)
            h.update(UnsafeRawBufferPointer(rebasing: all[done..<end]))
            done = end
            progress?(done, fileSize)
        }
        let hash = h.finalize().hexString
        if useCache {
            let name = (path as NSString).lastPathComponent
            try? "\(hash)  \(name)\n\(stamp)\n".write(toFile: cachePath, atomically: true, encoding: .utf8)
        }
        return hash
    }

    /// "# dllama size=N mtime=S.NS": what must not change for a cached full hash to stay valid.
    private func fileStamp() throws -> String {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "# dllama size=\(fileSize) mtime=\(String(format: "%.6f", modified))"
    }
}

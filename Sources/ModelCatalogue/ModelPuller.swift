import Foundation
import ModelFormat

/// Downloads a catalogue entry's files into a `ModelCache`: resumes what an earlier run left,
/// retries an interrupted transfer, and moves a file to its final name only after its size,
/// sha256 (where the catalogue has one) and model header check out. A file that fails a check
/// stays `NAME.partial`, where no `--model NAME` finds it.
///
/// ```swift
/// let puller = ModelPuller(cache: ModelCache(directory: "/data/models"), options: PullOptions()) { event in print(event) }
/// let model = try puller.pull(try Catalogue.standard().entry(named: "qwen3_8b_q40")!)
/// ```
public final class ModelPuller {
    public let cache: ModelCache
    public let options: PullOptions
    private let report: (PullEvent) -> Void

    public init(cache: ModelCache, options: PullOptions = PullOptions(), events: @escaping (PullEvent) -> Void = { _ in }) {
        self.cache = cache
        self.options = options
        self.report = events
    }

    /// Pulls every file of `entry` that is not in the cache yet, and returns where they are.
    @discardableResult
    public func pull(_ entry: CatalogueEntry) throws -> ResolvedModel {
        let folder = cache.folder(of: entry)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw PullError.fileFailed(path: folder, operation: "create the folder", reason: (error as NSError).localizedDescription)
        }
        var pending: [CatalogueFile] = []
        for file in entry.files {
            let path = cache.path(of: file, in: entry)
            guard let size = ModelCache.fileSize(path) else {
                pending.append(file)
                continue
            }
            if let expected = file.size, size != expected {
                report(.restarting(file: file.name, reason: "the cached file has \(size) bytes instead of \(expected)"))
                try remove(path)
                pending.append(file)
            } else {
                report(.alreadyPulled(file: file.name, path: path))
            }
        }
        try checkSpace(for: pending, of: entry)
        for file in pending {
            try download(file, of: entry)
        }
        return try cache.files(of: entry)
    }

    /// Refuses before downloading when the disk cannot hold what is left.
    private func checkSpace(for files: [CatalogueFile], of entry: CatalogueEntry) throws {
        var needed = 0, approximate = false
        for file in files {
            guard let size = file.size ?? file.approximateSize else { continue }
            approximate = approximate || file.size == nil
            needed += max(size - (ModelCache.fileSize(cache.partialPath(of: file, in: entry)) ?? 0), 0)
        }
        let folder = cache.folder(of: entry)
        guard needed > 0, let available = options.availableSpace(folder) ?? availableBytes(at: folder), needed > available else { return }
        throw PullError.notEnoughSpace(name: entry.name, directory: folder, needed: needed, available: available, approximate: approximate)
    }

    private func download(_ file: CatalogueFile, of entry: CatalogueEntry) throws {
        let partialPath = cache.partialPath(of: file, in: entry)
        let partsPath = partialPath + ".parts"
        let partial = try PartialFile(path: partialPath, modelName: entry.name)
        var completed = readParts(partsPath)
        if completed.count > file.urls.count || completed.reduce(0, +) > partial.size
            || (file.size.map { partial.size > $0 } ?? false) {
            report(.restarting(file: file.name, reason: "the partial download does not fit the file"))
            try restart(partial, partsPath: partsPath, completed: &completed)
        }
        // A download that an earlier run finished but whose check failed cannot be resumed.
        let looksComplete = file.size.map { partial.size == $0 } ?? (completed.count == file.urls.count)
        if looksComplete {
            do {
                return try finish(file, of: entry, partial: partial, partsPath: partsPath)
            } catch let error as PullError {
                report(.restarting(file: file.name, reason: "the download kept from an earlier run fails its check (\(error))"))
                try restart(partial, partsPath: partsPath, completed: &completed)
            }
        }
        if completed.count == file.urls.count { completed.removeAll() }
        while completed.count < file.urls.count {
            let index = completed.count
            let partStart = completed.reduce(0, +)
            try fetchPart(index, of: file, entry: entry, partStart: partStart, into: partial)
            completed.append(partial.size - partStart)
            try writeParts(completed, to: partsPath)
        }
        try finish(file, of: entry, partial: partial, partsPath: partsPath)
    }

    /// One part (or the whole file), resumed from what `partial` holds, retried while attempts get somewhere.
    private func fetchPart(_ index: Int, of file: CatalogueFile, entry: CatalogueEntry, partStart: Int, into partial: PartialFile) throws {
        let url = try DownloadLocation.url(file.urls[index], mirror: options.mirror)
        let single = file.urls.count == 1
        let total = single ? file.size : nil
        var interruptions = 0
        while true {
            let before = partial.size
            report(.transferring(file: file.name, url: url.absoluteString, part: index + 1, parts: file.urls.count,
                                 resumeAt: partial.size - partStart, fileBytes: partial.size))
            do {
                let progressTotal = file.size ?? file.approximateSize
                _ = try HTTPTransfer.fetch(url, partStart: partStart, into: partial, expectedTotal: total, fileName: file.name,
                                           timeout: options.timeout) { [report] size in
                    report(.progress(file: file.name, bytes: size, total: progressTotal, approximate: file.size == nil))
                }
                return
            } catch is HTTPTransfer.RangeNotSatisfiable {
                guard partial.size > partStart, interruptions < 1 else {
                    throw PullError.unexpectedResponse(url: url.absoluteString, reason: "it refuses the range asked for (HTTP 416)")
                }
                interruptions += 1
                report(.restarting(file: file.name, reason: "the server has fewer bytes than the partial download"))
                try partial.truncate(to: partStart)
            } catch let interruption as HTTPTransfer.Interruption {
                interruptions = partial.size > before ? 1 : interruptions + 1
                guard interruption.transient, interruptions <= options.retries else {
                    throw PullError.network(url: url.absoluteString, reason: interruption.reason, file: file.name,
                                            offset: partial.size, name: entry.name)
                }
                let delay = min(pow(2, Double(interruptions - 1)), 30) * options.retryDelayScale
                report(.retrying(file: file.name, reason: interruption.reason, attempt: interruptions, of: options.retries,
                                 delay: delay, resumeAt: partial.size))
                Thread.sleep(forTimeInterval: delay)
            }
        }
    }

    /// Checks the complete download and moves it to its final name.
    private func finish(_ file: CatalogueFile, of entry: CatalogueEntry, partial: PartialFile, partsPath: String) throws {
        try partial.sync()
        let size = partial.size
        if let expected = file.size, size != expected {
            throw PullError.sizeMismatch(file: file.name, size: size, expected: expected, source: "the downloaded")
        }
        report(.verifying(file: file.name, bytes: size))
        let digest = try FileDigest.sha256(ofFile: partial.path) { [report] done in
            report(.hashing(file: file.name, bytes: done, total: size))
        }
        if let expected = file.sha256, digest != expected {
            throw PullError.checksumMismatch(file: file.name, actual: digest, expected: expected, partial: partial.path, name: entry.name)
        }
        if file.role == .model {
            do {
                _ = try ModelFile(path: partial.path)
            } catch {
                throw PullError.notAModel(file: file.name, reason: "\(error)", partial: partial.path, name: entry.name)
            }
        }
        let path = cache.path(of: file, in: entry)
        guard rename(partial.path, path) == 0 else {
            throw PullError.fileFailed(path: partial.path, operation: "move into place as \(path)", reason: PartialFile.lastError())
        }
        try? FileManager.default.removeItem(atPath: partsPath)
        report(.pulled(file: file.name, path: path, bytes: size, sha256: digest, checkedHash: file.sha256 != nil, checkedSize: file.size != nil))
    }

    private func restart(_ partial: PartialFile, partsPath: String, completed: inout [Int]) throws {
        try partial.truncate()
        completed.removeAll()
        try? FileManager.default.removeItem(atPath: partsPath)
    }

    private func remove(_ path: String) throws {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw PullError.fileFailed(path: path, operation: "remove", reason: (error as NSError).localizedDescription)
        }
    }

    /// `FILE.partial.parts`: the byte count of each finished part of a file split in several, one per line.
    private func readParts(_ path: String) -> [Int] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        let values = text.split(separator: "\n").map { Int($0) }
        return values.contains(nil) ? [] : values.compactMap { $0 }
    }

    private func writeParts(_ parts: [Int], to path: String) throws {
        do {
            try (parts.map(String.init).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw PullError.fileFailed(path: path, operation: "write", reason: (error as NSError).localizedDescription)
        }
    }
}

/// How `ModelPuller` downloads.
public struct PullOptions: Sendable {
    /// Seconds to wait for the server to answer, and between two pieces of data.
    public var timeout: TimeInterval = 30
    /// Attempts after an interrupted transfer, counted from the last one that got further.
    public var retries = 5
    /// DLLAMA_MODEL_MIRROR: a server with the hub's paths, used instead of the catalogue's hosts.
    public var mirror: String?
    /// Multiplies the waits between retries (1, 2, 4 ... 30 s); tests make it small.
    public var retryDelayScale = 1.0
    /// Free bytes at a path, in place of the file system's answer (tests).
    public var availableSpace: @Sendable (String) -> Int? = { _ in nil }

    public init(timeout: TimeInterval = 30, retries: Int = 5, mirror: String? = nil) {
        self.timeout = timeout
        self.retries = retries
        self.mirror = mirror
    }
}

/// What a pull is doing, for a progress display.
public enum PullEvent: Sendable, Equatable {
    /// The file is in the cache already.
    case alreadyPulled(file: String, path: String)
    /// A transfer starts: a first one, or a resumed one (`resumeAt` bytes of this part are there;
    /// `fileBytes` of the whole file).
    case transferring(file: String, url: String, part: Int, parts: Int, resumeAt: Int, fileBytes: Int)
    /// `bytes` of the file are on disk; `total` is its size, or a rough one when `approximate`.
    case progress(file: String, bytes: Int, total: Int?, approximate: Bool)
    /// A transfer was interrupted; the next attempt starts after `delay` seconds.
    case retrying(file: String, reason: String, attempt: Int, of: Int, delay: Double, resumeAt: Int)
    /// What was downloaded is dropped and the file fetched from the start.
    case restarting(file: String, reason: String)
    /// The download is complete; its checks start.
    case verifying(file: String, bytes: Int)
    case hashing(file: String, bytes: Int, total: Int)
    /// The file passed its checks and has its final name.
    case pulled(file: String, path: String, bytes: Int, sha256: String, checkedHash: Bool, checkedSize: Bool)
}

/// Where a catalogue URL is fetched from: the URL itself, or the same path on the mirror.
public enum DownloadLocation {
    /// `https://huggingface.co/org/repo/resolve/main/f.gguf?download=true` with mirror
    /// `http://10.0.0.5:8080/hub` becomes `http://10.0.0.5:8080/hub/org/repo/resolve/main/f.gguf?download=true`.
    public static func url(_ original: String, mirror: String?) throws -> URL {
        guard var components = URLComponents(string: original) else {
            throw PullError.unexpectedResponse(url: original, reason: "the catalogue URL does not parse")
        }
        if let mirror, !mirror.isEmpty {
            guard let base = URLComponents(string: mirror), ["http", "https"].contains(base.scheme?.lowercased() ?? ""),
                  let host = base.host, !host.isEmpty else {
                throw PullError.badMirror(mirror)
            }
            components.scheme = base.scheme
            components.host = host
            components.port = base.port
            components.user = nil
            components.password = nil
            let prefix = base.path.hasSuffix("/") ? String(base.path.dropLast()) : base.path
            components.path = prefix + components.path
        }
        guard let url = components.url else { throw PullError.badMirror(mirror ?? original) }
        return url
    }
}

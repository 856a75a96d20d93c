import Foundation

/// The folder pulled models live in: one subfolder per catalogue entry, named after it, holding
/// the entry's files under their catalogue names. A file appears under its final name only after
/// its checks passed; until then it is `NAME.partial` beside it.
///
/// ```swift
/// let cache = ModelCache(directory: ModelCache.defaultDirectory())   // ~/.cache/dllama
/// let model = try cache.resolve("smollm2_135m_instruct_q4_1", catalogue: try Catalogue.standard())
/// print(model.modelPath, model.tokenizerPath ?? "(GGUF: its own tokenizer)")
/// ```
public struct ModelCache: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = (directory as NSString).expandingTildeInPath
    }

    /// `DLLAMA_CACHE`, else `$HOME/.cache/dllama`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let chosen = environment["DLLAMA_CACHE"], !chosen.isEmpty { return chosen }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? FileManager.default.homeDirectoryForCurrentUser.path
        return home + "/.cache/dllama"
    }

    /// The cache named by `--cache` when given, else the default one.
    public static func chosen(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> ModelCache {
        ModelCache(directory: option ?? defaultDirectory(environment: environment))
    }

    public func folder(of entry: CatalogueEntry) -> String { directory + "/" + entry.name }
    public func path(of file: CatalogueFile, in entry: CatalogueEntry) -> String { folder(of: entry) + "/" + file.name }
    public func partialPath(of file: CatalogueFile, in entry: CatalogueEntry) -> String { path(of: file, in: entry) + ".partial" }

    /// What the cache holds of an entry.
    public enum Status: Equatable, Sendable {
        /// Every file is there under its final name.
        case complete
        /// Some bytes are there (finished files and partial downloads), not all of it.
        case partial(bytes: Int)
        case missing
    }

    public func status(of entry: CatalogueEntry) -> Status {
        var present = 0, bytes = 0
        for file in entry.files {
            if let size = Self.fileSize(path(of: file, in: entry)) {
                present += 1
                bytes += size
            } else if let size = Self.fileSize(partialPath(of: file, in: entry)) {
                bytes += size
            }
        }
        if present == entry.files.count { return .complete }
        return bytes > 0 || present > 0 ? .partial(bytes: bytes) : .missing
    }

    /// Subfolders of the cache that are no entry of `catalogue` (left by another catalogue, say).
    public func otherFolders(than catalogue: Catalogue) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { name in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isFolder) && isFolder.boolValue
                && !name.hasPrefix(".") && catalogue.entry(named: name) == nil
        }.sorted()
    }

    /// The files an entry resolves to; thrown errors say `dllama pull NAME` when they are missing.
    /// `cacheOption` is the `--cache` the user passed, repeated in that advice.
    public func files(of entry: CatalogueEntry, cacheOption: String? = nil) throws -> ResolvedModel {
        let missing = entry.files.filter { Self.fileSize(path(of: $0, in: entry)) == nil }
        if !missing.isEmpty {
            throw PullError.notPulled(name: entry.name, cache: directory, missing: missing.map(\.name), cacheOption: cacheOption)
        }
        for file in entry.files {
            let path = path(of: file, in: entry)
            if let expected = file.size, let size = Self.fileSize(path), size != expected {
                throw PullError.cachedFileDamaged(name: entry.name, path: path, size: size, expected: expected)
            }
        }
        guard let model = entry.model else {
            throw CatalogueError.invalidEntry(origin: "the catalogue", name: entry.name, reason: "it has no file with role \"model\"")
        }
        return ResolvedModel(modelPath: path(of: model, in: entry), tokenizerPath: entry.tokenizer.map { path(of: $0, in: entry) }, entry: entry)
    }

    /// What `--model TEXT` means: an existing file is used as it is; otherwise a catalogue name
    /// resolves to its files in this cache; a text that is neither a file nor a name it knows is
    /// refused with the catalogue's names when it looks like a name, else left to the model loader
    /// (which says the file does not exist).
    public func resolve(_ text: String, catalogue: @autoclosure () throws -> Catalogue, cacheOption: String? = nil) throws -> ResolvedModel {
        if FileManager.default.fileExists(atPath: text) || !Catalogue.looksLikeName(text) {
            return ResolvedModel(modelPath: text, tokenizerPath: nil, entry: nil)
        }
        let catalogue = try catalogue()
        guard let entry = catalogue.entry(named: text) else {
            throw PullError.unknownModel(name: text, listing: catalogue.listing)
        }
        return try files(of: entry, cacheOption: cacheOption)
    }

    static func fileSize(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }
}

/// The files a `--model` value stands for.
public struct ResolvedModel: Equatable, Sendable {
    public var modelPath: String
    /// The `.t` file of a distributed-llama entry; nil for GGUF models and for plain paths.
    public var tokenizerPath: String?
    /// The catalogue entry, when the value was a name.
    public var entry: CatalogueEntry?
}

extension ModelCache {
    /// The name of the catalogue entry whose cached file `path` is, if it is one.
    public func entryName(containing path: String, catalogue: Catalogue?) -> String? {
        guard let catalogue else { return nil }
        let folder = (path as NSString).deletingLastPathComponent
        guard (folder as NSString).deletingLastPathComponent == directory,
              let entry = catalogue.entry(named: (folder as NSString).lastPathComponent),
              entry.files.contains(where: { $0.name == (path as NSString).lastPathComponent }) else { return nil }
        return entry.name
    }
}

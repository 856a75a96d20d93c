import Foundation

/// The models `dllama pull` knows by name: for each, the files it consists of, where to download
/// them, and what they must be (size and sha256, where known).
///
/// The built-in entries are data (`Catalogue.builtinJSON`); `DLLAMA_CATALOGUE=/path/models.json`
/// adds a site's own entries in the same format (an entry with a built-in name replaces it).
///
/// ```swift
/// let catalogue = try Catalogue.standard()
/// if let entry = catalogue.entry(named: "llama3-1-8b-instruct-q40") {   // '-' and '_' are alike
///     print(entry.name, entry.files.map(\.name))
/// }
/// ```
public struct Catalogue: Sendable {
    public private(set) var entries: [CatalogueEntry]
    /// Where each entry's facts come from, by the key an entry's `source` names.
    public private(set) var sources: [String: String]

    public init(entries: [CatalogueEntry], sources: [String: String] = [:]) {
        self.entries = entries
        self.sources = sources
    }

    /// Parses a catalogue document (the format of `builtinJSON`) and checks every entry.
    public init(json: Data, origin: String) throws {
        let document: CatalogueDocument
        do {
            document = try JSONDecoder().decode(CatalogueDocument.self, from: json)
        } catch {
            throw CatalogueError.unreadable(origin: origin, reason: Self.describe(error))
        }
        for entry in document.models { try entry.validate(origin: origin) }
        var seen = Set<String>()
        for entry in document.models where !seen.insert(Self.key(entry.name)).inserted {
            throw CatalogueError.invalidEntry(origin: origin, name: entry.name, reason: "the name appears twice")
        }
        self.init(entries: document.models, sources: document.sources ?? [:])
    }

    /// The built-in catalogue, plus the entries of the file `DLLAMA_CATALOGUE` names, if set.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Catalogue {
        var catalogue = try Catalogue(json: Data(builtinJSON.utf8), origin: "the built-in catalogue")
        if let path = environment["DLLAMA_CATALOGUE"], !path.isEmpty {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CatalogueError.unreadable(origin: path, reason: "no such file (DLLAMA_CATALOGUE names it)")
            }
            catalogue.merge(try Catalogue(json: data, origin: path))
        }
        return catalogue
    }

    /// Adds `other`'s entries; one with the name of an existing entry replaces it.
    public mutating func merge(_ other: Catalogue) {
        for entry in other.entries {
            if let index = entries.firstIndex(where: { Self.key($0.name) == Self.key(entry.name) }) {
                entries[index] = entry
            } else {
                entries.append(entry)
            }
        }
        sources.merge(other.sources) { $1 }
    }

    /// The entry called `name`, compared as distributed-llama's launch.py does: case and '-'
    /// against '_' do not matter.
    public func entry(named name: String) -> CatalogueEntry? {
        let wanted = Self.key(name)
        return entries.first { Self.key($0.name) == wanted }
    }

    /// Whether `text` could be meant as a catalogue name rather than a file path: no '/' and no
    /// model-file extension.
    public static func looksLikeName(_ text: String) -> Bool {
        guard !text.isEmpty, !text.contains("/") else { return false }
        let lower = text.lowercased()
        return ![".gguf", ".m", ".t", ".bin", ".safetensors"].contains { lower.hasSuffix($0) }
    }

    /// The names, one per line with the description, for messages that list the catalogue.
    public var listing: String {
        let width = entries.map(\.name.count).max() ?? 0
        return entries.map { "  " + $0.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.description }
            .joined(separator: "\n")
    }

    static func key(_ name: String) -> String { name.lowercased().replacingOccurrences(of: "-", with: "_") }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \"\(key.stringValue)\" at \(path(context))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(context.debugDescription) at \(path(context))"
        case DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty:
            return "\(context.debugDescription) at \(path(context))"
        case DecodingError.dataCorrupted(let context):
            return "not valid JSON (\(context.debugDescription))"
        default:
            return "\(error)"
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return path.isEmpty ? "the top level" : path
    }
}

/// One model of the catalogue: a GGUF file, or a distributed-llama `.m` model with its `.t` tokenizer.
public struct CatalogueEntry: Codable, Sendable, Equatable {
    /// What `dllama pull NAME` and `--model NAME` accept (also the cache folder's name).
    public var name: String
    public var description: String
    /// The files, the model first.
    public var files: [CatalogueFile]
    /// Options the entry's publisher runs it with (distributed-llama's launch.py: `--buffer-float-type q80 ...`).
    public var runArguments: [String]?
    /// A key of the catalogue's `sources`: where the URLs, sizes and hashes come from.
    public var source: String?

    public init(name: String, description: String, files: [CatalogueFile], runArguments: [String]? = nil, source: String? = nil) {
        self.name = name
        self.description = description
        self.files = files
        self.runArguments = runArguments
        self.source = source
    }

    public var model: CatalogueFile? { files.first { $0.role == .model } }
    public var tokenizer: CatalogueFile? { files.first { $0.role == .tokenizer } }

    /// The exact size when every file has one, else nil.
    public var exactSize: Int? {
        files.reduce(Optional(0)) { total, file in file.size.flatMap { size in total.map { $0 + size } } }
    }

    /// The exact size where known, else the approximate one (nil when neither is).
    public var displaySize: (bytes: Int, approximate: Bool)? {
        if let exactSize { return (exactSize, false) }
        let known = files.compactMap { $0.size ?? $0.approximateSize }
        return known.isEmpty ? nil : (known.reduce(0, +), true)
    }

    func validate(origin: String) throws {
        func fail(_ reason: String) -> CatalogueError { .invalidEntry(origin: origin, name: name, reason: reason) }
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }), !name.hasPrefix(".") else {
            throw fail("a name may hold letters, digits, '.', '_' and '-' only, and not start with '.'")
        }
        guard Catalogue.looksLikeName(name) else { throw fail("the name ends like a file name") }
        guard files.filter({ $0.role == .model }).count == 1 else { throw fail("it needs exactly one file with role \"model\"") }
        guard files.filter({ $0.role == .tokenizer }).count <= 1 else { throw fail("it has more than one tokenizer") }
        var names = Set<String>()
        for file in files {
            guard !file.name.isEmpty, !file.name.contains("/"), !file.name.hasPrefix(".") else {
                throw fail("file name \"\(file.name)\" must be a plain file name")
            }
            guard names.insert(file.name).inserted else { throw fail("file \(file.name) appears twice") }
            guard !file.urls.isEmpty else { throw fail("file \(file.name) has no URL") }
            for url in file.urls {
                guard let parsed = URL(string: url), ["https", "http"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
                    throw fail("\(url) is not an http(s) URL")
                }
            }
            if let size = file.size, size <= 0 { throw fail("file \(file.name) has size \(size)") }
            if let sha = file.sha256 {
                guard sha.count == 64, sha.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                    throw fail("the sha256 of \(file.name) is not 64 lowercase hex digits")
                }
                guard file.size != nil else { throw fail("file \(file.name) has a sha256 but no size") }
            }
        }
    }
}

/// One file of an entry, downloaded from one URL or from several parts joined in order.
public struct CatalogueFile: Codable, Sendable, Equatable {
    public enum Role: String, Codable, Sendable {
        case model, tokenizer
    }

    public var role: Role
    /// The file's name in the cache.
    public var name: String
    /// Where to download it; several URLs are parts joined in order (distributed-llama splits its
    /// largest models so).
    public var urls: [String]
    /// The exact size in bytes, when known.
    public var size: Int?
    /// A rough size for listings and the free-space check, when the exact one is not known.
    public var approximateSize: Int?
    /// The SHA-256 of the whole file, lowercase hex, when known; without it only sizes are checked.
    public var sha256: String?

    public init(role: Role, name: String, urls: [String], size: Int? = nil, approximateSize: Int? = nil, sha256: String? = nil) {
        self.role = role
        self.name = name
        self.urls = urls
        self.size = size
        self.approximateSize = approximateSize
        self.sha256 = sha256
    }
}

/// The JSON document: `{"sources": {KEY: TEXT}, "models": [ENTRY, ...]}`.
struct CatalogueDocument: Codable {
    var sources: [String: String]?
    var models: [CatalogueEntry]
}

/// A catalogue that cannot be used: its file, and what is wrong.
public enum CatalogueError: Error, CustomStringConvertible, Equatable {
    case unreadable(origin: String, reason: String)
    case invalidEntry(origin: String, name: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let origin, let reason):
            return "cannot read the model catalogue \(origin): \(reason)."
        case .invalidEntry(let origin, let name, let reason):
            return "the model catalogue \(origin) has an unusable entry \"\(name)\": \(reason)."
        }
    }
}

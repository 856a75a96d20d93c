import ArgumentParser
import Foundation
import ModelCatalogue
import ModelFormat

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the model catalogue and what of it is in the model cache.",
        discussion: "`dllama pull NAME` downloads one; DLLAMA_CATALOGUE=FILE.json adds a site's own entries (same format as --json prints).")

    @Option(help: "The model cache folder (default: DLLAMA_CACHE, else ~/.cache/dllama).")
    var cache: String?

    @Flag(help: "Print the catalogue's entries and each one's cache status as JSON.")
    var json = false

    func run() throws {
        let catalogue = try Catalogue.standard()
        let cache = ModelCache.chosen(self.cache)
        if json {
            let listed = catalogue.entries.map { Listed(entry: $0, cache: status(cache.status(of: $0)), path: cache.folder(of: $0)) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(listed), as: UTF8.self))
            return
        }
        let rows = catalogue.entries.map { entry -> [String] in
            let size = entry.displaySize.map { ($0.approximate ? "~" : "") + formatBytes($0.bytes) } ?? "?"
            let state: String
            switch cache.status(of: entry) {
            case .complete: state = "pulled"
            case .partial(let bytes): state = "partial \(formatBytes(bytes))"
            case .missing: state = "-"
            }
            return [entry.name, size, state, entry.description]
        }
        let header = ["NAME", "SIZE", "CACHE", "DESCRIPTION"]
        let widths = (0..<3).map { column in (rows + [header]).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            print((0..<3).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + row[3])
        }
        let pulled = catalogue.entries.filter { cache.status(of: $0) == .complete }.count
        print("\ncache \(cache.directory): \(pulled) of \(catalogue.entries.count) models pulled. `dllama pull NAME` downloads one; "
              + "then pass --model NAME to dllama inference|chat|serve and dllama-worker.")
        let others = cache.otherFolders(than: catalogue)
        if !others.isEmpty { print("also in the cache, not in the catalogue: \(others.joined(separator: ", "))") }
        if let mirror = ProcessInfo.processInfo.environment["DLLAMA_MODEL_MIRROR"], !mirror.isEmpty {
            print("downloads come from the mirror \(mirror) (DLLAMA_MODEL_MIRROR)")
        }
    }

    private func status(_ status: ModelCache.Status) -> String {
        switch status {
        case .complete: return "pulled"
        case .partial: return "partial"
        case .missing: return "missing"
        }
    }

    /// An entry as `--json` prints it: the catalogue's fields plus the cache status and folder.
    struct Listed: Encodable {
        var entry: CatalogueEntry
        var cache: String
        var path: String

        func encode(to encoder: Encoder) throws {
            try entry.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(cache, forKey: .cache)
            try container.encode(path, forKey: .path)
        }

        enum Keys: String, CodingKey { case cache, path }
    }
}

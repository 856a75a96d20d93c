import Foundation
import Testing
@testable import ModelCatalogue

@Suite("The model catalogue")
struct CatalogueTests {
    /// distributed-llama's launch.py (revision 8d624a7) names exactly these models.
    static let launchPyNames = [
        "llama3_1_8b_instruct_q40", "llama3_1_405b_instruct_q40", "llama3_2_1b_instruct_q40", "llama3_2_3b_instruct_q40",
        "llama3_3_70b_instruct_q40", "deepseek_r1_distill_llama_8b_q40", "qwen3_0.6b_q40", "qwen3_1.7b_q40", "qwen3_8b_q40",
        "qwen3_14b_q40", "qwen3_30b_a3b_q40",
    ]

    @Test("the built-in catalogue parses, and every entry passes the checks")
    func builtin() throws {
        let catalogue = try Catalogue.standard(environment: [:])
        #expect(catalogue.entries.count == Self.launchPyNames.count + 3)
        for entry in catalogue.entries {
            #expect(entry.model != nil, "\(entry.name)")
            #expect(entry.source.flatMap { catalogue.sources[$0] } != nil, "\(entry.name) names no known source")
            for file in entry.files {
                for url in file.urls { #expect(url.hasPrefix("https://huggingface.co/"), "\(url)") }
                #expect(file.size != nil || file.approximateSize != nil || file.role == .tokenizer, "\(entry.name): no size at all")
            }
        }
    }

    @Test("the distributed-llama models of launch.py, each a .m with its .t, parts in launch.py's order")
    func distributedLlama() throws {
        let catalogue = try Catalogue.standard(environment: [:])
        for name in Self.launchPyNames {
            let entry = try #require(catalogue.entry(named: name))
            #expect(entry.model?.name == "dllama_model_\(name).m")
            #expect(entry.tokenizer?.name == "dllama_tokenizer_\(name).t")
            #expect(entry.runArguments == ["--buffer-float-type", "q80", "--max-seq-len", "4096"])
            // No published hash: the check is on sizes only, and the entry says so.
            #expect(entry.files.allSatisfy { $0.sha256 == nil })
            #expect(catalogue.sources[entry.source ?? ""]?.contains("No sha256") == true)
        }
        let parts = try #require(catalogue.entry(named: "llama3_3_70b_instruct_q40")?.model?.urls)
        #expect(parts.count == 11)
        #expect(parts.first?.contains("dllama_model_llama-3.3-70b_q40aa?") == true)
        #expect(parts.last?.contains("dllama_model_llama-3.3-70b_q40ak?") == true)
        #expect(catalogue.entry(named: "llama3_1_405b_instruct_q40")?.model?.urls.last?.contains("_q40_cd?") == true)
    }

    @Test("the SmolLM2 and Qwen2.5-Coder 0.5B entries carry the size and sha256 of the asset files", .enabled(if: Assets.present, Assets.missing))
    func ggufAssets() throws {
        let catalogue = try Catalogue.standard(environment: [:])
        for (name, asset) in [("smollm2_135m_instruct_q4_1", "SmolLM2-135M-Instruct.Q4_1.gguf"),
                              ("qwen2.5_coder_0.5b_instruct_q4_k_m", "qwen2.5-coder-0.5b-instruct.gguf")] {
            let file = try #require(catalogue.entry(named: name)?.model)
            let path = try Paths.asset(asset)
            #expect(ModelCache.fileSize(path) == file.size)
            #expect(try FileDigest.sha256(ofFile: path) == file.sha256)
        }
    }

    @Test("names compare as launch.py compares them: case and '-' against '_' do not matter")
    func lookup() throws {
        let catalogue = try Catalogue.standard(environment: [:])
        #expect(catalogue.entry(named: "Qwen3-8B-Q40")?.name == "qwen3_8b_q40")
        #expect(catalogue.entry(named: "smollm2-135m-instruct-q4_1")?.name == "smollm2_135m_instruct_q4_1")
        #expect(catalogue.entry(named: "qwen3_8b") == nil)
        #expect(catalogue.listing.contains("  qwen3_8b_q40 "))
    }

    @Test("what --model takes for a name, and what for a path", arguments: [
        ("qwen3_8b_q40", true), ("my-model", true), ("model.gguf", false), ("/models/qwen", false),
        ("./qwen3_8b_q40", false), ("dllama_model_x.m", false), ("", false),
    ])
    func nameOrPath(text: String, isName: Bool) {
        #expect(Catalogue.looksLikeName(text) == isName)
    }

    @Test("a catalogue file adds entries and replaces those of the same name")
    func merge() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("site.json")
        try Self.document([Self.entry("qwen3-8b-q40", url: "https://example.org/a.m"), Self.entry("site_model", url: "https://example.org/b.gguf")])
            .write(to: URL(fileURLWithPath: path))
        let catalogue = try Catalogue.standard(environment: ["DLLAMA_CATALOGUE": path])
        #expect(catalogue.entries.count == Self.launchPyNames.count + 4)
        #expect(catalogue.entry(named: "qwen3_8b_q40")?.model?.urls == ["https://example.org/a.m"])
        #expect(catalogue.entry(named: "site_model") != nil)
        #expect(throws: CatalogueError.unreadable(origin: "/no/such.json", reason: "no such file (DLLAMA_CATALOGUE names it)")) {
            try Catalogue.standard(environment: ["DLLAMA_CATALOGUE": "/no/such.json"])
        }
    }

    @Test("an unusable entry is refused with its name and the reason", arguments: [
        (#"{"role": "model", "name": "m.gguf", "urls": ["https://h/m"], "size": 4, "sha256": "ABC"}"#, "64 lowercase hex"),
        (#"{"role": "model", "name": "m.gguf", "urls": ["ftp://h/m"]}"#, "not an http(s) URL"),
        (#"{"role": "model", "name": "../m.gguf", "urls": ["https://h/m"]}"#, "plain file name"),
        (#"{"role": "model", "name": "m.gguf", "urls": []}"#, "has no URL"),
        (#"{"role": "model", "name": "m.gguf", "urls": ["https://h/m"], "sha256": "\#(String(repeating: "a", count: 64))"}"#, "no size"),
        (#"{"role": "tokenizer", "name": "m.t", "urls": ["https://h/m"]}"#, "exactly one file with role"),
    ])
    func invalidEntry(file: String, reason: String) {
        let json = #"{"models": [{"name": "broken", "description": "d", "files": [\#(file)]}]}"#
        do {
            _ = try Catalogue(json: Data(json.utf8), origin: "test.json")
            Issue.record("accepted \(file)")
        } catch {
            #expect("\(error)".contains("test.json has an unusable entry \"broken\""), "\(error)")
            #expect("\(error)".contains(reason), "\(error)")
        }
    }

    @Test("a malformed document says where", arguments: [
        (#"{"models": [{"name": "x", "files": []}]}"#, #"missing "description" at .models[0]"#),
        (#"{"models": "#, "not valid JSON"),
        (#"{"models": [{"name": "x", "description": "d", "files": [{"role": "weights", "name": "a", "urls": []}]}]}"#, ".models[0].files[0].role"),
    ])
    func malformed(json: String, message: String) {
        do {
            _ = try Catalogue(json: Data(json.utf8), origin: "test.json")
            Issue.record("accepted \(json)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test("two entries of one name are refused")
    func duplicate() throws {
        let json = try Self.document([Self.entry("a-b", url: "https://h/1"), Self.entry("A_B", url: "https://h/2")])
        #expect(throws: CatalogueError.invalidEntry(origin: "t", name: "A_B", reason: "the name appears twice")) {
            try Catalogue(json: json, origin: "t")
        }
    }

    @Test("the size shown: exact when every file has one, else approximate")
    func sizes() throws {
        let catalogue = try Catalogue.standard(environment: [:])
        let smol = try #require(catalogue.entry(named: "smollm2_135m_instruct_q4_1")?.displaySize)
        #expect(smol.bytes == 98_362_432 && !smol.approximate)
        let llama = try #require(catalogue.entry(named: "llama3_1_8b_instruct_q40")?.displaySize)
        #expect(llama.bytes == 6_320_000_000 && llama.approximate)
    }

    static func entry(_ name: String, url: String, size: Int? = nil, sha256: String? = nil) -> CatalogueEntry {
        CatalogueEntry(name: name, description: "test entry", files: [CatalogueFile(role: .model, name: "model.gguf", urls: [url], size: size, sha256: sha256)])
    }

    static func document(_ entries: [CatalogueEntry]) throws -> Data {
        try JSONEncoder().encode(CatalogueDocument(sources: nil, models: entries))
    }
}

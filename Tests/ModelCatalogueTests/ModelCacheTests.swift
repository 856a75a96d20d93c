import Foundation
import Testing
@testable import ModelCatalogue

@Suite("The model cache and what --model NAME resolves to")
struct ModelCacheTests {
    /// A .m + .t entry and a GGUF one with a known size.
    static let catalogue = Catalogue(entries: [
        CatalogueEntry(name: "pair_q40", description: "a .m and its .t", files: [
            CatalogueFile(role: .model, name: "dllama_model_pair_q40.m", urls: ["https://h/a", "https://h/b"]),
            CatalogueFile(role: .tokenizer, name: "dllama_tokenizer_pair_q40.t", urls: ["https://h/t"]),
        ]),
        CatalogueEntry(name: "one_gguf", description: "a GGUF", files: [
            CatalogueFile(role: .model, name: "one.gguf", urls: ["https://h/one.gguf"], size: 4),
        ]),
    ])

    @Test("a pulled .m + .t entry resolves to both files; a GGUF entry to its one file")
    func resolvesNames() throws {
        let scratch = try ScratchDirectory()
        let cache = ModelCache(directory: scratch.url.path)
        try scratch.write("pair_q40/dllama_model_pair_q40.m", [1, 2, 3])
        try scratch.write("pair_q40/dllama_tokenizer_pair_q40.t", [4])
        try scratch.write("one_gguf/one.gguf", [1, 2, 3, 4])
        let pair = try cache.resolve("PAIR-Q40", catalogue: Self.catalogue)
        #expect(pair.modelPath == scratch.file("pair_q40/dllama_model_pair_q40.m"))
        #expect(pair.tokenizerPath == scratch.file("pair_q40/dllama_tokenizer_pair_q40.t"))
        #expect(pair.entry?.name == "pair_q40")
        let one = try cache.resolve("one_gguf", catalogue: Self.catalogue)
        #expect(one.modelPath == scratch.file("one_gguf/one.gguf") && one.tokenizerPath == nil)
        #expect(cache.status(of: Self.catalogue.entries[0]) == .complete)
        #expect(cache.entryName(containing: one.modelPath, catalogue: Self.catalogue) == "one_gguf")
        #expect(cache.entryName(containing: "/elsewhere/one.gguf", catalogue: Self.catalogue) == nil)
    }

    @Test("an existing file is used as it is, even with a catalogue name; a path is left to the model loader")
    func pathsPassThrough() throws {
        let scratch = try ScratchDirectory()
        let cache = ModelCache(directory: scratch.url.path)
        let local = try scratch.write("one_gguf", [0])
        #expect(try cache.resolve(local, catalogue: Self.catalogue) == ResolvedModel(modelPath: local, tokenizerPath: nil, entry: nil))
        #expect(try cache.resolve("/no/such/model.gguf", catalogue: Self.catalogue).modelPath == "/no/such/model.gguf")
        // A path is never looked up in the catalogue, so a broken DLLAMA_CATALOGUE cannot stand in its way.
        #expect(try cache.resolve("missing.gguf", catalogue: Self.unreadableCatalogue()).modelPath == "missing.gguf")
    }

    static func unreadableCatalogue() throws -> Catalogue {
        throw CatalogueError.unreadable(origin: "test", reason: "not to be read")
    }

    @Test("a catalogue model not pulled yet names the missing files and `dllama pull NAME`")
    func notPulled() throws {
        let scratch = try ScratchDirectory()
        let cache = ModelCache(directory: scratch.url.path)
        try scratch.write("pair_q40/dllama_model_pair_q40.m", [1])
        try scratch.write("pair_q40/dllama_tokenizer_pair_q40.t.partial", [1, 2])
        #expect(cache.status(of: Self.catalogue.entries[0]) == .partial(bytes: 3))
        #expect(cache.status(of: Self.catalogue.entries[1]) == .missing)
        do {
            _ = try cache.resolve("pair_q40", catalogue: Self.catalogue, cacheOption: "/data/m")
            Issue.record("resolved a model that is not pulled")
        } catch {
            let text = "\(error)"
            #expect(text.contains("missing dllama_tokenizer_pair_q40.t"), "\(text)")
            #expect(text.contains("run `dllama pull pair_q40 --cache /data/m` on this node first"), "\(text)")
        }
    }

    @Test("a cached file of the wrong size is refused, with what to do")
    func damaged() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("one_gguf/one.gguf", [1, 2])
        #expect(throws: PullError.cachedFileDamaged(name: "one_gguf", path: scratch.file("one_gguf/one.gguf"), size: 2, expected: 4)) {
            try ModelCache(directory: scratch.url.path).resolve("one_gguf", catalogue: Self.catalogue)
        }
    }

    @Test("a name the catalogue does not know is refused with the catalogue's names")
    func unknown() throws {
        do {
            _ = try ModelCache(directory: "/nonexistent").resolve("llama9", catalogue: Self.catalogue)
            Issue.record("resolved an unknown name")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix("llama9 is not a model of the catalogue. Known models:"))
            #expect(text.contains("pair_q40  a .m and its .t") && text.contains("one_gguf"), "\(text)")
        }
    }

    @Test("--cache, else DLLAMA_CACHE, else ~/.cache/dllama")
    func defaultDirectory() {
        #expect(ModelCache.defaultDirectory(environment: ["HOME": "/home/u"]) == "/home/u/.cache/dllama")
        #expect(ModelCache.defaultDirectory(environment: ["HOME": "/home/u", "DLLAMA_CACHE": "/data/models"]) == "/data/models")
        #expect(ModelCache.chosen("/mnt/m", environment: ["DLLAMA_CACHE": "/data/models"]).directory == "/mnt/m")
    }

    @Test("folders of the cache that no catalogue entry owns")
    func otherFolders() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("pair_q40/x", [1])
        try scratch.write("old_model/y", [1])
        try scratch.write("stray-file", [1])
        #expect(ModelCache(directory: scratch.url.path).otherFolders(than: Self.catalogue) == ["old_model"])
    }
}

@Suite("Downloads: locations, partial files, digests, progress")
struct DownloadPartsTests {
    @Test("DLLAMA_MODEL_MIRROR keeps the path and query and replaces scheme, host and port")
    func mirror() throws {
        let original = "https://huggingface.co/b4rtaz/Qwen3-8B-Q40-Distributed-Llama/resolve/main/dllama_model_qwen3_8b_q40.m?download=true"
        #expect(try DownloadLocation.url(original, mirror: nil).absoluteString == original)
        #expect(try DownloadLocation.url(original, mirror: "http://127.0.0.1:8080").absoluteString
                == "http://127.0.0.1:8080/b4rtaz/Qwen3-8B-Q40-Distributed-Llama/resolve/main/dllama_model_qwen3_8b_q40.m?download=true")
        #expect(try DownloadLocation.url(original, mirror: "https://mirror.lan/hub/").absoluteString
                == "https://mirror.lan/hub/b4rtaz/Qwen3-8B-Q40-Distributed-Llama/resolve/main/dllama_model_qwen3_8b_q40.m?download=true")
        for bad in ["mirror.lan", "ftp://mirror.lan", "http://"] {
            #expect(throws: PullError.badMirror(bad)) { try DownloadLocation.url(original, mirror: bad) }
        }
    }

    @Test("Content-Range headers", arguments: [
        ("bytes 100-199/1000", ContentRange(start: 100, end: 199, total: 1000)),
        ("bytes */1000", ContentRange(start: nil, end: nil, total: 1000)),
        ("bytes 0-9/*", ContentRange(start: 0, end: 9, total: nil)),
        ("bytes 9-0/10", nil), ("items 0-9/10", nil), ("bytes 0-9", nil), ("bytes a-b/10", nil),
    ])
    func contentRange(header: String, expected: ContentRange?) {
        #expect(ContentRange(header) == expected)
    }

    @Test("a partial file grows, starts over, and is locked against a second pull")
    func partialFile() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("f.partial", [1, 2, 3])
        let file = try PartialFile(path: path, modelName: "m")
        #expect(file.size == 3)
        try file.append(Data([4, 5]))
        #expect(file.size == 5)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([1, 2, 3, 4, 5]))
        #expect(throws: PullError.busy(path: path)) { try PartialFile(path: path, modelName: "m") }
        try file.truncate(to: 2)
        try file.append(Data([9]))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([1, 2, 9]))
    }

    @Test("a full disk is reported as such, with how much was written and what to do")
    func diskFull() throws {
        let file = try PartialFile(path: "/dev/full", modelName: "qwen3_8b_q40")
        #expect(throws: PullError.diskFull(path: "/dev/full", written: file.size, name: "qwen3_8b_q40")) {
            try file.append(Data(repeating: 7, count: 4096))
        }
        let message = PullError.diskFull(path: "/c/x.partial", written: 3 << 30, name: "qwen3_8b_q40").description
        #expect(message.contains("the disk is full") && message.contains("3.0 GiB") && message.contains("`dllama pull qwen3_8b_q40` again"))
    }

    @Test("sha256 of files, as sha256sum prints it")
    func digest() throws {
        let scratch = try ScratchDirectory()
        #expect(try FileDigest.sha256(ofFile: scratch.write("abc", Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try FileDigest.sha256(ofFile: scratch.write("empty", []))
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // Across the 8 MiB read boundary.
        var progress: [Int] = []
        let big = try scratch.write("big", [UInt8](repeating: 0x61, count: (8 << 20) + 1))
        #expect(try FileDigest.sha256(ofFile: big) { progress.append($0) }
                == "c92697f4cc3b569dff3d484285d22487e523d4b439ae7c9a6747dc258e35b275")
        #expect(progress == [8 << 20, (8 << 20) + 1])
        #expect(throws: PullError.self) { try FileDigest.sha256(ofFile: scratch.file("none")) }
    }

    @Test("rate and time left over a sliding window, from the samples given")
    func meter() {
        var meter = TransferMeter(window: 5)
        #expect(meter.bytesPerSecond == nil)
        meter.record(bytes: 0, at: 0)
        meter.record(bytes: 10 << 20, at: 1)
        #expect(meter.bytesPerSecond == Double(10 << 20))
        #expect(meter.secondsLeft(total: 50 << 20) == 4)
        for second in 2...10 { meter.record(bytes: (10 << 20) + second * (1 << 20), at: Double(second)) }
        #expect(meter.bytesPerSecond == Double(1 << 20))   // the early burst left the window
        meter.record(bytes: 0, at: 11)                       // a restart
        #expect(meter.bytesPerSecond == nil)
    }

    @Test("the progress line: bytes, share, rate and time left; a bar on a terminal")
    func progressLine() {
        #expect(ProgressText.line(file: "m.gguf", bytes: 50 << 20, total: 100 << 20, approximate: false,
                                  bytesPerSecond: Double(10 << 20), secondsLeft: 5)
                == "m.gguf  50%  50.0 MiB of 100.0 MiB, 10.0 MiB/s, 5 s left")
        #expect(ProgressText.line(file: "m.m", bytes: 1 << 30, total: 4 << 30, approximate: true, bytesPerSecond: nil,
                                  secondsLeft: nil, barWidth: 8)
                == "m.m  [##......]  ~25%  1.0 GiB of ~4.0 GiB")
        #expect(ProgressText.line(file: "t.t", bytes: 2048, total: nil, approximate: false, bytesPerSecond: 1024, secondsLeft: 3)
                == "t.t  2.0 KiB, 1.0 KiB/s")
        #expect(ProgressText.duration(125) == "2 min 5 s" && ProgressText.duration(7260) == "2 h 1 min" && ProgressText.duration(0.2) == "1 s")
    }

    @Test("a pull that the disk cannot hold is refused before anything is downloaded")
    func notEnoughSpace() throws {
        let scratch = try ScratchDirectory()
        let entry = CatalogueEntry(name: "big", description: "d", files: [
            CatalogueFile(role: .model, name: "big.gguf", urls: ["http://127.0.0.1:9/big.gguf"], size: 5 << 30),
        ])
        try scratch.write("big/big.gguf.partial", [UInt8](repeating: 0, count: 1 << 20))
        var options = PullOptions()
        options.availableSpace = { _ in 1 << 30 }
        var events: [PullEvent] = []
        let puller = ModelPuller(cache: ModelCache(directory: scratch.url.path), options: options) { events.append($0) }
        #expect(throws: PullError.notEnoughSpace(name: "big", directory: scratch.file("big"), needed: (5 << 30) - (1 << 20),
                                                 available: 1 << 30, approximate: false)) {
            try puller.pull(entry)
        }
        #expect(events.isEmpty)
    }
}

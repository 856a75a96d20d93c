import ArgumentParser
import Foundation
import ModelCatalogue
import ModelFormat

struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download a model of the catalogue into the model cache: resumable, and checked before use.",
        discussion: """
            Run it on every node: each then has the same bytes, and `dllama inference|chat|serve --model NAME` and \
            `dllama-worker --model NAME` find them by name. An interrupted download resumes where it stopped (also \
            when the command is run again); a file is moved to its final name only after its size and sha256 (where \
            the catalogue has one) check out. DLLAMA_MODEL_MIRROR=URL fetches the same paths from another server \
            (a local mirror of the hub). `dllama models` lists the catalogue.
            """)

    @Argument(help: "The model's catalogue name (see `dllama models`).")
    var name: String

    @Option(help: "The model cache folder (default: DLLAMA_CACHE, else ~/.cache/dllama).")
    var cache: String?

    @Option(help: "Seconds to wait for the server to answer, and between two pieces of data.")
    var timeout: Double = 30

    @Option(help: "Automatic retries of an interrupted download (counted from the last attempt that got further).")
    var retries = 5

    func validate() throws {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds.") }
        guard retries >= 0 else { throw ValidationError("--retries must be 0 or more.") }
    }

    func run() throws {
        let catalogue = try Catalogue.standard()
        guard let entry = catalogue.entry(named: name) else {
            throw PullError.unknownModel(name: name, listing: catalogue.listing)
        }
        let mirror = ProcessInfo.processInfo.environment["DLLAMA_MODEL_MIRROR"].flatMap { $0.isEmpty ? nil : $0 }
        let cache = ModelCache.chosen(self.cache)
        let printer = PullProgressPrinter(interactive: isatty(STDERR_FILENO) != 0)
        let puller = ModelPuller(cache: cache, options: PullOptions(timeout: timeout, retries: retries, mirror: mirror), events: printer.show)
        let size = entry.displaySize.map { ", \($0.approximate ? "about " : "")\(formatBytes($0.bytes))" } ?? ""
        log("pulling \(entry.name) (\(entry.description)\(size)) into \(cache.folder(of: entry))" + (mirror.map { " from the mirror \($0)" } ?? ""))
        let model: ResolvedModel
        do {
            model = try puller.pull(entry)
            printer.endLine()
        } catch {
            printer.endLine()
            throw error
        }
        print("model \(entry.name) is ready in \(cache.folder(of: entry)):")
        print("  model      \(model.modelPath)")
        if let tokenizer = model.tokenizerPath { print("  tokenizer  \(tokenizer)") }
        let cacheOption = self.cache.map { " --cache \($0)" } ?? ""
        let extra = (entry.runArguments ?? []).isEmpty ? "" : " " + (entry.runArguments ?? []).joined(separator: " ")
        print("run it with: dllama chat --model \(entry.name)\(cacheOption)\(extra)")
    }
}

/// Shows a pull's events on standard error: a redrawn progress bar on a terminal, a plain line
/// every tenth of the file otherwise.
final class PullProgressPrinter: @unchecked Sendable {
    private let interactive: Bool
    private let lock = NSLock()
    private var meter = TransferMeter()
    private var lastDraw = 0.0
    private var lastStep = -1
    private var lineOpen = false
    private let start = ProcessInfo.processInfo.systemUptime

    init(interactive: Bool) {
        self.interactive = interactive
    }

    func show(_ event: PullEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .alreadyPulled(let file, let path):
            say("\(file): already in the cache (\(path))")
        case .transferring(let file, let url, let part, let parts, let resumeAt, let fileBytes):
            meter = TransferMeter()
            lastStep = -1
            let which = parts > 1 ? " part \(part) of \(parts)" : ""
            say(resumeAt > 0 || fileBytes > 0
                ? "\(file):\(which) resuming at \(formatBytes(resumeAt))\(parts > 1 ? " (\(formatBytes(fileBytes)) of the file)" : ""), from \(url)"
                : "\(file):\(which) downloading from \(url)")
        case .progress(let file, let bytes, let total, let approximate):
            let now = ProcessInfo.processInfo.systemUptime - start
            meter.record(bytes: bytes, at: now)
            let done = total.map { bytes >= $0 } ?? false
            if interactive {
                guard now - lastDraw >= 0.1 || done else { return }
                lastDraw = now
                let text = ProgressText.line(file: file, bytes: bytes, total: total, approximate: approximate,
                                             bytesPerSecond: meter.bytesPerSecond, secondsLeft: meter.secondsLeft(total: total), barWidth: 24)
                write("\r" + text + "\u{1B}[K")
                lineOpen = true
            } else {
                // Every tenth of a known size, else every 256 MiB.
                let step = total.map { bytes * 10 / max($0, 1) } ?? bytes >> 28
                guard step > lastStep else { return }
                lastStep = step
                say(ProgressText.line(file: file, bytes: bytes, total: total, approximate: approximate,
                                      bytesPerSecond: meter.bytesPerSecond, secondsLeft: meter.secondsLeft(total: total)))
            }
        case .retrying(let file, let reason, let attempt, let of, let delay, let resumeAt):
            say("\(file): interrupted (\(reason)); resuming at \(formatBytes(resumeAt)) in \(ProgressText.duration(delay)) (retry \(attempt) of \(of))")
        case .restarting(let file, let reason):
            say("\(file): starting again: \(reason)")
        case .verifying(let file, let bytes):
            say("\(file): \(formatBytes(bytes)) downloaded; checking it")
        case .hashing(let file, let bytes, let total):
            if interactive, total > 0 {
                write("\r\(file): sha256 \(bytes * 100 / total)%\u{1B}[K")
                lineOpen = true
            }
        case .pulled(let file, _, let bytes, let sha256, let checkedHash, let checkedSize):
            let check = checkedHash
                ? "size and sha256 match the catalogue"
                : (checkedSize ? "size matches the catalogue" : "the catalogue has no size for it: every part arrived whole")
                    + "; the catalogue has no sha256 for it, so compare this sha256 on every node: \(sha256)"
            say("\(file): ok, \(bytes) bytes, \(check)")
        }
    }

    /// Ends a redrawn line, so what follows starts on its own.
    func endLine() {
        lock.lock()
        defer { lock.unlock() }
        if lineOpen { write("\n") }
        lineOpen = false
    }

    private func say(_ text: String) {
        if lineOpen { write("\n") }
        lineOpen = false
        write(text + "\n")
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

import ArgumentParser
import Converter
import Dispatch
import Engine
import Foundation
import QuantKernels
import ModelFormat

extension WeightType: ExpressibleByArgument {}

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a GGUF file or a Hugging Face folder to a distributed-llama .m model and .t tokenizer.",
        discussion: """
            Streams tensor by tensor (memory near one buffer, not the model) into OUTPUT.partial, renamed to \
            OUTPUT only when complete. Refuses, with the reason, what a .m file cannot hold faithfully.
            """)

    @Argument(help: "A GGUF file, or a Hugging Face folder (config.json, *.safetensors, tokenizer.json).")
    var input: String

    @Option(name: .shortAndLong, help: "The .m model file to write.")
    var output: String

    @Option(help: "Type of the attention, FFN and output matrices: q40, q80 or f32 (the embedding and norms are always F32).")
    var weights: WeightType = .q80

    @Option(help: "The .t tokenizer file to write (default: the model's name with .t).")
    var tokenizerOutput: String?

    @Option(name: [.customShort("t"), .long], help: "Threads that convert rows (default: the cores available; more take turns on them).")
    var nthreads: Int?

    func validate() throws {
        if let nthreads { guard nthreads >= 1 else { throw ValidationError("--nthreads must be at least 1.") } }
    }

    func run() throws {
        let converter = try Converter(inputPath: input)
        let options = ConversionOptions(outputPath: output, weights: weights, tokenizerPath: tokenizerOutput, threads: ThreadCount.resolve(nthreads))
        let (modelPath, tokenizerPath) = try converter.outputPaths(options)
        let cleanup = InterruptCleanup(paths: [modelPath] + (tokenizerPath.map { [$0] } ?? []))
        var display = ProgressDisplay(terminal: isatty(STDERR_FILENO) != 0)
        let report = try converter.convert(options) { event in
            switch event {
            case .note(let line):
                display.clear()
                print(line)
                fflush(nil)
            case .progress(let progress):
                display.show(progress)
            }
        }
        display.clear()
        withExtendedLifetime(cleanup) {}
        let rate = report.seconds > 0 ? Double(report.bytesWritten) / report.seconds / 1_048_576 : 0
        let readRate = report.seconds > 0 ? Double(report.bytesRead) / report.seconds / 1_048_576 : 0
        let rss = ProcessMemory.peakResidentBytes().map(formatBytes) ?? "unknown"
        print("wrote \(report.outputPath) (\(formatBytes(report.bytesWritten)))" + (report.tokenizerPath.map { " and \($0)" } ?? "")
              + String(format: " in %.1f s: %.0f MiB/s written, %.0f MiB/s read; peak RSS ", report.seconds, rate, readRate) + rss)
    }
}

/// The progress of a conversion on standard error: a bar redrawn in place on a terminal, a plain
/// line every 10% otherwise (logs, pipes).
struct ProgressDisplay {
    let terminal: Bool
    private var lastDraw = -1.0
    private var lastDecile = 0
    private var drawn = false

    init(terminal: Bool) { self.terminal = terminal }

    mutating func show(_ p: ConversionProgress) {
        let fraction = p.bytesTotal > 0 ? Double(p.bytesWritten) / Double(p.bytesTotal) : 1
        let rate = p.elapsed > 0 ? Double(p.bytesWritten) / p.elapsed : 0
        let left = rate > 0 ? Double(p.bytesTotal - p.bytesWritten) / rate : 0
        let figures = "\(formatBytes(p.bytesWritten)) / \(formatBytes(p.bytesTotal))  \(formatBytes(Int(rate)))/s  \(clock(left)) left"
        if terminal {
            guard p.elapsed - lastDraw >= 0.1 || p.bytesWritten == p.bytesTotal else { return }
            lastDraw = p.elapsed
            let width = 24, filled = Int(fraction * Double(width))
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            let line = String(format: "[%@] %3d%%  ", bar, Int(fraction * 100)) + figures + "  " + p.tensor
            FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
            drawn = true
        } else {
            let decile = Int(fraction * 10)
            guard decile > lastDecile else { return }
            lastDecile = decile
            FileHandle.standardError.write(Data("converted \(decile * 10)%: \(figures)\n".utf8))
        }
    }

    /// Erases the bar so a log line can be printed in its place.
    mutating func clear() {
        guard terminal, drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        drawn = false
    }

    private func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// On Ctrl-C or SIGTERM during a conversion, removes the partial output files and exits, so an
/// interrupted conversion leaves neither a damaged model nor a stray temporary file.
final class InterruptCleanup {
    private var sources: [DispatchSourceSignal] = []

    init(paths: [String]) {
        let partials = paths.map(DllamaModelWriter.partialPath(of:))
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                for path in partials { unlink(path) }
                FileHandle.standardError.write(Data("\ninterrupted: removed the partial output\n".utf8))
                exit(128 + sig)
            }
            source.resume()
            sources.append(source)
        }
    }
}

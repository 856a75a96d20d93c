import Foundation
import ModelFormat
import QuantKernels

/// Converts a GGUF file or a Hugging Face checkpoint folder into a distributed-llama `.m` model
/// and `.t` tokenizer, tensor by tensor.
///
/// ```swift
/// let converter = try Converter(inputPath: "SmolLM2-135M-Instruct.Q4_1.gguf")
/// let report = try converter.convert(ConversionOptions(outputPath: "smollm2.m", weights: .q80)) { event in
///     if case .note(let line) = event { print(line) }
/// }
/// print(report.tokenizerPath ?? "no tokenizer")     // smollm2.t
/// ```
///
/// Opening reads only headers and checks the model can be converted faithfully; `convert` then
/// streams each tensor through a small buffer (peak memory near one chunk, not the model) into
/// files named `*.partial`, renamed to the output names only when both are complete. A refused,
/// failed or interrupted conversion leaves nothing under the output names.
public final class Converter {
    public let inputPath: String
    /// The model as the input describes it (`weightType`: the input's).
    public var model: ModelDescription { source.model }
    /// The input's kind: `GGUF llama`, `Hugging Face LlamaForCausalLM`, ...
    public var inputKind: String { source.kind }
    /// Whether the input carries a vocabulary, so a `.t` file is written.
    public var hasVocabulary: Bool { source.vocabulary != nil }

    let source: ConversionSource

    public init(inputPath: String) throws {
        self.inputPath = inputPath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: inputPath, isDirectory: &isDirectory) else {
            throw ConverterError.inputNotFound(path: inputPath)
        }
        if isDirectory.boolValue {
            let checkpoint = try HuggingFaceCheckpoint(folder: inputPath)
            var source = try HuggingFaceModel.source(checkpoint)
            if let tokenizer = checkpoint.sidecar("tokenizer.json") {
                source.vocabulary = try HuggingFaceTokenizer.table(checkpoint, tokenizerPath: tokenizer)
            } else {
                source.notes.append("the folder has no tokenizer.json: no .t file is written")
            }
            self.source = source
            return
        }
        let file = try MappedFile(path: inputPath)
        let magic = file.size >= 4 ? file.bytes.loadUnaligned(as: UInt32.self).littleEndian : 0
        switch magic {
        case 0x4655_4747:  // "GGUF"
            source = try GGUFModel.source(try ModelFile(path: inputPath))
        case 0x0A00_ABCD:
            throw ConverterError.notAnInput(path: inputPath, reason: "it is already a distributed-llama .m model")
        default:
            let reason = inputPath.hasSuffix(".safetensors")
                ? "a lone .safetensors file: give the folder that holds it with its config.json"
                : "neither a GGUF file nor a folder"
            throw ConverterError.notAnInput(path: inputPath, reason: reason)
        }
    }

    /// Writes the `.m` (and `.t`) files, calling `onEvent` with log lines and progress.
    @discardableResult
    public func convert(_ options: ConversionOptions, onEvent: (ConversionEvent) -> Void = { _ in }) throws -> ConversionReport {
        let started = Date()
        var vocabularyOrder: [Int]?
        var table: TokenTable?
        var notes = ["input: \(source.kind), \(describe(source.model))"] + source.notes.map { "  " + $0 }
        if let vocabulary = source.vocabulary {
            guard vocabulary.count <= source.model.vocabSize else {
                throw ConverterError.invalidTokenizer(path: inputPath, reason: "\(vocabulary.count) tokens but only \(source.model.vocabSize) embedding rows: the tokenizer belongs to another model")
            }
            let ordered: (table: TokenTable, newToOld: [Int]?)
            do {
                ordered = try vocabulary.dllamaOrder()
            } catch ConverterError.invalidTokenizer(_, let reason) {
                throw ConverterError.invalidTokenizer(path: inputPath, reason: reason)
            }
            table = ordered.table
            vocabularyOrder = ordered.newToOld
            notes.append(TokenTable.describeReordering(old: vocabulary, new: ordered.table, newToOld: ordered.newToOld))
        }
        if source.permutesQueryKeyRows {
            notes.append("q/k rows: permuted from the Hugging Face layout to adjacent-pair RoPE (per head, [2][headDim/2] -> [headDim/2][2])")
        }
        let plan = try ConversionPlan(source: source, weights: options.weights, vocabularyOrder: vocabularyOrder)
        let tokenizerPath = try options.resolvedTokenizerPath(hasVocabulary: table != nil, inputPath: inputPath)
        try checkOutputs(model: options.outputPath, tokenizer: tokenizerPath)
        notes.append("output: \(options.outputPath) (\(options.weights.rawValue), \(formatBytes(plan.outputBytes)))" + (tokenizerPath.map { " and \($0)" } ?? ""))
        notes += plan.typeSummary
        for line in notes { onEvent(.note(line)) }

        if let table, let tokenizerPath { try TokenizerFileWriter.writePartial(table, to: tokenizerPath) }
        defer { if let tokenizerPath { unlink(DllamaModelWriter.partialPath(of: tokenizerPath)) } }
        let writer = try DllamaModelWriter(path: options.outputPath, header: plan.header)
        let streamer = TensorStreamer(threads: options.threads)
        var errors = ErrorTable()
        var progress = ConversionProgress(bytesWritten: plan.header.byteCount, bytesTotal: plan.outputBytes, bytesRead: 0,
                                          tensorsDone: 0, tensorCount: plan.tensors.count, tensor: "")
        do {
            for tensor in plan.tensors {
                progress.tensor = tensor.target.name
                var sums = ErrorSums()
                try writer.appendTensor { write in
                    sums = try streamer.stream(tensor, write: write) { bytes in
                        progress.bytesWritten += bytes
                        progress.elapsed = Date().timeIntervalSince(started)
                        onEvent(.progress(progress))
                    }
                }
                if tensor.measuresError { errors.add(tensor, sums) }
                progress.bytesRead += tensor.source.byteCount
                progress.tensorsDone += 1
            }
            try writer.finish()
        } catch let error as ConverterError {
            throw error
        } catch let error as ModelFormatError {
            throw error
        } catch {
            // The file system's own errors (a full disk, a removed folder) while writing.
            throw ConverterError.cannotWrite(path: options.outputPath, reason: error.localizedDescription)
        }
        if let tokenizerPath, table != nil { try TokenizerFileWriter.commit(tokenizerPath) }
        progress.elapsed = Date().timeIntervalSince(started)
        onEvent(.progress(progress))

        let report = ConversionReport(outputPath: options.outputPath, tokenizerPath: table == nil ? nil : tokenizerPath,
                                      model: plan.model, vocabularyReordered: vocabularyOrder != nil,
                                      bytesRead: progress.bytesRead, bytesWritten: plan.outputBytes,
                                      seconds: progress.elapsed, errors: errors.summaries)
        for line in report.errorLines { onEvent(.note(line)) }
        return report
    }

    private func describe(_ m: ModelDescription) -> String {
        var text = "dim \(m.dim), \(m.layerCount) layers, \(m.headCount) heads, \(m.kvHeadCount) kv heads, head dim \(m.headDim), "
        text += m.isMoE ? "\(m.expertCount) experts (\(m.activeExpertCount) active) of \(m.expertHiddenDim)" : "FFN \(m.hiddenDim)"
        return text + ", vocab \(m.vocabSize), context \(m.maxSeqLen), \(m.weightType) weights"
    }

    /// The files `options` makes: the model, and the tokenizer when the input has a vocabulary.
    /// While converting they exist only as `DllamaModelWriter.partialPath(of:)`.
    public func outputPaths(_ options: ConversionOptions) throws -> (model: String, tokenizer: String?) {
        (options.outputPath, try options.resolvedTokenizerPath(hasVocabulary: hasVocabulary, inputPath: inputPath))
    }

    /// Refuses outputs that would replace the input or each other, and unwritable folders.
    private func checkOutputs(model: String, tokenizer: String?) throws {
        for output in [model] + (tokenizer.map { [$0] } ?? []) {
            if sameFile(output, inputPath) { throw ConverterError.outputIsInput(path: output) }
            var outputIsDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: output, isDirectory: &outputIsDirectory), outputIsDirectory.boolValue {
                throw ConverterError.cannotWrite(path: output, reason: "it is a folder; name the file to write")
            }
            let folder = (output as NSString).deletingLastPathComponent
            let directory = folder.isEmpty ? "." : folder
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ConverterError.cannotWrite(path: output, reason: "no folder \(directory)")
            }
            guard access(directory, W_OK) == 0 else {
                throw ConverterError.cannotWrite(path: output, reason: "the folder \(directory) is not writable")
            }
        }
        if let tokenizer, sameFile(tokenizer, model) { throw ConverterError.outputIsInput(path: tokenizer) }
    }
}

/// Whether two paths name the same file (same inode when both exist, else the same standardized path).
func sameFile(_ a: String, _ b: String) -> Bool {
    var sa = stat(), sb = stat()
    if stat(a, &sa) == 0, stat(b, &sb) == 0 { return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino }
    return URL(fileURLWithPath: a).standardizedFileURL.path == URL(fileURLWithPath: b).standardizedFileURL.path
}

/// What to convert to.
public struct ConversionOptions: Sendable {
    public var outputPath: String
    public var weights: WeightType
    /// Where the `.t` goes; nil: beside the model, `model.m` -> `model.t`.
    public var tokenizerPath: String?
    /// Threads that convert rows (quantizing is the costly part).
    public var threads: Int

    public init(outputPath: String, weights: WeightType = .q80, tokenizerPath: String? = nil, threads: Int = 1) {
        self.outputPath = outputPath
        self.weights = weights
        self.tokenizerPath = tokenizerPath
        self.threads = threads
    }

    func resolvedTokenizerPath(hasVocabulary: Bool, inputPath: String) throws -> String? {
        guard hasVocabulary else {
            if let tokenizerPath {
                throw ConverterError.invalidTokenizer(path: inputPath, reason: "it carries no vocabulary, so there is no .t file to write to \(tokenizerPath)")
            }
            return nil
        }
        if let tokenizerPath { return tokenizerPath }
        let base = outputPath.hasSuffix(".m") ? String(outputPath.dropLast(2)) : outputPath
        return base + ".t"
    }
}

/// What a conversion tells as it goes.
public enum ConversionEvent: Sendable {
    /// A line for the log: what was read, what was decided, the measured error.
    case note(String)
    case progress(ConversionProgress)
}

public struct ConversionProgress: Sendable, Equatable {
    /// Bytes of the output written so far (header included) and in all.
    public var bytesWritten: Int
    public var bytesTotal: Int
    /// Bytes of input tensors read so far.
    public var bytesRead: Int
    public var tensorsDone: Int
    public var tensorCount: Int
    /// The output tensor being written.
    public var tensor: String
    /// Seconds since the conversion started.
    public var elapsed: Double = 0
}

/// The measured error of re-quantized tensors of one kind.
public struct QuantizationErrorSummary: Sendable, Equatable {
    /// The tensor kind: `attn_q`, `ffn_down`, `output`, ...
    public var role: String
    public var from: String
    public var to: String
    public var tensors: Int
    /// RMS error over RMS value, over all tensors of the kind together.
    public var relativeError: Double
    /// The largest per-tensor relative error among them.
    public var largestRelativeError: Double
}

public struct ConversionReport: Sendable {
    public var outputPath: String
    public var tokenizerPath: String?
    /// The model as written.
    public var model: ModelDescription
    public var vocabularyReordered: Bool
    public var bytesRead: Int
    public var bytesWritten: Int
    public var seconds: Double
    public var errors: [QuantizationErrorSummary]

    /// The error table for the log (nothing when no tensor was re-quantized).
    public var errorLines: [String] {
        guard !errors.isEmpty else { return [] }
        let header = "re-quantization error (RMS error / RMS value per tensor kind; largest single tensor):"
        return [header] + errors.map {
            "  \($0.role.padding(toLength: 12, withPad: " ", startingAt: 0)) \($0.from) -> \($0.to)  \(String(format: "%5.2f", 100 * $0.relativeError))%  (largest \(String(format: "%.2f", 100 * $0.largestRelativeError))%, \($0.tensors) \($0.tensors == 1 ? "tensor" : "tensors"))"
        }
    }
}

/// Error sums gathered per tensor kind and conversion, in first-seen order.
struct ErrorTable {
    private var keys: [String] = []
    private var rows: [String: (summary: QuantizationErrorSummary, sums: ErrorSums)] = [:]

    mutating func add(_ tensor: PlannedTensor, _ sums: ErrorSums) {
        let to = tensor.target.type == .q4_0 ? "Q40" : "Q80"
        let key = "\(tensor.role) \(tensor.source.typeName) \(to)"
        if rows[key] == nil {
            keys.append(key)
            rows[key] = (QuantizationErrorSummary(role: tensor.role, from: tensor.source.typeName, to: to, tensors: 0,
                                                  relativeError: 0, largestRelativeError: 0), ErrorSums())
        }
        rows[key]!.sums.add(sums)
        rows[key]!.summary.tensors += 1
        rows[key]!.summary.relativeError = rows[key]!.sums.relative
        rows[key]!.summary.largestRelativeError = max(rows[key]!.summary.largestRelativeError, sums.relative)
    }

    var summaries: [QuantizationErrorSummary] { keys.map { rows[$0]!.summary } }
}

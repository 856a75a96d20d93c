import Engine
import Foundation
import Tokenizer

/// A request checked and turned into what the engine runs: prompt tokens, sampling, limits.
struct GenerationRequest: Sendable {
    var prompt: [Int]
    /// nil: until the end of generation or of the context.
    var maxTokens: Int?
    var sampling: SamplingParameters
    var stops: [String]
    var stream: Bool
    /// `stream_options.include_usage`: a last chunk with the usage before `[DONE]`.
    var includeUsage: Bool
}

/// The server's sampling when a request leaves a field out (`dllama serve --temperature ...`).
public struct SamplingDefaults: Sendable {
    public var temperature: Float
    public var topP: Float
    public var topK: Int
    /// nil: a new seed for every request.
    public var seed: UInt64?

    public init(temperature: Float = 0.8, topP: Float = 0.9, topK: Int = 0, seed: UInt64? = nil) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.seed = seed
    }
}

extension GenerationFields {
    /// At most this many stop strings, as OpenAI allows.
    static let maxStopStrings = 4

    /// Checks every field against its range and the served model; `prompt` is already encoded.
    func request(prompt: [Int], maxTokens: Int?, servedModel: String, defaults: SamplingDefaults) throws -> GenerationRequest {
        guard model == servedModel else { throw APIError.unknownModel(model, served: servedModel) }
        if let n, n != 1 { throw APIError.invalid("'n' must be 1: this server generates one choice per request.", param: "n") }
        if logprobs?.requested == true {
            throw APIError.invalid("'logprobs' is not supported by this server.", param: "logprobs")
        }
        if let maxTokens, maxTokens < 1 { throw APIError.invalid("'max_tokens' must be at least 1.", param: "max_tokens") }
        try Self.check(temperature, "temperature", in: 0...2)
        try Self.check(topP, "top_p", in: 0...1, excludingLower: true)
        try Self.check(minP, "min_p", in: 0...1)
        try Self.check(presencePenalty, "presence_penalty", in: -2...2)
        try Self.check(frequencyPenalty, "frequency_penalty", in: -2...2)
        try Self.check(repetitionPenalty, "repetition_penalty", in: 0...10, excludingLower: true)
        if let topK, topK < 0 { throw APIError.invalid("'top_k' must be 0 (off) or more.", param: "top_k") }
        let stops = stop?.strings ?? []
        guard stops.count <= Self.maxStopStrings else {
            throw APIError.invalid("'stop' has \(stops.count) strings; at most \(Self.maxStopStrings) are allowed.", param: "stop")
        }
        guard !stops.contains("") else { throw APIError.invalid("'stop' strings must not be empty.", param: "stop") }

        let sampling = SamplingParameters(temperature: temperature.map(Float.init) ?? defaults.temperature,
                                          topP: topP.map(Float.init) ?? defaults.topP, topK: topK ?? defaults.topK,
                                          minP: Float(minP ?? 0), repetitionPenalty: Float(repetitionPenalty ?? 1),
                                          presencePenalty: Float(presencePenalty ?? 0), frequencyPenalty: Float(frequencyPenalty ?? 0),
                                          seed: seed.map { UInt64(bitPattern: Int64($0)) } ?? defaults.seed ?? Self.freshSeed())
        return GenerationRequest(prompt: prompt, maxTokens: maxTokens, sampling: sampling, stops: stops, stream: stream ?? false,
                                 includeUsage: streamOptions?.includeUsage ?? false)
    }

    private static func check(_ value: Double?, _ name: String, in range: ClosedRange<Double>, excludingLower: Bool = false) throws {
        guard let value else { return }
        let inside = value.isFinite && range.contains(value) && !(excludingLower && value == range.lowerBound)
        guard inside else {
            let lower = excludingLower ? "(\(range.lowerBound.formatted)" : "[\(range.lowerBound.formatted)"
            throw APIError.invalid("'\(name)' must be in \(lower), \(range.upperBound.formatted)]; got \(value.formatted).", param: name)
        }
    }

    private static func freshSeed() -> UInt64 { UInt64.random(in: 1...UInt64.max) }
}

extension Double {
    /// 2 rather than 2.0, 0.5 as 0.5.
    fileprivate var formatted: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}

import Foundation
import Tokenizer
import Transport

/// Timings of one generation, for the summary `dllama inference` prints.
public struct GenerationStats: Sendable, Equatable {
    public var promptTokens = 0
    public var generatedTokens = 0
    public var prefillSeconds = 0.0
    public var generationSeconds = 0.0
    /// Why generation ended (none of them: the token limit).
    public var stoppedAtEndOfGeneration = false
    public var stoppedByCaller = false
    /// The context filled up: no position was left for another token.
    public var stoppedAtContextLimit = false
    /// Bytes of weights read from the model file during this generation (streamed layers; zero
    /// when every weight was already held).
    public var bytesRead = 0
    /// During generation: time the root spent in collectives (waiting for other nodes included),
    /// and the bytes it sent and received.
    public var generationSyncSeconds = 0.0
    public var generationSentBytes = 0
    public var generationReceivedBytes = 0

    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(promptTokens) / prefillSeconds : 0 }
    /// Tokens after the first, over the time they took (the first comes out of the prefill);
    /// nil with fewer than two generated tokens, when there is no decoding speed to measure.
    public var generationTokensPerSecond: Double? {
        generatedTokens > 1 && generationSeconds > 0 ? Double(generatedTokens - 1) / generationSeconds : nil
    }
    public var millisecondsPerToken: Double? { generationTokensPerSecond.map { 1000 / $0 } }
}

/// Feeds tokens through a `Transformer` and samples new ones, keeping track of what the KV cache
/// holds so that a conversation continues where it stopped (only new tokens are computed).
///
///     let generator = Generator(transformer: engine, tokenizer: tokenizer)
///     var sampler = Sampler(SamplingParameters(temperature: 0, seed: 1))
///     let stats = try generator.generate(prompt: tokenizer.encode("Hello"), maxTokens: 32, sampler: &sampler) { print($0, terminator: "") }
public final class Generator {
    public let transformer: Transformer
    public let tokenizer: Tokenizer
    /// The tokens whose keys and values are in the cache, in position order.
    public private(set) var cachedTokens: [Int] = []

    public init(transformer: Transformer, tokenizer: Tokenizer) {
        self.transformer = transformer
        self.tokenizer = tokenizer
    }

    /// Generates after `prompt`: the cache keeps the longest prefix `prompt` shares with what it
    /// already holds, the rest of the prompt is computed, then up to `maxTokens` tokens are sampled
    /// until an end-of-generation token. `onText` receives the text as it forms (never half a
    /// character); the generated ids are returned with the timings. A `stop` flag raised by
    /// another thread (an interrupt: Ctrl-C) ends generation after the current token
    /// (`stats.stoppedByCaller`).
    @discardableResult
    public func generate(prompt: [Int], maxTokens: Int, sampler: inout Sampler, stop: StopFlag? = nil,
                         onText: (String) -> Void = { _ in }) throws -> (tokens: [Int], stats: GenerationStats) {
        var decoder = UTF8StreamDecoder()
        let result = try generateTokens(prompt: prompt, maxTokens: maxTokens, sampler: &sampler) { token in
            let text = decoder.decode(tokenizer.bytes(of: token))
            if !text.isEmpty { onText(text) }
            return stop?.isRaised == true ? .stop : .proceed
        }
        let tail = decoder.flush()
        if !tail.isEmpty { onText(tail) }
        return result
    }

    /// What the caller of `generateTokens(prompt:maxTokens:sampler:onToken:)` wants after a token.
    public enum Control: Sendable {
        case proceed
        /// End here (a stop string was met, the client left): no further step is computed.
        case stop
    }

    /// Like `generate(prompt:maxTokens:sampler:onText:)`, handing over each generated token id
    /// (every one but the end-of-generation token) as soon as it is sampled; the caller decodes
    /// it and may end generation there (`stats.stoppedByCaller`). A prompt that leaves no room
    /// in the context throws `GenerationError.promptTooLong`; generation that fills the context stops
    /// there (`stats.stoppedAtContextLimit`).
    @discardableResult
    public func generateTokens(prompt: [Int], maxTokens: Int, sampler: inout Sampler,
                               onToken: (Int) -> Control) throws -> (tokens: [Int], stats: GenerationStats) {
        precondition(!prompt.isEmpty, "a prompt needs at least one token")
        var stats = GenerationStats()
        // Reuse the cached prefix, but recompute at least the last prompt token for its logits.
        let start = reusablePrefix(of: prompt)
        cachedTokens.removeSubrange(start...)
        let room = transformer.maxSeqLen - prompt.count
        guard room > 0 else { throw GenerationError.promptTooLong(tokens: prompt.count, contextLength: transformer.maxSeqLen) }
        let bytesBefore = transformer.bytesRead

        // Greedy sampling needs only the largest logit: each node sends its best candidate
        // instead of all its logits (8 bytes instead of 4 per vocabulary row).
        let greedy = sampler.parameters.temperature == 0 && !sampler.parameters.penalizesRecentTokens
        func step(_ token: Int) throws -> Int {
            let position = cachedTokens.count
            if greedy {
                let next = try transformer.forwardGreedy(token: token, position: position)
                cachedTokens.append(token)
                return next
            }
            let logits = Array(try transformer.forward(token: token, position: position))
            cachedTokens.append(token)
            return transformer.profiler.measure(.sampling) { sampler.sample(logits: logits, recentTokens: cachedTokens) }
        }

        let prefillStart = Date()
        try transformer.prefill(Array(prompt[start..<(prompt.count - 1)]), first: start)
        cachedTokens.append(contentsOf: prompt[start..<(prompt.count - 1)])
        var next = try step(prompt[prompt.count - 1])
        stats.promptTokens = prompt.count - start
        stats.prefillSeconds = Date().timeIntervalSince(prefillStart)

        var generated: [Int] = []
        let generationStart = Date()
        let syncBefore = transformer.syncNanoseconds, trafficBefore = transformer.traffic
        while generated.count < min(maxTokens, room) {
            generated.append(next)
            if tokenizer.isEndOfGeneration(next) {
                stats.stoppedAtEndOfGeneration = true
                break
            }
            if onToken(next) == .stop {
                stats.stoppedByCaller = true
                break
            }
            guard generated.count < min(maxTokens, room) else { break }
            next = try step(next)
        }
        stats.generatedTokens = generated.count
        stats.stoppedAtContextLimit = !stats.stoppedAtEndOfGeneration && !stats.stoppedByCaller && generated.count >= room
        stats.bytesRead = transformer.bytesRead - bytesBefore
        stats.generationSeconds = Date().timeIntervalSince(generationStart)
        stats.generationSyncSeconds = Double(transformer.syncNanoseconds - syncBefore) / 1e9
        stats.generationSentBytes = transformer.traffic.sentBytes - trafficBefore.sentBytes
        stats.generationReceivedBytes = transformer.traffic.receivedBytes - trafficBefore.receivedBytes
        return (generated, stats)
    }

    /// How many leading tokens of `prompt` the cache can keep: those it already holds, but never
    /// the last one, whose logits the next token needs.
    public func reusablePrefix(of prompt: [Int]) -> Int {
        min(zip(cachedTokens, prompt).prefix { $0 == $1 }.count, max(prompt.count - 1, 0))
    }
}

/// A flag another thread raises to end a generation early (Ctrl-C): `Generator.generate(stop:)`.
public final class StopFlag: @unchecked Sendable {  // `raised` is guarded by `lock`
    private let lock = NSLock()
    private var raised = false

    public init() {}

    public var isRaised: Bool { lock.withLock { raised } }
    public func raise() { lock.withLock { raised = true } }
    public func lower() { lock.withLock { raised = false } }
}

/// Why generation cannot start.
public enum GenerationError: Error, CustomStringConvertible, Equatable {
    /// The prompt leaves no position of the context (`contextLength` tokens) to generate in.
    case promptTooLong(tokens: Int, contextLength: Int)

    public var description: String {
        switch self {
        case .promptTooLong(let tokens, let context):
            return "the prompt is \(tokens) tokens but the context holds \(context), and at least one token must be left to generate: shorten the prompt or allow a longer context"
        }
    }
}

import QuantKernels

/// What the sampler does at each step. The defaults are distributed-llama's
/// (`--temperature 0.8 --topp 0.9`); the other stages are off unless set.
public struct SamplingParameters: Sendable, Equatable {
    /// 0 = greedy (argmax).
    public var temperature: Float = 0.8
    public var topP: Float = 0.9
    /// 0 = off.
    public var topK: Int = 0
    /// 0 = off.
    public var minP: Float = 0
    /// 1 = off.
    public var repetitionPenalty: Float = 1
    /// How many of the latest tokens the penalties look at.
    public var repetitionWindow: Int = 64
    /// OpenAI's penalties (0 = off): subtracted from the logit of each recent token, once
    /// (presence) and once per occurrence (frequency).
    public var presencePenalty: Float = 0
    public var frequencyPenalty: Float = 0
    public var seed: UInt64

    public init(temperature: Float = 0.8, topP: Float = 0.9, topK: Int = 0, minP: Float = 0,
                repetitionPenalty: Float = 1, repetitionWindow: Int = 64, presencePenalty: Float = 0,
                frequencyPenalty: Float = 0, seed: UInt64) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionWindow = repetitionWindow
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.seed = seed
    }

    /// Whether a penalty looks at recent tokens (so greedy decoding needs every logit).
    public var penalizesRecentTokens: Bool { repetitionPenalty != 1 || presencePenalty != 0 || frequencyPenalty != 0 }
}

/// Picks the next token from the logits of one step.
///
/// With only temperature and top-p set (the reference's options), each step makes exactly the
/// reference's computation and RNG draw, so a seed gives distributed-llama's tokens for the same
/// logits.
///
/// ```swift
/// var sampler = Sampler(SamplingParameters(temperature: 0.7, topP: 0.9, seed: 42))
/// let next = sampler.sample(logits: logits, recentTokens: generated)
/// ```
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    public private(set) var random: XorShiftRandom

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        random = XorShiftRandom(seed: parameters.seed)
    }

    public mutating func sample(logits: [Float], recentTokens: [Int] = []) -> Int {
        precondition(!logits.isEmpty, "sampling needs at least one logit")
        var logits = logits
        let recent = recentTokens.suffix(parameters.repetitionWindow)
        RepetitionPenalty(penalty: parameters.repetitionPenalty).apply(to: &logits, recentTokens: recent)
        PresenceFrequencyPenalty(presence: parameters.presencePenalty, frequency: parameters.frequencyPenalty)
            .apply(to: &logits, recentTokens: recent)

        if parameters.temperature == 0 { return Self.argmax(logits) }

        var candidates = SamplingCandidates(logits: logits)
        TopK(k: parameters.topK).apply(to: &candidates)
        for index in candidates.values.indices { candidates.values[index] /= parameters.temperature }
        candidates.softmax()
        MinP(minP: parameters.minP).apply(to: &candidates)
        let coin = random.nextFloat()
        let topP = TopP(p: parameters.topP)
        return topP.isActive ? topP.draw(from: candidates, coin: coin) : MultinomialDraw().draw(from: candidates, coin: coin)
    }

    /// The first index of the largest logit (`sample_argmax`: a later equal value does not win).
    public static func argmax(_ logits: [Float]) -> Int {
        logits.withUnsafeBufferPointer { Elementwise.argmax($0) }
    }
}

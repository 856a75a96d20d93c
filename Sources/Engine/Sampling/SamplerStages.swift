/// The stages of a sampler, each a small value type that narrows or reshapes the candidates.
/// `Sampler` runs them in llama.cpp's usual order: penalties, top-k, temperature,
/// softmax, min-p, top-p, draw.

/// Discourages tokens seen recently: a positive logit is divided by `penalty`, a negative one
/// multiplied (the CTRL paper's rule, as llama.cpp's `penalty_repeat`). Each token is penalised
/// once however often it occurred.
public struct RepetitionPenalty: Sendable, Equatable {
    public var penalty: Float

    public init(penalty: Float) { self.penalty = penalty }

    public func apply(to logits: inout [Float], recentTokens: some Sequence<Int>) {
        guard penalty != 1 else { return }
        for token in Set(recentTokens) where logits.indices.contains(token) {
            logits[token] = logits[token] > 0 ? logits[token] / penalty : logits[token] * penalty
        }
    }
}

/// OpenAI's `presence_penalty` and `frequency_penalty` (llama.cpp's `penalty_present` and
/// `penalty_freq`): a recent token's logit loses `presence` once and `frequency` per occurrence.
public struct PresenceFrequencyPenalty: Sendable, Equatable {
    public var presence: Float
    public var frequency: Float

    public init(presence: Float, frequency: Float) {
        self.presence = presence
        self.frequency = frequency
    }

    public func apply(to logits: inout [Float], recentTokens: some Sequence<Int>) {
        guard presence != 0 || frequency != 0 else { return }
        var counts: [Int: Int] = [:]
        for token in recentTokens where logits.indices.contains(token) { counts[token, default: 0] += 1 }
        for (token, count) in counts {
            logits[token] -= presence + Float(count) * frequency
        }
    }
}

/// Keeps the `k` candidates with the highest logits (ties: the lower id first); 0 keeps all.
public struct TopK: Sendable, Equatable {
    public var k: Int

    public init(k: Int) { self.k = k }

    public func apply(to candidates: inout SamplingCandidates) {
        guard k > 0, k < candidates.count else { return }
        candidates.sortDescending()
        candidates.keepFirst(k)
    }
}

/// Drops candidates whose probability is below `minP` times the most likely one's, then
/// renormalises; 0 keeps all. Expects probabilities.
public struct MinP: Sendable, Equatable {
    public var minP: Float

    public init(minP: Float) { self.minP = minP }

    public func apply(to candidates: inout SamplingCandidates) {
        guard minP > 0, let maximum = candidates.values.max() else { return }
        let threshold = minP * maximum
        candidates.filter { $0 >= threshold }
        let sum = candidates.values.reduce(0, +)
        for index in candidates.values.indices { candidates.values[index] /= sum }
    }
}

/// Nucleus sampling exactly as llama2.c / distributed-llama's `sample_topp`: candidates below
/// `(1 - p) / (n - 1)` are dropped up front (they cannot be in the nucleus), the rest sorted by
/// probability, cut after the first prefix whose sum exceeds `p`, and the coin scaled by that sum.
public struct TopP: Sendable, Equatable {
    public var p: Float

    public init(p: Float) { self.p = p }

    /// Whether the stage does anything (the reference samples the whole distribution for
    /// `p <= 0` or `p >= 1`).
    public var isActive: Bool { p > 0 && p < 1 }

    /// Draws with `coin` in [0, 1) from probabilities; returns the token id.
    public func draw(from candidates: SamplingCandidates, coin: Float) -> Int {
        var nucleus = candidates
        let cutoff = (1 - p) / Float(max(candidates.count - 1, 1))
        nucleus.filter { $0 >= cutoff }
        if nucleus.count == 0 { nucleus = candidates }  // only possible with a degenerate distribution
        nucleus.sortDescending()
        var cumulative: Float = 0
        var last = nucleus.count - 1
        for index in 0..<nucleus.count {
            cumulative += nucleus.values[index]
            if cumulative > p {
                last = index
                break
            }
        }
        let target = coin * cumulative
        var cdf: Float = 0
        for index in 0...last {
            cdf += nucleus.values[index]
            if target < cdf { return Int(nucleus.ids[index]) }
        }
        return Int(nucleus.ids[last])  // rounding: the target fell past the last cdf
    }
}

/// Draws from probabilities in candidate order (`sample_mult`).
public struct MultinomialDraw: Sendable, Equatable {
    public init() {}

    public func draw(from candidates: SamplingCandidates, coin: Float) -> Int {
        var cdf: Float = 0
        for (id, probability) in zip(candidates.ids, candidates.values) {
            cdf += probability
            if coin < cdf { return Int(id) }
        }
        return Int(candidates.ids.last ?? 0)  // rounding: the coin fell past the total
    }
}

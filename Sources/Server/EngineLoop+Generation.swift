import Engine
import Foundation
import Tokenizer

extension EngineLoop {
    /// Generates one request on the engine thread, streaming its text to the handler: stop strings
    /// are found across token boundaries, and a cancelled job stops before its next step.
    func run(_ job: GenerationJob) {
        guard !job.isCancelled else {
            job.emit(.failed("the request was cancelled"))
            return
        }
        let request = job.request
        let tokenizer = generator.tokenizer
        var sampler = Sampler(request.sampling)
        var decoder = UTF8StreamDecoder()
        var matcher = StopMatcher(stops: request.stops)
        let cached = generator.reusablePrefix(of: request.prompt)
        var metStop = false
        var firstToken: UInt64?
        var lastToken: UInt64 = 0

        func release(_ text: String) {
            let (ready, stopped) = matcher.feed(text)
            if !ready.isEmpty { job.emit(.text(ready)) }
            metStop = metStop || stopped
        }

        do {
            let (tokens, stats) = try generator.generateTokens(prompt: request.prompt, maxTokens: request.maxTokens ?? Int.max,
                                                               sampler: &sampler) { token in
                let now = DispatchTime.now().uptimeNanoseconds
                if firstToken == nil { firstToken = now } else { metrics.tokenLatency.record(Double(now - lastToken) / 1e9) }
                lastToken = now
                if job.isCancelled { return .stop }
                release(decoder.decode(tokenizer.bytes(of: token)))
                return metStop ? .stop : .proceed
            }
            if !metStop && !job.isCancelled {
                release(decoder.flush())
                if !metStop {
                    let rest = matcher.finish()
                    if !rest.isEmpty { job.emit(.text(rest)) }
                }
            }
            // The end-of-generation token, when it came first, is the first token too.
            if firstToken == nil && !tokens.isEmpty { firstToken = DispatchTime.now().uptimeNanoseconds }
            let ttft = firstToken.map { Double($0 - job.arrival) / 1e9 }
            if let ttft { metrics.timeToFirstToken.record(ttft) }
            let usage = Usage(promptTokens: request.prompt.count, completionTokens: tokens.count, cachedTokens: cached)
            metrics.count(usage)
            let reason: FinishReason? = job.isCancelled && !metStop ? nil
                : (metStop || stats.stoppedAtEndOfGeneration) ? .stop : .length
            lastFailure = nil
            job.emit(.finished(GenerationOutcome(finishReason: reason, usage: usage, timeToFirstToken: ttft,
                                                 tokensPerSecond: stats.generationTokensPerSecond ?? 0)))
        } catch {
            logger.error("generation failed: \(error)")
            lastFailure = "generation failed: \(error)"
            job.emit(.failed("\(error)"))
        }
    }
}

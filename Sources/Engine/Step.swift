import Transport

/// What the root needs back from a token's step.
public enum LogitsRequest: UInt8, Sendable {
    /// Nothing (a prompt token whose logits nobody samples).
    case none = 0
    /// Every logit, F32, gathered from the nodes that own vocabulary rows.
    case all = 1
    /// Each vocabulary node's largest logit and its id (8 bytes a node): all greedy sampling needs.
    case argmax = 2
}

/// One unit of work the root hands every node; each node runs it over its own share.
public enum Step: Equatable, Sendable {
    /// Token `token` at `position`.
    case token(Int, position: Int, logits: LogitsRequest)
    /// Prompt tokens at positions `first ..< first + tokens.count`, in one batch, no logits.
    case batch([Int], first: Int)
    /// No computation: every node reports its `NodeStatus` to the root (a server's cluster panel).
    case status

    /// Bytes on the wire:
    ///
    ///     token: u8 1, u32 token, u32 position, u8 logits request   (10 bytes)
    ///     batch: u8 2, u32 first position, u32 count, count x u32 token
    ///     status: u8 3
    public func encoded() -> [UInt8] {
        var w = WireWriter()
        switch self {
        case .token(let token, let position, let logits):
            w.u8(1)
            w.u32(UInt32(token))
            w.u32(UInt32(position))
            w.u8(logits.rawValue)
        case .batch(let tokens, let first):
            w.u8(2)
            w.u32(UInt32(first))
            w.u32(UInt32(tokens.count))
            for t in tokens { w.u32(UInt32(t)) }
        case .status:
            w.u8(3)
        }
        return w.bytes
    }

    /// Decodes a step, with every count checked against the bytes received.
    public init(decoding bytes: [UInt8]) throws {
        self = try bytes.withUnsafeBytes { raw in
            var r = WireReader(raw, message: "step")
            let step: Step
            switch try r.u8("kind") {
            case 1:
                let token = Int(try r.u32("token")), position = Int(try r.u32("position"))
                let code = try r.u8("logits request")
                guard let request = LogitsRequest(rawValue: code) else {
                    throw TransportError.malformed(message: "step", reason: "unknown logits request \(code)")
                }
                step = .token(token, position: position, logits: request)
            case 2:
                let first = Int(try r.u32("first position")), count = Int(try r.u32("token count"))
                guard count >= 1, count * 4 == r.remaining else {
                    throw TransportError.malformed(message: "step", reason: "\(count) tokens in \(r.remaining) bytes")
                }
                step = .batch(try (0..<count).map { _ in Int(try r.u32("token")) }, first: first)
            case 3:
                step = .status
            case let kind:
                throw TransportError.malformed(message: "step", reason: "unknown step kind \(kind)")
            }
            try r.finish()
            return step
        }
    }
}

extension Step {
    /// The KV-cache positions the step writes (nil for a status step).
    var positionsWritten: Range<Int>? {
        switch self {
        case .token(_, let position, _): return position..<(position + 1)
        case .batch(let tokens, let first): return first..<(first + tokens.count)
        case .status: return nil
        }
    }

    /// Positions for a report.
    var positions: Range<Int> { positionsWritten ?? 0..<0 }

    /// The same step for a replay: the caches are rebuilt, no logits are needed.
    var replayed: Step {
        if case .token(let token, let position, _) = self { return .token(token, position: position, logits: .none) }
        return self
    }
}

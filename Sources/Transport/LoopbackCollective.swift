/// N nodes as N threads of one process: star collectives joined by in-memory pipes. The frames,
/// encodings and ordering are exactly those of TCP, so ordering and deadlock bugs show up here
/// first, without sockets.
///
///     let nodes = LoopbackCollective.make(nodes: 3, encoding: .f16)
///     // hand nodes[i] to the thread that runs node i
public enum LoopbackCollective {
    /// One collective per node; `timeout` bounds every wait inside a step.
    public static func make(nodes count: Int, encoding: ActivationEncoding, timeout: Double? = 600,
                            maxPayload: Int = 256 << 20) -> [StarCollective] {
        precondition(count >= 1)
        var rootLinks: [FrameLink?] = [nil]
        var workerLinks: [FrameLink] = []
        for i in 1..<max(count, 1) {
            let (rootEnd, workerEnd) = MemoryStream.pair("root", "worker \(i)")
            rootLinks.append(FrameLink(stream: rootEnd, maxPayload: maxPayload))
            workerLinks.append(FrameLink(stream: workerEnd, maxPayload: maxPayload))
        }
        let root = StarCollective(node: 0, nodeCount: count, links: rootLinks, encoding: encoding, timeout: timeout)
        return [root] + workerLinks.enumerated().map { i, link in
            StarCollective(node: i + 1, nodeCount: count, links: [link], encoding: encoding, timeout: timeout)
        }
    }
}

import Foundation
import Scheduler
import Transport

/// What a node computes per token, measured by `dllama bench` on this machine: compute time as a
/// line over the weight bytes a node holds (a fixed part, such as norms, attention and dispatch,
/// plus a part per byte of weights), and the cost of one collective on loopback with no link
/// shaping (system calls, waking the other side).
///
///     let profile = try ComputeProfile(report: report, threads: 1)
///     let prediction = LinkPrediction(plan: plan, link: LinkShape(parsing: "1gbit,0.3ms"), profile: profile)
public struct ComputeProfile: Codable, Sendable, Equatable {
    public var threads: Int
    public var fixedMilliseconds: Double
    public var millisecondsPerGigabyte: Double
    public var collectiveMilliseconds: Double
    /// The configurations the line was fitted on (nodes), and the one the collective cost came from.
    public var fittedOn: [Int]
    public var collectiveFrom: Int?

    /// From the results of `report` at `threads` threads per node in which every node had a core
    /// of its own (three nodes sharing two cores measure the scheduler, not the nodes).
    public init(report: BenchmarkReport, threads: Int) throws {
        let usable = report.results.filter { $0.threads == threads && $0.nodes * $0.threads <= report.machine.cores }
        guard !usable.isEmpty else {
            let measured = report.results.map { "\($0.nodes) node\($0.nodes == 1 ? "" : "s") x \($0.threads) thread\($0.threads == 1 ? "" : "s")" }
            throw PredictionError.noProfile("the profile has no run at \(threads) thread\(threads == 1 ? "" : "s") per node with a core for every thread "
                + "(it has \(measured.joined(separator: ", ")) on \(report.machine.cores) cores): measure one with "
                + "`dllama bench --model M --nodes 1,2 --threads \(threads) --json > profile.json`")
        }
        self.threads = threads
        // Least squares over (root's weight bytes, root's compute ms); one point is a line through 0.
        let points = usable.map { (Double($0.nodeWeightBytes[0]) / 1e9, $0.computeMillisecondsPerToken.median) }
        let meanX = points.map(\.0).reduce(0, +) / Double(points.count)
        let meanY = points.map(\.1).reduce(0, +) / Double(points.count)
        let sxx = points.reduce(0) { $0 + ($1.0 - meanX) * ($1.0 - meanX) }
        let sxy = points.reduce(0) { $0 + ($1.0 - meanX) * ($1.1 - meanY) }
        var slope = sxx > 0 ? sxy / sxx : meanY / meanX
        var intercept = meanY - slope * meanX
        if intercept < 0 || slope <= 0 {  // noise made the line nonsense: proportional to the bytes
            slope = meanY / meanX
            intercept = 0
        }
        fixedMilliseconds = intercept
        millisecondsPerGigabyte = slope
        fittedOn = usable.map(\.nodes)
        // The cost of a collective hardly depends on the threads: take it from another thread count when need be.
        let fitting = report.results.filter { $0.nodes > 1 && $0.collectivesPerToken > 0 && $0.nodes * $0.threads <= report.machine.cores }
        let clustered = fitting.filter { $0.threads == threads }.min { $0.nodes < $1.nodes } ?? fitting.min { $0.nodes < $1.nodes }
        collectiveFrom = clustered?.nodes
        collectiveMilliseconds = clustered.map { $0.syncMillisecondsPerToken.median / Double($0.collectivesPerToken) } ?? 0
    }

}

/// Tokens per second of a plan over a link, as the star transport moves the bytes (every worker
/// talks to the root only, which relays): per token a step message from the root to every worker;
/// per layer two all-reduces inside each group of nodes computing it; between pipeline stages one
/// vector, relayed by the root; the greedy candidates gathered at the root. Stages run one after
/// the other for a token; inside a stage the slowest node sets the pace. Compute and transfers do
/// not overlap: each waits for the other.
///
/// An all-reduce of the root and one worker is a swap (one transmission, one latency). Otherwise
/// the workers send their partials to the root in parallel (one transmission and one latency),
/// and the root sends the sum to each of them in turn through its one network card (one
/// transmission each, one more latency). Frames carry 8 bytes of header; TCP/IP headers are left out.
public struct LinkPrediction: Codable, Sendable, Equatable {
    public var link: LinkShape
    public var nodes: Int
    public var computeMilliseconds: Double
    /// The collectives' own cost as measured on loopback (system calls, wake-ups).
    public var collectiveMilliseconds: Double
    /// Latency and transmission on the link.
    public var linkMilliseconds: Double
    /// The sum of the three, and what it makes in generated tokens per second.
    public var millisecondsPerToken = 0.0
    public var tokensPerSecond = 0.0

    public init(plan: Plan, link: LinkShape, profile: ComputeProfile) {
        self.link = link
        let n = plan.nodes.count
        nodes = n
        let groups = plan.stageGroups()
        let layers = Double(plan.model.layerCount)
        computeMilliseconds = groups.reduce(0) { total, group in
            let share = Double(plan.nodes[group.lowerBound].layers.count) / layers
            let heaviest = group.map { plan.estimates[$0].weightBytes }.max() ?? 0
            return total + profile.fixedMilliseconds * share + profile.millisecondsPerGigabyte * Double(heaviest) / 1e9
        }
        collectiveMilliseconds = profile.collectiveMilliseconds * Double(plan.collectivesPerToken)
        defer {
            millisecondsPerToken = computeMilliseconds + collectiveMilliseconds + linkMilliseconds
            tokensPerSecond = 1000 / millisecondsPerToken
        }
        guard n > 1 else {
            linkMilliseconds = 0
            return
        }
        let header = 8
        let vector = plan.activationType.bytes(dim: plan.model.dim) + header
        let step = 10 + header, candidate = 8 + header
        let d = link.latencySeconds, t = link.transmissionSeconds
        var seconds = Double(n - 1) * t(step) + d  // the step message reaches the last worker
        for group in groups where group.count > 1 {
            let members = group.count, workers = group.filter { $0 != 0 }.count
            let perAllReduce = group.contains(0) && members == 2 ? d + t(vector) : 2 * d + t(vector) + Double(workers) * t(vector)
            seconds += Double(2 * plan.nodes[group.lowerBound].layers.count) * perAllReduce
        }
        for (from, to) in zip(groups, groups.dropFirst()) {
            let relayed = to.filter { $0 != 0 }.count
            seconds += (from.lowerBound == 0 ? 0 : d + t(vector)) + d + Double(relayed) * t(vector)
        }
        seconds += d + t(candidate)  // the last worker's candidate reaches the root
        linkMilliseconds = seconds * 1000
    }
}

public enum PredictionError: Error, CustomStringConvertible, Equatable {
    case noProfile(String)

    public var description: String {
        switch self {
        case .noProfile(let text): return text
        }
    }
}

import Foundation
import Transport

/// What a root does when a worker fails during a step (`--on-worker-failure`).
public enum WorkerFailurePolicy: String, Sendable, CaseIterable {
    /// Stop, naming the worker (exit status 1 from the command line).
    case fail
    /// Wait for the worker to come back, or take a spare (`--spare-workers`), let it load its share
    /// from its own disk, rebuild its KV cache by replaying the steps, and go on: the same tokens as
    /// a run without the failure, later.
    case wait
}

/// Brings a failed worker back for `Transformer`: a new connection to the same address once the
/// worker is running again, or to a spare standing by, opened and set up exactly as at start
/// (secret, fingerprint, the same plan and node index). No weights travel: the worker reads its
/// share from its own file. `Transformer` then replays its steps to rebuild the KV caches.
final class WorkerRecovery: @unchecked Sendable {
    private let session: Cluster.Session
    /// Each worker's address, by node index - 1 (a spare that took a place takes its address too).
    private var addresses: [NodeAddress]
    private var spares: [NodeAddress]
    private let log: @Sendable (String) -> Void
    /// Seconds between attempts to reach a failed worker.
    static let retryInterval = 0.5

    init(session: Cluster.Session, addresses: [NodeAddress], spares: [NodeAddress], log: @escaping @Sendable (String) -> Void) {
        self.session = session
        self.addresses = addresses
        self.spares = spares
        self.log = log
    }

    /// A set-up link to a replacement for node `node` (its own address again, or a spare), within
    /// the recovery timeout; throws `ClusterError.worker` naming the node when none answers.
    func reconnect(node: Int, after failure: Error) throws -> FrameLink {
        let options = session.options
        let original = addresses[node - 1]
        log("worker \(node) (\(original)) failed: \(failure). Waiting up to \(Int(options.recoveryTimeout)) s for it to come back"
            + (spares.isEmpty ? "" : " or for a spare (\(spares.map(\.description).joined(separator: ", ")))"))
        let deadline = Date().addingTimeInterval(options.recoveryTimeout)
        var lastError: Error = failure
        while Date() < deadline {
            for candidate in spares + [original] {
                do {
                    let (link, _) = try Cluster.open(candidate, index: node, fingerprint: session.fingerprint, options: options)
                    do {
                        try session.sendSetup(link, index: node, address: candidate)
                        log(try session.awaitReady(link, index: node, address: candidate)
                            + (candidate == original ? "" : " (spare \(candidate) in place of \(original))"))
                    } catch {
                        link.close()
                        throw error
                    }
                    if let spare = spares.firstIndex(of: candidate) {
                        spares.remove(at: spare)
                        addresses[node - 1] = candidate
                    }
                    return link
                } catch let error as ClusterError {
                    // A worker with another model will not change by waiting: say so at once.
                    if case .modelMismatch = error { throw error }
                    lastError = error
                }
            }
            Thread.sleep(forTimeInterval: Self.retryInterval)
        }
        throw ClusterError.worker(index: node, address: original.description,
                                  stage: "recovering (no answer within \(Int(options.recoveryTimeout)) s)", underlying: lastError)
    }
}

extension WorkerRecovery {
    /// Says how a recovery went, through the same log as the rest.
    func report(_ line: String) { log(line) }
}

import ArgumentParser
import Engine
import Foundation
import ModelFormat
import Tokenizer
import Transport

/// `--transport`: how the nodes of a cluster reach each other.
enum TransportKind: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// The root connects to `dllama-worker` processes (`--workers`).
    case tcp
    /// Every rank of an MPI job runs the same `dllama` command; rank 0 is the root.
    case mpi
}

/// What the environment says about a launcher that started this process as one of several ranks.
enum Launcher {
    /// The job's size: Open MPI's mpirun sets `OMPI_COMM_WORLD_SIZE`, MPICH and Intel MPI
    /// `PMI_SIZE`, Slurm's srun `SLURM_STEP_NUM_TASKS`.
    static func worldSize(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"].lazy.compactMap { environment[$0].flatMap { Int($0) } }.first
    }
}

extension RunOptions {
    /// `--transport`, else mpi when a launcher started this process as one of several ranks (and
    /// no `--workers` were given).
    var resolvedTransport: TransportKind {
        transport ?? (workers.isEmpty && (Launcher.worldSize() ?? 1) > 1 ? .mpi : .tcp)
    }

    /// This process as one rank of an MPI job: all ranks agree on the model and plan and load their
    /// shares (`LaunchedCluster`); rank 0 returns the engine, every other rank serves its share until
    /// rank 0 ends the session and then exits. A failure every rank knows of (a missing file,
    /// another model, an impossible plan, a share that cannot load) stops each with the same message;
    /// any other ends the whole job, so no rank is left waiting.
    func loadMPIRank() throws -> (Transformer, Tokenizer) {
        #if MPI
        let options = clusterOptions
        // While the ranks open, check and load their shares, each waits for the others as a TCP root waits for a load.
        let collective = try MPICollective.launch(encoding: ActivationEncoding(rawValue: bufferFloatType.rawValue) ?? .f16,
                                                  timeout: options.loadTimeout, wait: try PollWait.fromEnvironment())
        if collective.node == 0 {
            log("MPI job of \(collective.nodeCount) rank\(collective.nodeCount == 1 ? "" : "s") (\(MPICollective.libraryVersion), "
                + "waiting by \(collective.wait.mode.rawValue)), \(mode.rawValue) mode, activations as \(bufferFloatType.rawValue)")
        }
        var opened: (file: ModelFile, tokenizer: Tokenizer)?
        let membership: LaunchedCluster.Membership
        do {
            membership = try LaunchedCluster.join(modelPath: model, collective: collective, options: options, check: { file in
                // Only the root samples, so only the root needs the tokenizer.
                if collective.node == 0 { opened = (file, try openTokenizer(for: file)) }
            }, log: log)
        } catch let failure as LaunchError {
            // Every rank knows this failure: each says it, then all wait for one another before
            // exiting, since mpirun stops the others as soon as one rank exits non-zero.
            log("Error: \(failure)")
            collective.timeout = 10
            var marker = [Float](repeating: 0, count: 32)
            try? marker.withUnsafeMutableBufferPointer { try collective.allReduce($0, among: 0..<collective.nodeCount) }
            throw ExitCode.failure
        } catch {
            MPICollective.abortJob("rank \(collective.node) while starting: \(error)")
        }
        collective.timeout = options.timeout
        switch membership {
        case .root(let engine):
            guard let opened else { preconditionFailure("the root checked its tokenizer") }
            logLoaded(opened.file, engine)
            return (engine, opened.tokenizer)
        case .member(let member):
            do {
                try LaunchedCluster.serve(member, collective: collective)
            } catch {
                MPICollective.abortJob("rank \(collective.node): \(error)")
            }
            throw ExitCode.success
        }
        #else
        let ranks = Launcher.worldSize().map { " (this process is one of \($0) ranks)" } ?? ""
        throw ValidationError("this dllama was built without MPI\(ranks): build it with `make build-mpi` (swift build --traits MPI, "
                              + "on a machine with libopenmpi-dev), or run the cluster over TCP with --workers.")
        #endif
    }
}

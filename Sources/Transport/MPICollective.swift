#if MPI
import CMPI
import Foundation
import QuantKernels

/// The collective of an MPI job (`mpirun -np N dllama ...`, `srun dllama ...`): rank i is node i,
/// rank 0 the root. Built only with the package trait `MPI` (`make build-mpi`).
///
/// It computes the bits `StarCollective` computes, whatever algorithm the MPI library picks: MPI
/// only moves encoded vectors (the `--buffer-float-type` encodings, without LZ4) and never sums
/// floats itself; every member adds them up in node order (`NodeOrderSum`).
/// - all-reduce, group of two: the members swap encodings; both compute decode(a) + decode(b).
/// - all-reduce, larger group: an all-gather of the encodings; every member sums the decoded
///   vectors in node order, encodes the sum and decodes it, as the star's root does before it
///   sends the sum out.
/// - hand-off: the stage's first node sends its encoding to each node of the next stage.
/// - gather: each sender to the root, received in sender order.
/// - steps: a broadcast from rank 0.
///
/// Every operation is non-blocking (`MPI_I*`) and completed through `PollWait`, which sleeps
/// between polls instead of letting the library spin. MPI cannot take back a collective in
/// progress, so `abort` ends the whole job (`MPI_Abort`) after printing why.
///
///     let collective = try MPICollective.launch(encoding: .f16, timeout: 60)
///     if collective.node == 0 { ... Transformer(root: runner, collective: collective) ... }
public final class MPICollective: SessionCollective, @unchecked Sendable {  // unchecked: used by its rank's thread only (MPI_THREAD_SERIALIZED)
    public let node: Int
    public let nodeCount: Int
    public let encoding: ActivationEncoding
    /// Longest wait for another rank inside a step, in seconds (nil: forever). Start-up, when
    /// ranks load their shares, sets a longer one.
    public var timeout: Double?
    public let wait: PollWait
    public private(set) var traffic = LinkTraffic()
    public private(set) var syncNanoseconds: UInt64 = 0

    private let comm: MPI_Comm
    private let kernels: KernelTable
    /// Communicators of the all-reduce groups larger than two (made on first use, by their members).
    private var groupComms: [Range<Int>: MPI_Comm] = [:]
    private let encoded = Bytes()   // this node's vector, encoded
    private let received = Bytes()  // what the others sent: one encoding, or a whole group's
    private let sumBytes = Bytes()  // a large group's sum, encoded
    private let decoded = Scratch()
    private let sum = Scratch()
    private let stepBuffer = Bytes()

    private enum Tag: Int32 {
        case pair = 1, handOff, gather, report, group
    }

    /// A step up to this many bytes travels in one broadcast (a token's step is 10 bytes); a
    /// longer one (a prefill batch) in a second.
    static let inlineStepBytes = 60
    /// The step length that means the root ended the session.
    static let goodbye = UInt32.max

    /// Starts MPI in this process (once; `MPI_Finalize` runs at exit) and joins the job that
    /// `mpirun` or `srun` started.
    public static func launch(encoding: ActivationEncoding, timeout: Double?, wait: PollWait = PollWait(),
                              kernels: KernelTable = .current) throws -> MPICollective {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            var provided: Int32 = 0
            // Serialized: one thread at a time calls MPI (the node's), not always the same one.
            try check(MPI_Init_thread(nil, nil, Int32(MPI_THREAD_SERIALIZED), &provided), "MPI_Init_thread")
            atexit {
                var finalized: Int32 = 0
                MPI_Finalized(&finalized)
                if finalized == 0 { MPI_Finalize() }
            }
        }
        // A communicator of our own, returning errors instead of ending the process on them.
        var comm: MPI_Comm? = nil
        try check(MPI_Comm_dup(cmpi_comm_world(), &comm), "MPI_Comm_dup")
        guard let comm else { throw TransportError.mpi(call: "MPI_Comm_dup", reason: "no communicator") }
        try check(MPI_Comm_set_errhandler(comm, cmpi_errors_return()), "MPI_Comm_set_errhandler")
        var rank: Int32 = 0, size: Int32 = 0
        try check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank")
        try check(MPI_Comm_size(comm, &size), "MPI_Comm_size")
        return MPICollective(node: Int(rank), nodeCount: Int(size), comm: comm, encoding: encoding, timeout: timeout, wait: wait,
                             kernels: kernels)
    }

    private init(node: Int, nodeCount: Int, comm: MPI_Comm, encoding: ActivationEncoding, timeout: Double?, wait: PollWait,
                 kernels: KernelTable) {
        self.node = node
        self.nodeCount = nodeCount
        self.comm = comm
        self.encoding = encoding
        self.timeout = timeout
        self.wait = wait
        self.kernels = kernels
    }

    /// The MPI library and version, for logs (`Open MPI v4.1.4`).
    public static var libraryVersion: String {
        var length: Int32 = 0
        var text = [CChar](repeating: 0, count: Int(MPI_MAX_LIBRARY_VERSION_STRING) + 1)
        MPI_Get_library_version(&text, &length)
        let line = String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return line.split(separator: ",").first.map(String.init) ?? line
    }

    // MARK: steps

    public func broadcastStep(_ step: [UInt8]) throws {
        precondition(node == 0, "only the root broadcasts steps")
        try timed { try broadcast(length: UInt32(step.count), step) }
    }

    public func receiveStep() throws -> [UInt8]? {
        precondition(node != 0, "the root makes the steps")
        // Not counted as synchronisation: between steps a rank idles (as a TCP worker does).
        do {
            stepBuffer.ensure(4 + Self.inlineStepBytes)
            let header = stepBuffer.raw(4 + Self.inlineStepBytes)
            // Between steps a rank waits as long as the root takes (a chat user typing).
            try complete([try ibcast(header)], timeout: nil, peer: "rank 0", waitingFor: "the next step")
            traffic.receivedBytes += header.count
            traffic.receivedFrames += 1
            let length = header.load(as: UInt32.self)
            if length == Self.goodbye { return nil }
            var step = Array(header[4..<(4 + min(Int(length), Self.inlineStepBytes))])
            if Int(length) > Self.inlineStepBytes {
                var rest = [UInt8](repeating: 0, count: Int(length) - Self.inlineStepBytes)
                try rest.withUnsafeMutableBytes { rest in
                    try complete([try ibcast(rest)], timeout: timeout, peer: "rank 0", waitingFor: "the rest of a step")
                }
                traffic.receivedBytes += rest.count
                traffic.receivedFrames += 1
                step += rest
            }
            return step
        }
    }

    /// Root: a step (`length` bytes) or the goodbye, in one broadcast, or two for a long step.
    private func broadcast(length: UInt32, _ step: [UInt8]) throws {
        stepBuffer.ensure(4 + Self.inlineStepBytes)
        let header = stepBuffer.raw(4 + Self.inlineStepBytes)
        header.storeBytes(of: length, as: UInt32.self)
        let inline = min(step.count, Self.inlineStepBytes)
        step.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: header[4..<(4 + inline)]).copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<inline])) }
        try complete([try ibcast(header)], timeout: timeout, peer: "every rank", waitingFor: "the step to reach every rank")
        traffic.sentBytes += header.count * (nodeCount - 1)
        traffic.sentFrames += nodeCount - 1
        if step.count > Self.inlineStepBytes {
            var rest = Array(step[Self.inlineStepBytes...])
            try rest.withUnsafeMutableBytes { rest in
                try complete([try ibcast(rest)], timeout: timeout, peer: "every rank", waitingFor: "the step to reach every rank")
            }
            traffic.sentBytes += rest.count * (nodeCount - 1)
            traffic.sentFrames += nodeCount - 1
        }
    }

    private func ibcast(_ bytes: UnsafeMutableRawBufferPointer) throws -> MPI_Request? {
        var request: MPI_Request? = nil
        try Self.check(MPI_Ibcast(bytes.baseAddress, Int32(bytes.count), cmpi_byte(), 0, comm, &request), "MPI_Ibcast")
        return request
    }

    // MARK: all-reduce

    public func allReduce(_ values: UnsafeMutableBufferPointer<Float>?, among group: Range<Int>) throws {
        guard group.count > 1, let values, group.contains(node) else { return }
        try timed {
            let mine = encode(values, into: encoded)
            if group.count == 2 {
                try pairReduce(mine, values, group)
            } else {
                try groupReduce(mine, values, group)
            }
        }
    }

    /// The two members swap encodings and each sums both in node order.
    private func pairReduce(_ mine: UnsafeRawBufferPointer, _ values: UnsafeMutableBufferPointer<Float>, _ group: Range<Int>) throws {
        let other = node == group.lowerBound ? group.upperBound - 1 : group.lowerBound
        received.ensure(mine.count)
        let theirs = received.raw(mine.count)
        let requests = [try isend(mine, to: other, tag: .pair), try irecv(theirs, from: other, tag: .pair)]
        try complete(requests, timeout: timeout, peer: "rank \(other)", waitingFor: "rank \(other)'s partial sums")
        count(sent: mine.count, received: mine.count)
        let parts = [mine, UnsafeRawBufferPointer(theirs)]
        try NodeOrderSum.pair(node < other ? parts : parts.reversed(), into: values, encoding: encoding, scratch: decoded,
                              peer: "rank \(other)", kernels: kernels)
    }

    /// Every member gets every encoding (an all-gather), sums them in node order, and rounds the
    /// sum through the encoding once, as the star's root does.
    private func groupReduce(_ mine: UnsafeRawBufferPointer, _ values: UnsafeMutableBufferPointer<Float>, _ group: Range<Int>) throws {
        let size = mine.count
        received.ensure(size * group.count)
        let all = received.raw(size * group.count)
        var request: MPI_Request? = nil
        try Self.check(MPI_Iallgather(mine.baseAddress, Int32(size), cmpi_byte(), all.baseAddress, Int32(size), cmpi_byte(),
                                      try communicator(for: group), &request), "MPI_Iallgather among ranks \(describe(group))")
        try complete([request], timeout: timeout, peer: "one of ranks \(describe(group))", waitingFor: "the partial sums of ranks \(describe(group))")
        count(sent: size * (group.count - 1), received: size * (group.count - 1), messages: group.count - 1)
        sum.ensure(values.count)
        for (offset, member) in group.enumerated() {
            let part = UnsafeRawBufferPointer(rebasing: all[(offset * size)..<((offset + 1) * size)])
            try NodeOrderSum.accumulate(part, into: sum.floats(values.count), first: offset == 0, encoding: encoding, scratch: decoded,
                                        peer: "rank \(member)", kernels: kernels)
        }
        let total = encode(sum.floats(values.count), into: sumBytes)
        try encoding.decode(total, into: values, peer: "this rank", kernels: kernels)
    }

    /// The communicator of `group`'s ranks, made by its members the first time they reduce together
    /// (every member reaches that call in the same order, as with every operation).
    private func communicator(for group: Range<Int>) throws -> MPI_Comm {
        if group.count == nodeCount { return comm }
        if let made = groupComms[group] { return made }
        var world: MPI_Group? = nil, members: MPI_Group? = nil
        try Self.check(MPI_Comm_group(comm, &world), "MPI_Comm_group")
        defer { MPI_Group_free(&world) }
        var ranks = group.map { Int32($0) }
        try Self.check(MPI_Group_incl(world, Int32(ranks.count), &ranks, &members), "MPI_Group_incl")
        defer { MPI_Group_free(&members) }
        var made: MPI_Comm? = nil
        try Self.check(MPI_Comm_create_group(comm, members, Tag.group.rawValue, &made), "MPI_Comm_create_group for ranks \(describe(group))")
        guard let made else { throw TransportError.mpi(call: "MPI_Comm_create_group", reason: "no communicator for ranks \(describe(group))") }
        groupComms[group] = made
        return made
    }

    private func encode(_ values: UnsafeMutableBufferPointer<Float>, into bytes: Bytes) -> UnsafeRawBufferPointer {
        encoding.encode(values, reusing: bytes, kernels: kernels)
    }

    // MARK: hand-off and gather

    public func handOff(_ values: UnsafeMutableBufferPointer<Float>?, from: Range<Int>, to: Range<Int>) throws {
        guard let values else { return }
        let sender = from.lowerBound
        try timed {
            if node == sender {
                let bytes = encode(values, into: encoded)
                let requests = try to.map { try isend(bytes, to: $0, tag: .handOff) }
                try complete(requests, timeout: timeout, peer: "ranks \(describe(to))", waitingFor: "the next stage to take its activations")
                count(sent: bytes.count * to.count, received: 0, messages: to.count)
            } else if to.contains(node) {
                let size = encoding.byteCount(values.count)
                received.ensure(size)
                let bytes = received.raw(size)
                try complete([try irecv(bytes, from: sender, tag: .handOff)], timeout: timeout, peer: "rank \(sender)",
                             waitingFor: "activations from the previous stage")
                count(sent: 0, received: size)
                try encoding.decode(UnsafeRawBufferPointer(bytes), into: values, peer: "rank \(sender)", kernels: kernels)
            }
        }
    }

    public func gather(_ piece: UnsafeRawBufferPointer?, from senders: Range<Int>,
                       into receive: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        try timed {
            if node == 0 {
                try rootGather(piece, from: senders, into: receive) { try receiveAny(from: $0, tag: .gather, timeout: timeout, waitingFor: "rank \($0)'s logits") }
            } else if let piece, senders.contains(node) {
                try complete([try isend(piece, to: 0, tag: .gather)], timeout: timeout, peer: "rank 0", waitingFor: "the root to take this rank's logits")
                count(sent: piece.count, received: 0)
            }
        }
    }

    /// The next message from `source` with `tag`, whatever its length (valid until the next call).
    private func receiveAny(from source: Int, tag: Tag, timeout: Double?, waitingFor what: String) throws -> UnsafeRawBufferPointer {
        var message: MPI_Message? = cmpi_message_null()
        var status = MPI_Status()
        var found: Int32 = 0
        try wait.until(timeout: timeout, peer: "rank \(source)", waitingFor: what) {
            try Self.check(MPI_Improbe(Int32(source), tag.rawValue, comm, &found, &message, &status), "MPI_Improbe for rank \(source)")
            return found != 0
        }
        var length: Int32 = 0
        try Self.check(MPI_Get_count(&status, cmpi_byte(), &length), "MPI_Get_count")
        received.ensure(Int(length))
        let bytes = received.raw(Int(length))
        var request: MPI_Request? = nil
        try Self.check(MPI_Imrecv(bytes.baseAddress, length, cmpi_byte(), &message, &request), "MPI_Imrecv from rank \(source)")
        try complete([request], timeout: timeout, peer: "rank \(source)", waitingFor: what)
        count(sent: 0, received: Int(length))
        return UnsafeRawBufferPointer(bytes)
    }

    // MARK: the end of a session, and failures

    public func finish(timeout: Double) -> [Int: [UInt8]] {
        precondition(node == 0, "only the root ends a session")
        var reports: [Int: [UInt8]] = [:]
        do {
            try broadcast(length: Self.goodbye, [])
            for rank in 1..<nodeCount {
                reports[rank] = Array(try receiveAny(from: rank, tag: .report, timeout: timeout, waitingFor: "its closing report"))
            }
        } catch {
            FileHandle.standardError.write(Data("rank 0: ending the session: \(error)\n".utf8))
        }
        return reports
    }

    public func report(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { bytes in
            try complete([try isend(bytes, to: 0, tag: .report)], timeout: timeout, peer: "rank 0", waitingFor: "the root to take the closing report")
        }
    }

    /// MPI cannot abandon one step and go on, as TCP does: the other ranks may be inside a
    /// collective that can no longer complete. So this prints `reason` and ends every rank.
    public func abort(_ reason: String) {
        Self.abortJob("rank \(node): \(reason)")
    }

    /// Prints `message` and ends every rank of the job (`MPI_Abort`), for a failure the other ranks
    /// cannot learn of in any other way.
    public static func abortJob(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\nending every rank of the MPI job\n".utf8))
        MPI_Abort(cmpi_comm_world(), 1)
        exit(1)
    }

    // MARK: requests and waiting

    private func isend(_ bytes: UnsafeRawBufferPointer, to rank: Int, tag: Tag) throws -> MPI_Request? {
        var request: MPI_Request? = nil
        try Self.check(MPI_Isend(bytes.baseAddress, Int32(bytes.count), cmpi_byte(), Int32(rank), tag.rawValue, comm, &request),
                       "MPI_Isend to rank \(rank)")
        return request
    }

    private func irecv(_ bytes: UnsafeMutableRawBufferPointer, from rank: Int, tag: Tag) throws -> MPI_Request? {
        var request: MPI_Request? = nil
        try Self.check(MPI_Irecv(bytes.baseAddress, Int32(bytes.count), cmpi_byte(), Int32(rank), tag.rawValue, comm, &request),
                       "MPI_Irecv from rank \(rank)")
        return request
    }

    /// Polls `requests` until all complete (`PollWait`), or throws after `timeout` seconds.
    private func complete(_ requests: [MPI_Request?], timeout: Double?, peer: @autoclosure () -> String,
                          waitingFor what: @autoclosure () -> String) throws {
        var pending = requests
        var done: Int32 = 0
        try wait.until(timeout: timeout, peer: peer(), waitingFor: what()) {
            try Self.check(MPI_Testall(Int32(pending.count), &pending, &done, cmpi_statuses_ignore()), "MPI_Testall (\(what()))")
            return done != 0
        }
    }

    private func count(sent: Int, received: Int, messages: Int = 1) {
        traffic.sentBytes += sent
        traffic.receivedBytes += received
        if sent > 0 { traffic.sentFrames += messages }
        if received > 0 { traffic.receivedFrames += messages }
    }

    private func timed<T>(_ body: () throws -> T) throws -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { syncNanoseconds += DispatchTime.now().uptimeNanoseconds - start }
        return try body()
    }

    private func describe(_ ranks: Range<Int>) -> String {
        ranks.count == 1 ? "\(ranks.lowerBound)" : "\(ranks.lowerBound)-\(ranks.upperBound - 1)"
    }

    private static func check(_ code: Int32, _ call: @autoclosure () -> String) throws {
        guard code != MPI_SUCCESS else { return }
        var length: Int32 = 0
        var text = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
        MPI_Error_string(code, &text, &length)
        throw TransportError.mpi(call: call(), reason: String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
#endif

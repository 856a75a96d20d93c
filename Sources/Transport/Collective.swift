/// The exchanges a cluster of nodes makes per step, whatever carries them: threads of one process
/// (`LoopbackCollective`), TCP (`StarCollective` over sockets), MPI (`MPICollective`, with the
/// package trait `MPI`), or another transport.
///
/// Node 0 is the root. Every node calls every collective operation of a step in the same order
/// (as with MPI); a node that takes no part in one passes `nil` and returns at once, unless it must
/// relay. Groups are ranges of consecutive nodes, as the planner makes them.
///
///     // every node, per layer block:
///     try collective.allReduce(isMember ? partial : nil, among: group)
public protocol Collective: AnyObject {
    /// This node's index; 0 is the root.
    var node: Int { get }
    var nodeCount: Int { get }
    /// How vectors are encoded on the wire.
    var encoding: ActivationEncoding { get }

    /// Root: sends the step (opaque bytes) to every other node.
    func broadcastStep(_ step: [UInt8]) throws
    /// Other nodes: waits for the next step; nil when the root ended the session.
    func receiveStep() throws -> [UInt8]?

    /// Sums `values` over the nodes of `group` in node order, each node's vector taken through
    /// the wire encoding; afterwards every member holds the same sum, bit for bit. Nodes outside
    /// `group` pass nil.
    func allReduce(_ values: UnsafeMutableBufferPointer<Float>?, among group: Range<Int>) throws

    /// The first node of `from` sends `values` (through the wire encoding) to every node of `to`,
    /// which receive into theirs. Other nodes pass nil. The groups do not overlap.
    func handOff(_ values: UnsafeMutableBufferPointer<Float>?, from: Range<Int>, to: Range<Int>) throws

    /// Every node of `senders` contributes `piece` (raw bytes); the root gets each piece in node
    /// order through `receive`. Other nodes pass nil.
    func gather(_ piece: UnsafeRawBufferPointer?, from senders: Range<Int>,
                into receive: (Int, UnsafeRawBufferPointer) throws -> Void) throws

    /// Abandons the step in progress after a failure. The root tells every node and waits until
    /// each has acknowledged (so the next step starts clean); another node tells the root.
    func abort(_ reason: String)

    /// Bytes and frames moved so far, over all of this node's links.
    var traffic: LinkTraffic { get }
    /// Time spent inside collective operations (waiting included), in nanoseconds.
    var syncNanoseconds: UInt64 { get }
}

extension Collective {
    /// The root's side of `gather`: its own piece where it is a sender, every other sender's piece
    /// from `fetch`, handed to `receive` in node order.
    func rootGather(_ piece: UnsafeRawBufferPointer?, from senders: Range<Int>, into receive: (Int, UnsafeRawBufferPointer) throws -> Void,
                    fetch: (Int) throws -> UnsafeRawBufferPointer) throws {
        for sender in senders {
            if sender == 0 {
                if let piece { try receive(0, piece) }
            } else {
                try receive(sender, try fetch(sender))
            }
        }
    }
}

/// A collective for one node alone: every operation is local.
public final class SoloCollective: Collective {
    public let node = 0
    public let nodeCount = 1
    public let encoding: ActivationEncoding
    public let traffic = LinkTraffic()
    public let syncNanoseconds: UInt64 = 0

    public init(encoding: ActivationEncoding = .f32) { self.encoding = encoding }

    public func broadcastStep(_ step: [UInt8]) {}
    public func receiveStep() -> [UInt8]? { nil }
    public func allReduce(_ values: UnsafeMutableBufferPointer<Float>?, among group: Range<Int>) {}
    public func handOff(_ values: UnsafeMutableBufferPointer<Float>?, from: Range<Int>, to: Range<Int>) {}
    public func gather(_ piece: UnsafeRawBufferPointer?, from senders: Range<Int>,
                       into receive: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        if let piece, senders.contains(0) { try receive(0, piece) }
    }
    public func abort(_ reason: String) {}
}

/// A collective whose session the root ends explicitly, hearing from each other node as it leaves
/// (its closing report: steps, traffic, memory). TCP (`StarCollective`) and MPI (`MPICollective`).
public protocol SessionCollective: Collective {
    /// Root: tells every other node the session is over; returns their reports by node.
    func finish(timeout: Double) -> [Int: [UInt8]]
    /// Another node, after the root's goodbye (`receiveStep` returned nil): its closing report.
    func report(_ bytes: [UInt8]) throws
}

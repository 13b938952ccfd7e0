/// The highest (boot id, sequence) accepted from each peer, which later datagrams must beat.
///
/// Per peer node: a boot id lower than the highest seen is a replay from before the peer's
/// restart (`staleBoot`); a higher one is a restart, and its first sequence is accepted; within
/// one boot the sequence must rise (`replayed` otherwise). Datagrams that UDP reorders are
/// therefore dropped too, which is harmless for heartbeats and retried requests.
///
/// It remembers only the peers `PeerMessageValidator` lets through (its configured peers),
/// so it stays bounded. It lives in memory: after this node restarts, a datagram captured
/// from the peer's current boot could be accepted once, but only within the allowed clock
/// skew, and only if it beats everything heard since.
public struct ReplayWindow: Sendable, Equatable {
    /// The newest boot and its highest sequence accepted from one peer.
    public struct Mark: Sendable, Equatable {
        public var bootID: UInt64
        public var sequence: UInt64
    }

    private var marks: [String: Mark] = [:]

    public init() {}

    /// The newest accepted boot and sequence of `node`, if any datagram was accepted from it.
    public func mark(for node: String) -> Mark? {
        marks[node]
    }

    /// Accepts and records (`bootID`, `sequence`) from `node`, or throws why it is a replay.
    public mutating func admit(node: String, bootID: UInt64, sequence: UInt64) throws(PeerRejection) {
        if let mark = marks[node] {
            if bootID < mark.bootID {
                throw PeerRejection(.staleBoot, "boot \(bootID) of node \(node) is older than its boot \(mark.bootID)")
            }
            if bootID == mark.bootID, sequence <= mark.sequence {
                throw PeerRejection(.replayed, "sequence \(sequence) is not above \(mark.sequence) for node \(node), boot \(bootID)")
            }
        }
        marks[node] = Mark(bootID: bootID, sequence: sequence)
    }
}

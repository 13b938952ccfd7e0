/// Why a received datagram was dropped; each reason is counted (`PeerRejectionCounters`).
///
/// The reasons are listed in the order the checks run: the cheap framing checks, then the
/// MAC, and only then the parsing of the (authenticated) body and the replay rules.
public enum PeerRejectionReason: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Longer than 1,500 bytes; not read at all.
    case oversized
    /// Shorter than its header, or than the body length its header declares plus the tag.
    case truncated
    /// Longer than the body length its header declares plus the tag.
    case trailingBytes = "trailing-bytes"
    /// Does not start with "VAC": not a Le Vacataire datagram.
    case badMagic = "bad-magic"
    /// A protocol version this build does not speak.
    case unsupportedVersion = "unsupported-version"
    /// Signed with a key id this node has no key for (rotation not finished on this node?).
    case unknownKey = "unknown-key"
    /// The HMAC does not match: a different key with the same id, or a modified datagram.
    case badMAC = "bad-mac"
    /// Authenticated, but the JSON body is not a valid message (unknown or missing field,
    /// wrong type, a string out of bounds). A peer running an incompatible build.
    case malformedBody = "malformed-body"
    /// From another cluster sharing the key and the port.
    case wrongCluster = "wrong-cluster"
    /// Sent by this node's own name: a loop, or two nodes configured with the same name.
    case fromSelf = "from-self"
    /// From a node name that is not this node's configured peer.
    case unknownPeer = "unknown-peer"
    /// Its send time is further from this node's clock than the allowed skew.
    case clockSkew = "clock-skew"
    /// From an older boot of the peer than one already heard: a replay from before a restart.
    case staleBoot = "stale-boot"
    /// A sequence number not above the highest already accepted from that boot: a replay
    /// or a duplicate (or a datagram overtaken by a later one).
    case replayed

    public var description: String { rawValue }
}

/// A dropped datagram: the counted reason and a one-line detail for the log.
///
/// The detail holds numbers and validated names only, never key material and never bytes
/// of an unauthenticated datagram beyond its size and header fields.
public struct PeerRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The counted reason.
    public var reason: PeerRejectionReason
    /// What exactly, such as "sequence 41 is not above 57 for node beta, boot 3".
    public var detail: String
    /// What an operator must fix when the peer's datagrams are refused for it, in words
    /// for a page ("clocks differ by 90 s (alpha's is behind): check NTP on both nodes"),
    /// or nil for a rejection that needs no one (a replay, a stray datagram).
    public var hint: String?

    public init(_ reason: PeerRejectionReason, _ detail: String, hint: String? = nil) {
        self.reason = reason
        self.detail = detail
        self.hint = hint
    }

    public var description: String { "peer datagram rejected (\(reason)): \(detail)" }
}

/// How many datagrams were accepted and how many were rejected, by reason.
///
/// Owned by a `PeerMessageValidator`; read for `/metrics` and `vacataire status`.
public struct PeerRejectionCounters: Sendable, Equatable {
    /// Datagrams accepted and handed to the engine.
    public private(set) var accepted: UInt64 = 0
    /// Accepted datagrams by the key id that authenticated them: shows when a peer still
    /// signs with an old key during a rotation.
    public private(set) var acceptedByKey: [UInt16: UInt64] = [:]
    private var rejected: [PeerRejectionReason: UInt64] = [:]

    public init() {}

    /// Rejections for `reason` so far.
    public subscript(reason: PeerRejectionReason) -> UInt64 {
        rejected[reason, default: 0]
    }

    /// All rejections, summed over reasons.
    public var totalRejected: UInt64 {
        rejected.values.reduce(0, &+)
    }

    /// Every reason with its count, zeros included, in declaration order.
    public var byReason: [(reason: PeerRejectionReason, count: UInt64)] {
        PeerRejectionReason.allCases.map { ($0, self[$0]) }
    }

    mutating func countAccepted(keyID: UInt16) {
        accepted &+= 1
        acceptedByKey[keyID, default: 0] &+= 1
    }

    mutating func countRejected(_ reason: PeerRejectionReason) {
        rejected[reason, default: 0] &+= 1
    }
}

import Foundation
import VacataireCore

/// One message of the peer protocol, as sent by one node of a pair to the other.
///
/// A value: the header fields that identify and order it (cluster, sender, boot id,
/// sequence, send time), the epoch the failover engine judges it by, its kind, and a small
/// payload. `PeerSender` fills in the identity and sequence; `PeerMessageValidator` hands
/// back only messages that were authenticated and are neither replayed nor stale.
/// Every string is bounded (`PeerMessageLimits`), so an encoded message fits one datagram.
public struct PeerMessage: Sendable, Hashable {
    /// The protocol version the message was written with (`VacatairePeer.protocolVersion`).
    public var protocolVersion: UInt8
    /// The pair's name; a node ignores messages of another cluster.
    public var cluster: String
    /// The sending node's name (its `node.name`).
    public var sender: String
    /// The sender's boot generation (`BootGeneration`), incremented at every start.
    public var bootID: UInt64
    /// The sender's failover epoch; filtering older epochs is the state machine's job.
    public var epoch: UInt64
    /// Increases by one with every message within one boot; starts at 1.
    public var sequence: UInt64
    /// Wall-clock send time in milliseconds since 1970-01-01 UTC, for the skew check.
    public var sentAtMilliseconds: UInt64
    /// What the message asks or tells.
    public var kind: PeerMessageKind
    /// Identifies a retried request (and the answer to it); the same across retries.
    public var requestID: UInt64?
    /// The sender's role, state and health, and the details some kinds carry.
    public var payload: PeerPayload

    /// Creates a message; `protocolVersion` defaults to the version this build speaks.
    public init(
        protocolVersion: UInt8 = VacatairePeer.protocolVersion,
        cluster: String, sender: String, bootID: UInt64, epoch: UInt64, sequence: UInt64,
        sentAtMilliseconds: UInt64, kind: PeerMessageKind, requestID: UInt64? = nil,
        payload: PeerPayload
    ) {
        self.protocolVersion = protocolVersion
        self.cluster = cluster
        self.sender = sender
        self.bootID = bootID
        self.epoch = epoch
        self.sequence = sequence
        self.sentAtMilliseconds = sentAtMilliseconds
        self.kind = kind
        self.requestID = requestID
        self.payload = payload
    }
}

/// The body of a peer message beyond its header: who the sender is and how it is doing.
public struct PeerPayload: Sendable, Hashable {
    /// The sender's configured role, such as `master` or `standby`.
    public var role: String
    /// The sender's state machine state, such as `active`, `standby`, `failed`.
    public var state: String
    /// Whether the sender's own critical checks pass.
    public var healthy: Bool
    /// The incident this message is about, if any (shared by both nodes).
    public var incidentID: String?
    /// Who acknowledged the incident (`ack` messages).
    public var ackAuthor: String?
    /// Why they acknowledged it (`ack` messages).
    public var ackComment: String?
    /// A short human-readable reason, such as "check http-content failed 3 times".
    public var detail: String?

    /// Creates a payload; the optional fields default to absent.
    public init(
        role: String, state: String, healthy: Bool, incidentID: String? = nil,
        ackAuthor: String? = nil, ackComment: String? = nil, detail: String? = nil
    ) {
        self.role = role
        self.state = state
        self.healthy = healthy
        self.incidentID = incidentID
        self.ackAuthor = ackAuthor
        self.ackComment = ackComment
        self.detail = detail
    }
}

/// Converts wall-clock time to the protocol's milliseconds; the one place rounding happens.
extension PeerMessage {
    /// Milliseconds since 1970-01-01 UTC for `secondsSince1970` (from a `Date`); negative
    /// times (a clock before 1970) give 0.
    public static func milliseconds(secondsSince1970: Double) -> UInt64 {
        Date(timeIntervalSince1970: secondsSince1970).unixMilliseconds
    }
}

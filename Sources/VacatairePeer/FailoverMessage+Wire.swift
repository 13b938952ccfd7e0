import VacataireCore

/// A validated peer message that the state machine cannot take, and why.
///
/// The validator already guarantees framing, MAC, bounds and replay rules; this is about
/// meaning: a `state` the machine has no role for, or a request without a request id.
public struct UnmappablePeerMessage: Error, Sendable, Equatable, CustomStringConvertible {
    /// The message's kind on the wire.
    public var kind: PeerMessageKind
    /// What is wrong, such as "state `handing-off` is not one of starting, standby, active, failed".
    public var detail: String

    public var description: String { "peer message \(kind.rawValue) ignored: \(detail)" }
}

/// What `PeerLink.send` needs to put one `FailoverMessage` on the wire.
public struct PeerOutgoingMessage: Sendable, Equatable {
    public var kind: PeerMessageKind
    public var epoch: UInt64
    public var requestID: UInt64?
    public var payload: PeerPayload
    /// The heartbeat's copies, as the machine asked (`HeartbeatRefill`).
    public var refill: HeartbeatRefill?
}

// The mapping between the state machine's messages and the wire's:
//
//     FailoverMessage.kind       <->  kind (same names)
//     FailoverMessage.epoch      <->  epoch
//     FailoverMessage.requestID  <->  request (0 is "none" and is left out, except on a
//                                     request kind, which always carries its id)
//     FailoverMessage.role       <->  state (`starting`, `standby`, `active`, `failed`)
//     FailoverMessage.healthy    <->  healthy
//     (not in FailoverMessage)   -->  role: this node's configured role, `master` or `standby`
extension FailoverMessage {
    /// The state machine's view of a validated peer message; throws when it has none.
    public init(wire message: PeerMessage) throws(UnmappablePeerMessage) {
        guard let role = ServiceRole(rawValue: message.payload.state) else {
            let known = ServiceRole.allCases.map(\.rawValue).joined(separator: ", ")
            throw UnmappablePeerMessage(kind: message.kind, detail: "state `\(message.payload.state)` is not one of \(known)")
        }
        if message.kind.isRequest, message.requestID == nil {
            throw UnmappablePeerMessage(kind: message.kind, detail: "a \(message.kind.rawValue) without a request id")
        }
        // A heartbeat or handoff request names its incident, an ack the one acknowledged, a
        // `delivered` status the one it confirms.
        let confirmsDelivery = message.kind == .status && message.payload.detail == FailoverMessage.deliveredMarker
        let carriesIncident = message.kind == .heartbeat || message.kind == .handoffRequest || message.kind == .ack || confirmsDelivery
        self.init(
            kind: message.kind, epoch: message.epoch, requestID: message.requestID ?? 0,
            role: role, healthy: message.payload.healthy,
            incident: carriesIncident ? message.payload.incidentID.flatMap(IncidentID.init(storedText:)) : nil,
            detail: [.handoffRequest, .status].contains(message.kind) ? message.payload.detail : nil
        )
        if message.kind == .ack, let author = message.payload.ackAuthor {
            acknowledgement = Acknowledgement(
                author: author, comment: message.payload.ackComment, expiresIn: Self.ackExpiry(message.payload.detail))
        }
    }

    /// This message as the wire carries it, from a node configured as `configuredRole`;
    /// `incidentID` and `detail` fill the payload's optional fields (bounded, see
    /// `PeerMessageLimits`; an out-of-bounds value makes the send fail and be counted).
    public func wire(configuredRole: ConfiguredRole, incidentID: String? = nil, detail: String? = nil) -> PeerOutgoingMessage {
        let incidentID = incidentID ?? incident?.description
        // Bounded like every text field (PeerMessageLimits): a long list of checks is cut.
        let detail = detail ?? self.detail.map { PeerMessageLimits.truncated($0, bytes: PeerMessageLimits.maximumTextBytes) }
            ?? acknowledgement.flatMap { Self.ackDetail(expiresIn: $0.expiresIn) }
        return PeerOutgoingMessage(
            kind: kind, epoch: epoch,
            requestID: requestID == 0 && !kind.isRequest ? nil : requestID,
            payload: PeerPayload(
                role: configuredRole.rawValue, state: role.rawValue, healthy: healthy,
                incidentID: incidentID,
                ackAuthor: acknowledgement.map { PeerMessageLimits.truncated($0.author, bytes: PeerMessageLimits.maximumAuthorBytes) },
                ackComment: acknowledgement?.comment.map { PeerMessageLimits.truncated($0, bytes: PeerMessageLimits.maximumTextBytes) },
                detail: detail
            ),
            refill: refill
        )
    }

    private static let expiresPrefix = "expires-in "

    /// The `ack` detail for an acknowledgement that lasts `expiresIn` more ("expires-in
    /// 600", whole seconds rounded up), or nil for one that lasts until the incident closes.
    static func ackDetail(expiresIn: Duration?) -> String? {
        expiresIn.map { "\(expiresPrefix)\(max(0, $0.wholeSecondsRoundedUp))" }
    }

    /// What an `ack` detail says of the acknowledgement's expiry; nil when it says nothing.
    static func ackExpiry(_ detail: String?) -> Duration? {
        guard let detail, detail.hasPrefix(expiresPrefix),
              let seconds = Int64(detail.dropFirst(expiresPrefix.count)), (0...(400 * 86_400)).contains(seconds)
        else { return nil }
        return .seconds(seconds)
    }
}

extension PeerMessage {
    /// The state machine's view of this message, or nil (`FailoverMessage(wire:)` says why).
    public var failoverMessage: FailoverMessage? {
        try? FailoverMessage(wire: self)
    }
}

extension PeerLink {
    /// Sends a state machine message (`FailoverAction.send`) on every path, from a node
    /// configured as `configuredRole`.
    public func send(_ message: FailoverMessage, configuredRole: ConfiguredRole, incidentID: String? = nil, detail: String? = nil) async {
        let outgoing = message.wire(configuredRole: configuredRole, incidentID: incidentID, detail: detail)
        await send(kind: outgoing.kind, epoch: outgoing.epoch, requestID: outgoing.requestID, payload: outgoing.payload)
    }
}

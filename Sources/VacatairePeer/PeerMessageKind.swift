/// What a peer message asks or tells; its raw value is the `kind` field on the wire.
public enum PeerMessageKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// "I am alive": role, state and health, sent every heartbeat interval.
    case heartbeat
    /// "I am failing, take over": the active master asks the standby.
    case handoffRequest = "handoff-request"
    /// "I have taken over": the standby's answer to a handoff request.
    case handoffDone = "handoff-done"
    /// "Stop your service": failback, sent to the node that took over.
    case quiesceRequest = "quiesce-request"
    /// "My service is stopped": the answer to a quiesce request.
    case quiesceDone = "quiesce-done"
    /// An incident was acknowledged by an admin on the sending node.
    case ack
    /// A state report outside the heartbeat schedule (after a transition, on request).
    case status

    /// Whether this kind is a request that is retried until answered and must carry a
    /// request id so that the receiver handles a retry only once.
    public var isRequest: Bool {
        self == .handoffRequest || self == .quiesceRequest
    }
}

/// What happened, as the notifier and the event history name it.
///
/// Each kind has its own templates (`Templates/<kind>.subject.mustache`, ...).
public enum EventKind: String, CaseIterable, Sendable, Codable {
    case failover
    case takeover
    case failback
    case switchover
    case checkFailed = "check-failed"
    case checkRecovered = "check-recovered"
    case peerLost = "peer-lost"
    case peerFound = "peer-found"
    case acknowledged
    case reminder
    case test
    case agentStarted = "agent-started"
    case agentStopped = "agent-stopped"
    /// A check started or stopped flapping (the reason says which); its notices in
    /// between are held back by the rate limiter.
    case flapping
    /// What the rate limiter held back, counted by kind and subject.
    case digest
    /// The outbox gave up a delivery (refused for good, or failing past `max_age`); sent
    /// through the other destinations, so that a broken mail path reaches the NMS and a
    /// broken NMS path reaches the mailbox.
    case deliveryFailed = "delivery-failed"
    /// A failover drill's report (`vacataire drill`): both legs, their figures, the
    /// verdict. A notice: a drill that passed wakes nobody.
    case drill
    /// A drill that failed: the service was put back where it was; one incident, paged,
    /// with the drill's figures.
    case drillFailed = "drill-failed"
}

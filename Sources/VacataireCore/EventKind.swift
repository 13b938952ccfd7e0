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

    /// Role changes open an incident that later events name.
    public var opensIncident: Bool {
        switch self {
        case .failover, .takeover, .switchover: return true
        default: return false
        }
    }
}

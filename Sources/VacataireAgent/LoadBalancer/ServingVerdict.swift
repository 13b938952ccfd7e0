import VacataireCore

/// What a load balancer should be told about this node: whether to send it traffic, and
/// why not. One source for `/health` and the agent-check answer, so the two never disagree.
///
/// The node serves when its machine is `active` and its critical checks pass. In
/// maintenance the service stays as it was (DESIGN.md §2), so the load balancer keeps
/// following it: a node in maintenance that still runs the service, healthy, stays in
/// rotation; one whose service is off answers `maintenance`.
public struct ServingVerdict: Sendable, Equatable {
    /// Whether the load balancer should send this node traffic.
    public var serving: Bool
    /// One word: `active` when serving, else `standby`, `failed`, `maintenance`,
    /// `unhealthy`, or a transient state (`starting`, `handing-off`, `taking-over`, `quiescing`).
    public var word: String
    /// Whether the node is in maintenance (agent-check answers `maint` when not serving).
    public var maintenance: Bool

    public init(state: FailoverStateName, role: ServiceRole, healthy: Bool?) {
        let healthy = healthy == true
        switch state {
        case .active:
            // The one serving state; a sick active still serves until it hands off, but the
            // load balancer should prefer the peer as soon as the checks say so.
            serving = healthy
            word = healthy ? "active" : "unhealthy"
            maintenance = false
        case .maintenance:
            // Automatic actions are paused, not the service: follow whether it runs.
            serving = role == .active && healthy
            word = serving ? "active" : "maintenance"
            maintenance = true
        case .standby, .failed, .starting, .handingOff, .takingOver, .quiescing:
            serving = false
            word = state.rawValue
            maintenance = false
        }
    }

    /// The HTTP status of `/health`: 200 when serving, 503 otherwise.
    public var httpStatus: Int { serving ? 200 : 503 }

    /// The line HAProxy's agent-check reads: an operational word (`up`, `down`) and an
    /// administrative one (`ready`, `maint`). `ready` on every answer but maintenance's
    /// matters: HAProxy keeps a server in maintenance until an answer says `ready`, so a
    /// bare `down` after `maint` would leave it there. The `#` comment shows in HAProxy's
    /// stats (`last_agt`) as `via agent : down (standby)`.
    public var agentCheckLine: String {
        let verb = serving ? "up ready" : (maintenance ? "maint" : "down ready")
        return "\(verb) #\(word)\n"
    }
}

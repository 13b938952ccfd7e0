import VacataireCore

/// What a load balancer should be told about this node: whether to send it traffic, and
/// why not. One source for `/health` and the agent-check answer, so the two never disagree.
///
/// The node serves when its machine is `active` and its critical checks pass, and during
/// the make-before-break moments the machine's `loadBalancerUp` names. In
/// maintenance the service stays as it was, so the load balancer keeps
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

    /// - Parameter up: the machine's `loadBalancerUp`: whether this node owns a running
    ///   service (including a taking-over node whose service passed its checks, and a
    ///   restarted node that was active and has not stopped).
    public init(state: FailoverStateName, role: ServiceRole, healthy: Bool?, up: Bool? = nil) {
        let healthy = healthy == true
        let up = up ?? (state == .active)
        switch state {
        case .active, .handingOff:
            // Better a sick master than no master: in rotation until its peer's service
            // passed its checks and serves (make before break); the word says it is sick.
            serving = up
            word = healthy ? "active" : "unhealthy"
            maintenance = false
        case .maintenance:
            // Automatic actions are paused, not the service: follow whether it runs.
            serving = role == .active && healthy
            word = serving ? "active" : "maintenance"
            maintenance = true
        case .takingOver, .starting, .quiescing:
            // Make before break: in rotation once the new service passed its checks; a
            // restarted active node stays in rotation while its service answers; a node
            // handing its service over stays until the load balancer has seen the peer.
            serving = up
            word = state.rawValue
            maintenance = false
        case .standby, .failed:
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

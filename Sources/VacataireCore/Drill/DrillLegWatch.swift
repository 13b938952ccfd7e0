/// Follows one leg of a drill from what this node's machine shows, and says when it ended
/// and how: the times of the new node's start and verification and of the old node's
/// drain, in time since the leg's command.
///
/// Pure: the agent feeds it a `View` after every change of the machine (and every sample
/// period), with the time since the leg's command; it decides nothing else.
public struct DrillLegWatch: Sendable, Equatable {
    /// What this node's machine shows at one moment.
    public struct View: Sendable, Equatable {
        public var state: FailoverStateName
        public var peerRole: ServiceRole?
        /// The service checks run here (the start actions are done, the service is verified).
        public var runsServiceChecks: Bool
        /// The load balancer is told to send this node traffic.
        public var inLoadBalancer: Bool
        public var lastReason: String

        public init(state: FailoverStateName, peerRole: ServiceRole?, runsServiceChecks: Bool, inLoadBalancer: Bool, lastReason: String) {
            self.state = state
            self.peerRole = peerRole
            self.runsServiceChecks = runsServiceChecks
            self.inLoadBalancer = inLoadBalancer
            self.lastReason = lastReason
        }
    }

    public let leg: DrillPlan.Leg
    /// Leg back only: this node's start actions were done (its service checks run).
    public private(set) var started: Duration?
    public private(set) var verified: Duration?
    public private(set) var drained: Duration?

    public init(leg: DrillPlan.Leg) {
        self.leg = leg
    }

    /// Takes in `view` seen `at` the given time since the leg's command; the outcome once
    /// the leg has ended, nil while it goes on.
    public mutating func observe(_ view: View, at: Duration) -> DrillLegRecord.Outcome? {
        if leg.towardsPeer {
            // handing-off -> quiescing (the peer confirmed: its service passed its checks) -> standby.
            if verified == nil, view.state == .quiescing || view.state == .standby { verified = at }
            if view.state == .standby, view.peerRole == .active {
                drained = at
                return .settled
            }
            // Back to active: the handoff was refused or given up, this node kept the service.
            if view.state == .active || view.state == .failed { return .abandoned(view.lastReason) }
        } else {
            // taking-over (start, verify and enter the load balancer; the peer drains) -> active.
            if started == nil, view.runsServiceChecks { started = at }
            if verified == nil, view.inLoadBalancer { verified = at }
            if view.state == .active {
                drained = at
                return .settled
            }
            // Stepping down from a take-over: the start or the peer's stop failed; the peer serves.
            if [.quiescing, .standby, .failed].contains(view.state) { return .abandoned(view.lastReason) }
        }
        return nil
    }
}

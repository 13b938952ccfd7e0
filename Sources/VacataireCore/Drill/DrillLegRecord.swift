/// What the agent saw during one leg of a drill, in times since the leg's command.
public struct DrillLegRecord: Sendable, Equatable {
    /// How the move ended, as the node's own machine saw it.
    public enum Outcome: Sendable, Equatable {
        /// The new node serves and the old one's service is stopped.
        case settled
        /// The machine refused the move (why).
        case refused(String)
        /// The move started and was given up or failed (why).
        case abandoned(String)
        /// Not settled within the wait (the node's last reason).
        case timedOut(String)
    }

    /// One look at both services: the peer's through `service_probe` (as the load balancer
    /// sees it) and this node's own (nil when it has no `http` check to reach it by).
    public struct Sample: Sendable, Equatable {
        public var at: Duration
        public var peerAnswers: Bool
        public var ownAnswers: Bool?

        public init(at: Duration, peerAnswers: Bool, ownAnswers: Bool?) {
            self.at = at
            self.peerAnswers = peerAnswers
            self.ownAnswers = ownAnswers
        }

        /// Neither service answered.
        public var nobody: Bool { !peerAnswers && ownAnswers != true }
    }

    public var leg: DrillPlan.Leg
    public var outcome: Outcome
    /// The new node's start actions were done: its service answered (leg to the peer), or
    /// this node's machine began verifying it (leg back).
    public var started: Duration?
    /// The new node's service passed its checks: the peer confirmed the handoff, or this
    /// node entered the load balancer.
    public var verified: Duration?
    /// The old node's service was stopped after draining: the leg settled.
    public var drained: Duration?
    public var samples: [Sample]
    /// The node serving once the leg ended, as this node knows it (nil: none it knows of).
    public var serverAfter: String?

    public init(
        leg: DrillPlan.Leg, outcome: Outcome, started: Duration? = nil, verified: Duration? = nil, drained: Duration? = nil,
        samples: [Sample], serverAfter: String?
    ) {
        self.leg = leg
        self.outcome = outcome
        self.started = started
        self.verified = verified
        self.drained = drained
        self.samples = samples
        self.serverAfter = serverAfter
    }

    /// When the new node's service first answered through the URL that reaches it from
    /// here: `service_probe` for the peer, this node's own for itself.
    public var newNodeSeen: Duration? {
        samples.first { leg.towardsPeer ? $0.peerAnswers : $0.ownAnswers == true }?.at
    }

    /// The samples in which neither service answered.
    public var nobodyCount: Int { samples.filter(\.nobody).count }
}

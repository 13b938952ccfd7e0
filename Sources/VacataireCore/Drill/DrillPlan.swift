/// `vacataire drill`: whether a drill may start now and which legs it runs.
///
/// Pure: it reads the node's situation as the agent copies it out and returns either the
/// plan (the service to the node not serving, then back) or a `DrillRefusal` naming what
/// to fix. A scheduled run (`--scheduled`, the systemd timer on both nodes) is skipped on
/// the configured standby, so that one drill runs per pair.
public struct DrillPlan: Sendable, Equatable {
    /// What the plan is decided from.
    public struct Situation: Sendable, Equatable {
        public var node: String
        public var peer: String
        public var configuredMaster: Bool
        public var state: FailoverStateName
        public var healthy: Bool?
        public var healthSummary: String?
        public var peerRole: ServiceRole?
        public var peerHealthy: Bool?
        public var peerSilent: Bool
        public var openIncidents: [IncidentID]
        public var hasServiceProbe: Bool
        public var leaseMode: Bool
        public var drillRunning: Bool

        public init(
            node: String, peer: String, configuredMaster: Bool, state: FailoverStateName, healthy: Bool?, healthSummary: String?,
            peerRole: ServiceRole?, peerHealthy: Bool?, peerSilent: Bool, openIncidents: [IncidentID], hasServiceProbe: Bool,
            leaseMode: Bool = false, drillRunning: Bool = false
        ) {
            self.node = node
            self.peer = peer
            self.configuredMaster = configuredMaster
            self.state = state
            self.healthy = healthy
            self.healthSummary = healthSummary
            self.peerRole = peerRole
            self.peerHealthy = peerHealthy
            self.peerSilent = peerSilent
            self.openIncidents = openIncidents
            self.hasServiceProbe = hasServiceProbe
            self.leaseMode = leaseMode
            self.drillRunning = drillRunning
        }
    }

    /// One make-before-break move of the service.
    public struct Leg: Sendable, Equatable, Codable {
        public var from: String
        public var to: String
        /// Whether the service goes to the peer (this node hands off) or comes here.
        public var towardsPeer: Bool

        public init(from: String, to: String, towardsPeer: Bool) {
            self.from = from
            self.to = to
            self.towardsPeer = towardsPeer
        }

        /// The move that undoes this one.
        public var reversed: Leg { Leg(from: to, to: from, towardsPeer: !towardsPeer) }
    }

    /// What the agent does with a drill request.
    public enum Decision: Sendable, Equatable {
        case run(DrillPlan)
        case refuse(DrillRefusal)
        /// A scheduled run on the node that does not start drills: nothing to do, and why.
        case skip(String)
    }

    /// The legs in order: away from the serving node, then back.
    public var legs: [Leg]

    public init(legs: [Leg]) {
        self.legs = legs
    }

    /// Decides from `situation`; `scheduled`: started by the timer rather than a person.
    public static func decide(_ situation: Situation, scheduled: Bool = false) -> Decision {
        let s = situation
        if s.leaseMode { return .refuse(.leaseMode) }
        if scheduled, !s.configuredMaster {
            // Both nodes carry the timer; the configured master starts the pair's drill.
            return .skip("scheduled drills start from the configured master; \(s.node) is the configured standby")
        }
        if s.drillRunning { return .refuse(.alreadyRunning) }
        if !s.hasServiceProbe { return .refuse(.noServiceProbe) }
        if s.state == .maintenance { return .refuse(.maintenance) }
        if s.healthy != true { return .refuse(.unhealthy(s.healthSummary ?? "no verdict yet")) }
        if s.peerSilent || s.peerRole == nil { return .refuse(.peerSilent(s.peer)) }
        if s.peerRole == .failed || s.peerHealthy != true { return .refuse(.peerUnhealthy(s.peer, role: s.peerRole)) }
        // A failed drill's incident does not block the drill that proves its repair.
        let blocking = s.openIncidents.filter { $0.topic != .drillFailed }
        if !blocking.isEmpty { return .refuse(.incidentsOpen(blocking.map(\.description))) }
        let out: Leg
        switch (s.state, s.peerRole) {
        case (.active, .standby):
            out = Leg(from: s.node, to: s.peer, towardsPeer: true)
        case (.standby, .active):
            out = Leg(from: s.peer, to: s.node, towardsPeer: false)
        default:
            return .refuse(.unsettled(state: s.state, peerRole: s.peerRole))
        }
        return .run(DrillPlan(legs: [out, out.reversed]))
    }

    /// What `--dry-run` prints: what the drill would do, changing nothing.
    public func lines(probe: String, ownService: String?, samplePeriod: Duration) -> [String] {
        var lines = ["dry run: nothing changes; the drill would:"]
        for (index, leg) in legs.enumerated() {
            lines.append("  leg \(index + 1): switch the service over from \(leg.from) to \(leg.to), make before break, "
                + "and wait until \(leg.from)'s service is stopped")
        }
        let own = ownService.map { " and \($0) (this node's service)" } ?? ""
        lines.append("  sample \(probe) (the peer's service as the load balancer sees it)\(own) every \(samplePeriod.humanSeconds) during each leg")
        lines.append("  stop at the first failed leg, put the service back on \(legs.first?.from ?? "?") and page one incident")
        lines.append("  mail and trap the report as a notice (kind drill); `vacataire events` and /metrics keep its figures")
        return lines
    }
}

import Foundation
import VacataireCore

/// What the AgentX subagent answers (LE-VACATAIRE-MIB's `vacStatus`): the node's state as
/// the agent last published it. A plain value: the agent replaces it after each decision,
/// and the subagent's thread reads it without ever calling into the agent.
public struct SNMPStatus: Sendable, Equatable {
    /// The last state change since the agent started.
    public struct Transition: Sendable, Equatable {
        public var time: Date
        /// `FROM -> TO`, in the state names of `vacataire status`.
        public var event: String
        public var reason: String
    }

    /// One health check, in the configuration's order.
    public struct Check: Sendable, Equatable {
        public var name: String
        public var scope: String
        public var state: String
        public var output: String
        /// When it entered `state`; nil when it has held it since the agent started.
        public var since: Date?
    }

    /// One incident: open, or closed since the agent started.
    public struct Incident: Sendable, Equatable {
        public enum State: String, Sendable {
            case open, acknowledged, closed
        }

        public var id: String
        public var event: String
        public var opened: Date
        public var ackAuthor: String?
        public var ackTime: Date?
        public var closed: Bool

        public var state: State {
            closed ? .closed : ackAuthor == nil ? .open : .acknowledged
        }
    }

    /// One notification destination and its deliveries since the agent started.
    public struct Destination: Sendable, Equatable {
        public var name: String
        public var sent: UInt64
        public var failed: UInt64
        public var pending: Int
    }

    public var node: String
    public var cluster: String
    public var role: String = ""
    public var state: String = ""
    public var epoch: UInt64 = 0
    /// Since when the node holds `role` (the agent's start when it has held it since).
    public var roleSince: Date
    public var peerName: String
    public var peerState: String = "unknown"
    public var lastTransition: Transition?
    public var maintenance = false
    public var checks: [Check] = []
    public var incidents: [Incident] = []
    public var destinations: [Destination] = []

    /// Closed incidents kept in the table after the open ones, newest last.
    public static let closedIncidentsKept = 20

    public init(node: String, cluster: String, peerName: String, startedAt: Date) {
        self.node = node
        self.cluster = cluster
        self.peerName = peerName
        roleSince = startedAt
    }

    /// The node's fields as the coordinator has them now; a new role restarts `roleSince`.
    public mutating func setNode(role: String, state: String, epoch: UInt64, peer: PeerStatus, at time: Date) {
        if role != self.role {
            if !self.role.isEmpty { roleSince = time }
            self.role = role
        }
        self.state = state
        self.epoch = epoch
        maintenance = state == FailoverStateName.maintenance.rawValue
        peerName = peer.name
        peerState = peer.silent ? (peer.lastHeard == nil ? "unknown" : "silent") : peer.role?.rawValue ?? "unknown"
    }

    /// Folds one action list's news in: the state change, incidents opened, acknowledged
    /// and closed.
    public mutating func record(_ actions: [FailoverAction], at time: Date) {
        var incidentsChanged = false
        for action in actions {
            switch action {
            case .transition(let from, let to, let reason):
                lastTransition = Transition(time: time, event: "\(from.rawValue) -> \(to.rawValue)", reason: reason)
            case .raiseIncident(let id, let kind, _, _, _):
                if let index = incidents.firstIndex(where: { $0.id == id.description }) {
                    incidents.remove(at: index)
                }
                incidents.append(Incident(id: id.description, event: kind.rawValue, opened: time, closed: false))
                incidentsChanged = true
            case .acknowledgeIncident(let id, let author, _, _, _):
                if let index = incidents.firstIndex(where: { $0.id == id.description }) {
                    incidents[index].ackAuthor = author
                    incidents[index].ackTime = time
                    incidentsChanged = true
                }
            case .closeIncident(let id, _):
                if let index = incidents.firstIndex(where: { $0.id == id.description }) {
                    incidents[index].closed = true
                    incidentsChanged = true
                }
            default:
                break
            }
        }
        if incidentsChanged { orderIncidents() }
    }

    /// Incidents read from the store at start (open before the agent started): added
    /// unless the actions since already told of them.
    public mutating func restore(_ restored: [Incident]) {
        for incident in restored where !incidents.contains(where: { $0.id == incident.id }) {
            incidents.append(incident)
        }
        orderIncidents()
    }

    /// Open incidents first, then the newest closed ones, each by opening time.
    private mutating func orderIncidents() {
        let open = incidents.filter { !$0.closed }.sorted { $0.opened < $1.opened }
        let closed = incidents.filter(\.closed).sorted { $0.opened < $1.opened }.suffix(Self.closedIncidentsKept)
        incidents = open + closed
    }
}

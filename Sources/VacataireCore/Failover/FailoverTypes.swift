import Foundation

/// The role a node is configured for: the master normally serves, the standby waits.
public enum ConfiguredRole: String, ConfigKeyword, Sendable, Codable {
    case master
    case standby
}

/// The role a node tells its peer, status and the load balancer: what it is doing now.
///
/// `starting` (learning the peer's state) and `takingOver` (starting and verifying its
/// service; not yet serving, so the peer keeps serving meanwhile and adopts nothing from
/// it) are only ever told; what is written to the store is a `PersistedRole`.
public enum ServiceRole: String, Sendable, Codable, Equatable, CaseIterable {
    case starting
    case standby
    case active
    case failed
    case takingOver = "taking-over"

    /// The role to write for a node that tells this one: a node starting is standby until
    /// it knows better, one taking over is active (its service may be running).
    public var persisted: PersistedRole {
        switch self {
        case .starting, .standby: return .standby
        case .active, .takingOver: return .active
        case .failed: return .failed
        }
    }
}

/// The role a node writes to its store before acting: what it may be doing after a crash.
public enum PersistedRole: String, Sendable, Codable, Equatable, CaseIterable {
    case standby
    case active
    case failed

    /// The same role as told to others.
    public var told: ServiceRole {
        switch self {
        case .standby: return .standby
        case .active: return .active
        case .failed: return .failed
        }
    }
}

/// What the node writes to its store before acting: role and epoch.
///
/// The machine emits `.persist` first in every action list that changes either, so a
/// crash at any point leaves a store that never claims less than the node may have done.
public struct PersistedFailoverState: Sendable, Equatable, Codable {
    public var role: PersistedRole
    /// The pair's role-change counter as this node last knew it.
    public var epoch: UInt64

    public init(role: PersistedRole, epoch: UInt64) {
        self.role = role
        self.epoch = epoch
    }
}

/// One critical check that is failing, as the check scheduler reports it.
public struct FailingCheck: Sendable, Equatable {
    public var name: String
    /// The check's last output line ("HTTP 503", "process nginx: 0 running").
    public var output: String

    public init(name: String, output: String) {
        self.name = name
        self.output = output
    }

    /// The output of a check that has not run since it (re)started.
    public static let noResultYet = "no result yet"

    /// One line each, `name: output`, as a handoff request carries them to the peer.
    public static func lines(_ checks: [FailingCheck]) -> String {
        checks.map { "\($0.name): \($0.output)" }.joined(separator: "\n")
    }

    /// Reads `lines` back; a line without `: ` is a check named by the whole line.
    public static func parse(lines text: String) -> [FailingCheck] {
        text.split(separator: "\n").map { line in
            guard let colon = line.range(of: ": ") else { return FailingCheck(name: String(line), output: "failing") }
            return FailingCheck(name: String(line[..<colon.lowerBound]), output: String(line[colon.upperBound...]))
        }
    }
}

/// The local health verdict the check scheduler hands the machine whenever it changes.
///
/// Two parts, by check scope (Docs/checks.md): the node checks say whether this node may
/// serve at all (a standby is ready when they pass); the service checks say whether the
/// service answers, and run only where the service runs.
public struct HealthVerdict: Sendable, Equatable {
    /// What the service-scope critical checks say.
    public enum ServiceHealth: Sendable, Equatable {
        /// No service-scope critical check is configured: a started service counts as verified.
        case unchecked
        /// The service checks are not running here (the service is off by design).
        case idle
        /// Every service check passed (`rise` times in a row since it started running).
        case healthy
        /// Some service check is failing or has no result yet.
        case failing([FailingCheck])
    }

    /// Failing (or not yet known) node-scope critical checks; empty when the node may serve.
    public var nodeFailing: [FailingCheck]
    public var service: ServiceHealth
    /// Some critical check has no result yet since it started running.
    public var pending: Bool

    public init(nodeFailing: [FailingCheck] = [], service: ServiceHealth = .unchecked, pending: Bool = false) {
        self.nodeFailing = nodeFailing
        self.service = service
        self.pending = pending
    }

    /// A verdict in which every check judges the node (the scope-less view of older tests).
    public init(healthy: Bool, failing: [FailingCheck] = []) {
        let failing = healthy ? [] : (failing.isEmpty ? [FailingCheck(name: "checks", output: "failing")] : failing)
        self.init(nodeFailing: failing)
    }

    public static let healthy = HealthVerdict()

    /// May this node serve at all? Its node checks pass.
    public var nodeHealthy: Bool { nodeFailing.isEmpty }

    /// The service answers as its checks expect (or nothing checks it).
    public var serviceHealthy: Bool {
        switch service {
        case .unchecked, .healthy: return true
        case .idle, .failing: return false
        }
    }

    /// Everything that applies is healthy: the node checks, and the service checks where they run.
    public var healthy: Bool {
        nodeHealthy && (service == .idle || serviceHealthy)
    }

    /// Every failing critical check, node checks first.
    public var failing: [FailingCheck] {
        if case .failing(let checks) = service { return nodeFailing + checks }
        return nodeFailing
    }

    /// "http-content failing (HTTP 503)", for reason sentences.
    public var summary: String {
        let failing = failing
        if failing.isEmpty { return "all critical checks healthy" }
        return failing.map { "\($0.name) failing (\($0.output))" }.joined(separator: ", ")
    }
}

/// A peer message as the machine sees it: the codec (VacatairePeer) has already checked
/// its MAC, replay window, cluster and size, and the daemon maps it to this.
public struct FailoverMessage: Sendable, Equatable {
    /// The message types of the peer protocol (Docs/peer-protocol.md); the raw value is the `kind` field on the wire
    /// (VacatairePeer calls it `PeerMessageKind`).
    public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
        case heartbeat
        /// "I am failing (or switching over): take over." Answered by `handoffDone` or a refusing `status`.
        case handoffRequest = "handoff-request"
        /// "My service runs now." Carries the new epoch.
        case handoffDone = "handoff-done"
        /// "Stop your service, I take it back" (failback, switchover towards the sender).
        case quiesceRequest = "quiesce-request"
        /// "My service is stopped."
        case quiesceDone = "quiesce-done"
        /// An incident of `epoch` was acknowledged on the sender.
        case ack
        /// The sender's role and health; with a request id, a refusal of that request.
        case status

        /// Whether this kind is a request that is retried until answered and must carry a
        /// request id so that the receiver handles a retry only once.
        public var isRequest: Bool {
            self == .handoffRequest || self == .quiesceRequest
        }
    }

    public var kind: Kind
    /// The sender's epoch.
    public var epoch: UInt64
    /// The request this message is or answers; 0 for heartbeats and unsolicited status.
    public var requestID: UInt64
    /// The sender's role: `active` whenever its service may be running.
    public var role: ServiceRole
    /// Whether the sender's critical checks are all healthy.
    public var healthy: Bool
    /// The incident the message is about: on a handoff request, the one the sender opens;
    /// on an active node's heartbeat, its open role-change incident, so that the peer
    /// threads its own news (a failback after a restart) into it.
    public var incident: IncidentID?
    /// Why, in a few words: on a handoff request, the sender's failing checks and their
    /// output ("page: expected 4096 bytes, got 1024"), for the page the peer sends.
    public var detail: String?
    /// On an `ack`: who acknowledged, their comment, and when reminders resume.
    public var acknowledgement: Acknowledgement?
    /// On a heartbeat: the copies that follow it if nothing else is sent in time (not on
    /// the wire: each copy is a heartbeat of its own).
    public var refill: HeartbeatRefill?

    /// How a `status` says the sender delivered a page of its `incident` (so that this
    /// node, which would page it if nobody confirmed, does not).
    public static let deliveredMarker = "delivered"

    /// The incident the sender confirms delivering a page of, when this `status` says so.
    public var deliveredIncident: IncidentID? {
        guard kind == .status, detail == Self.deliveredMarker else { return nil }
        return incident
    }

    /// How a healthy handoff request says it is a leg of a drill (`vacataire drill`): the
    /// receiver takes the service without paging the move, which the drill reports.
    public static let drillMarker = "drill"

    /// Whether this is a drill's handoff request.
    public var isDrillHandoff: Bool {
        kind == .handoffRequest && healthy && detail == Self.drillMarker
    }

    /// How a `status` says the sender's stop actions failed, so its service may still run:
    /// the detail starts with this, then why.
    public static let stopFailedMarker = "stop failed: "

    /// Why the sender's stop failed, when this `status` says so.
    public var failedStop: String? {
        guard kind == .status, let detail, detail.hasPrefix(Self.stopFailedMarker) else { return nil }
        return String(detail.dropFirst(Self.stopFailedMarker.count))
    }

    /// An acknowledgement as it travels to the peer (its incident is `incident`).
    public struct Acknowledgement: Sendable, Equatable {
        public var author: String
        public var comment: String?
        /// Reminders resume after this long; nil: not until the incident is closed.
        public var expiresIn: Duration?

        public init(author: String, comment: String? = nil, expiresIn: Duration? = nil) {
            self.author = author
            self.comment = comment
            self.expiresIn = expiresIn
        }
    }

    public init(kind: Kind, epoch: UInt64, requestID: UInt64 = 0, role: ServiceRole, healthy: Bool,
                incident: IncidentID? = nil, detail: String? = nil) {
        self.kind = kind
        self.epoch = epoch
        self.requestID = requestID
        self.role = role
        self.healthy = healthy
        self.incident = incident
        self.detail = detail
    }
}

/// Which parts of the split-brain guard the daemon should run now (`.probeGuard`).
public struct GuardProbe: Sendable, Equatable {
    /// Probe the witness (TCP connect or HTTP GET).
    public var witness: Bool
    /// Probe the peer's service the way the load balancer sees it.
    public var peerService: Bool

    public init(witness: Bool, peerService: Bool) {
        self.witness = witness
        self.peerService = peerService
    }
}

/// The daemon's answer to `.probeGuard`: nil for a part that was not asked.
public struct GuardReport: Sendable, Equatable {
    public var witnessReachable: Bool?
    public var peerServiceAnswers: Bool?

    public init(witnessReachable: Bool? = nil, peerServiceAnswers: Bool? = nil) {
        self.witnessReachable = witnessReachable
        self.peerServiceAnswers = peerServiceAnswers
    }
}

/// An incident as both nodes name it, without exchanging anything but the epoch.
///
/// A role change opens the incident of its new epoch (`e7`); problems that change no role
/// are named after the epoch they happened in and their topic (`e7-peer-lost`), and a
/// second one of the same topic in the same epoch gets its count (`e7-peer-lost-2`): an
/// id names one incident forever. A peer lost in epoch 7 that ends in a takeover, and the
/// isolated node's self-fence, stay `e7-peer-lost` on both nodes: one incident, one thread.
public struct IncidentID: Sendable, Hashable, CustomStringConvertible {
    public enum Topic: String, Sendable, Hashable {
        case roleChange = "role-change"
        case peerLost = "peer-lost"
        case handoffFailed = "handoff-failed"
        case actionFailed = "action-failed"
        /// A failover drill failed; the next drill that passes closes it.
        case drillFailed = "drill-failed"
    }

    public var epoch: UInt64
    public var topic: Topic
    /// 1 for the first incident of this topic in this epoch, 2 for the next...
    public var occurrence: Int

    public init(epoch: UInt64, topic: Topic, occurrence: Int = 1) {
        self.epoch = epoch
        self.topic = topic
        self.occurrence = topic == .roleChange ? 1 : max(1, occurrence)
    }

    public var description: String {
        if topic == .roleChange { return "e\(epoch)" }
        return "e\(epoch)-\(topic.rawValue)" + (occurrence > 1 ? "-\(occurrence)" : "")
    }
}

/// Which service actions finished.
public enum ServiceActionKind: String, Sendable, Equatable {
    case start
    case stop
}

/// How a start or stop action ended, as the daemon reports it.
public enum ActionOutcome: Sendable, Equatable {
    case succeeded
    /// Non-zero exit or timeout; the text is a short reason with the output tail.
    case failed(String)
}

/// What the daemon passes to start/stop actions as environment (role, event, incident).
public struct ServiceActionContext: Sendable, Equatable {
    /// The role the node moves to.
    public var role: ServiceRole
    public var epoch: UInt64
    public var event: EventKind?
    public var incident: IncidentID?
    /// The one-line reason of the transition.
    public var reason: String

    public init(role: ServiceRole, epoch: UInt64, event: EventKind?, incident: IncidentID?, reason: String) {
        self.role = role
        self.epoch = epoch
        self.event = event
        self.incident = incident
        self.reason = reason
    }
}

/// The machine's states by name, for logs, `vacataire status` and `.transition` actions.
public enum FailoverStateName: String, Sendable, Equatable, CaseIterable {
    case starting
    case standby
    case active
    case handingOff = "handing-off"
    case takingOver = "taking-over"
    case quiescing
    case failed
    case maintenance
}

/// What to do when no witness is configured (`failover.no_witness`); no default.
///
/// Two nodes without a witness cannot tell a dead peer from a cut link.
public enum NoWitnessPolicy: String, ConfigKeyword, Sendable {
    /// Never take over on silence; page `peer-lost` and wait for an admin. No split-brain.
    case stay
    /// Take over on silence after the service probe and fence, if configured, allow it.
    /// A cut link with both nodes alive serves twice unless a fence command is set.
    case takeover
}

import Foundation

/// The control socket's protocol (Docs/cli.md): one JSON request line from the CLI, one
/// JSON reply line from the daemon, then the daemon closes the connection.
public enum ControlProtocol {
    /// Bumped when a request or reply changes incompatibly; the daemon refuses others.
    public static let version = 1
    /// The longest request line the daemon reads.
    public static let maximumRequestBytes = 16 * 1024
}

/// What the CLI asks.
public struct ControlRequest: Codable, Sendable, Equatable {
    public enum Command: String, Codable, Sendable, CaseIterable {
        case status
        case failback
        /// A repaired failed node becomes standby again, the service staying where it is.
        case ready
        case switchover
        case maintenance
        case ack
        case events
        /// Send a test notification through the daemon's own destinations and settings.
        case notifyTest = "notify-test"
        /// What only the running pair can show: the peer on each path, the witness, the
        /// service probe, every destination (a test notification), the clocks.
        case doctor
        /// A failover drill: the service to the other node and back, checked through the
        /// load balancer's view, reported (Docs/drill.md).
        case drill
    }

    public var version: Int
    public var command: Command
    /// `failback --force`.
    public var force: Bool?
    /// `maintenance on|off`.
    public var on: Bool?
    public var comment: String?
    /// `ack INCIDENT`, `events --incident`.
    public var incident: String?
    /// `switchover --to NODE`.
    public var to: String?
    /// `events --since`, in seconds.
    public var sinceSeconds: Double?
    /// How long the CLI waits for the outcome, in seconds.
    public var waitSeconds: Double?
    /// `notify-test --channel`: `email`, `snmp` or nil for both.
    public var channel: String?
    /// `ack --expires`: reminders resume this many seconds after the acknowledgement.
    public var expiresSeconds: Double?
    /// `events --limit`: at most this many events, the newest (default 1,000).
    public var limit: Int?
    /// `drill --dry-run`: say what the drill would do, change nothing.
    public var dryRun: Bool?
    /// `drill --scheduled`: started by the timer; skipped on the configured standby.
    public var scheduled: Bool?

    public init(
        command: Command, force: Bool? = nil, on: Bool? = nil, comment: String? = nil, incident: String? = nil,
        to: String? = nil, sinceSeconds: Double? = nil, waitSeconds: Double? = nil, channel: String? = nil,
        expiresSeconds: Double? = nil, limit: Int? = nil, dryRun: Bool? = nil, scheduled: Bool? = nil
    ) {
        self.version = ControlProtocol.version
        self.command = command
        self.force = force
        self.on = on
        self.comment = comment
        self.incident = incident
        self.to = to
        self.sinceSeconds = sinceSeconds
        self.waitSeconds = waitSeconds
        self.channel = channel
        self.expiresSeconds = expiresSeconds
        self.limit = limit
        self.dryRun = dryRun
        self.scheduled = scheduled
    }
}

/// What the daemon answers.
public struct ControlReply: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable {
        /// Done (or, for `status` and `events`, answered).
        case done
        /// Refused: the message says why and what would allow it.
        case refused
        /// Accepted, but the outcome did not come within the wait.
        case pending
        /// Not permitted for this user, or a malformed request.
        case denied
    }

    public var version: Int
    public var outcome: Outcome
    /// One or more lines for the person at the terminal.
    public var message: String
    public var status: AgentStatus?
    public var events: [AgentEvent]?
    /// `events`: older events matched but were left out by the limit.
    public var eventsLeftOut: Bool?

    public init(outcome: Outcome, message: String, status: AgentStatus? = nil, events: [AgentEvent]? = nil, eventsLeftOut: Bool? = nil) {
        self.version = ControlProtocol.version
        self.outcome = outcome
        self.message = message
        self.status = status
        self.events = events
        self.eventsLeftOut = eventsLeftOut
    }
}

/// Everything `vacataire status` shows.
public struct AgentStatus: Codable, Sendable, Equatable {
    public struct Peer: Codable, Sendable, Equatable {
        public var name: String
        public var role: String?
        public var healthy: Bool?
        public var epoch: UInt64?
        /// Seconds since its last valid message; nil if never heard since start.
        public var lastHeardSeconds: Double?
        public var addresses: [String]
        /// Silent for `dead_after` or more: role, health and epoch are what it last said.
        public var silent: Bool?
    }

    public struct Check: Codable, Sendable, Equatable {
        public var name: String
        public var severity: String
        public var health: String
        public var status: String?
        public var output: String?
        public var runs: Int
    }

    public struct Incident: Codable, Sendable, Equatable {
        public var id: String
        public var kind: String
        public var reason: String
        public var openedAt: Date
        public var acknowledgedBy: String?
        public var acknowledgeComment: String?
    }

    /// A member of a lease cluster (mode etcd), as etcd holds it.
    public struct Member: Codable, Sendable, Equatable {
        public var name: String
        public var leader: Bool
        public var role: String?
        public var ready: Bool
        public var priority: Int
        /// Seconds its lease has left in etcd.
        public var leaseSecondsLeft: Int64?
        public var version: String?
        public var endpoint: String?
    }

    /// One etcd endpoint as this node reaches it.
    public struct StoreEndpoint: Codable, Sendable, Equatable {
        public var url: String
        public var healthy: Bool
        public var detail: String
    }

    /// A floating address (`failover.addresses`) and whether this node holds it.
    public struct FloatingAddress: Codable, Sendable, Equatable {
        public var address: String
        public var interface: String
        public var held: Bool
    }

    public var node: String
    public var cluster: String
    public var configuredRole: String
    /// The floating addresses, and the last time this node took or let them go.
    public var addresses: [FloatingAddress]?
    public var addressesLastChange: String?
    /// Mode etcd: every member, and each etcd endpoint's health from here (nil in mode pair).
    public var members: [Member]?
    public var store: [StoreEndpoint]?
    /// Why etcd could not be surveyed for this status (mode etcd).
    public var storeProblem: String?
    public var state: String
    public var role: String
    public var epoch: UInt64
    public var healthy: Bool?
    public var lastReason: String
    public var peer: Peer
    public var checks: [Check]
    public var incidents: [Incident]
    public var peerRejections: [String: Int]
    /// Deliveries the outbox still owes (from the store or, when it takes no writes, from
    /// memory), and those it gave up after `outbox.max_age`.
    public var outboxPending: Int
    public var outboxExpired: Int
    /// Seconds since the oldest pending notification, if any.
    public var outboxOldestPendingSeconds: Double?
    /// Notices the rate limiter holds back, to be told in a digest (Docs/notifications.md).
    public var heldBackNotices: Int = 0
    /// Pages of role changes this node awaits the peer's delivery confirmation of; it pages
    /// each itself if none comes within `incidents.confirm_timeout`.
    public var confirmationsAwaited: Int = 0
    /// The SNMP engine id line: what a receiver of SNMPv3 traps must be configured with.
    public var snmpEngine: String?
    /// Why the state directory does not take writes (Docs/persistence.md); nil while it does.
    public var stateNotWritable: String?
    /// What the configuration leaves unsafe, one line each (`check-config` warns the same).
    public var warnings: [String]?
}

/// One line of the event history, as `vacataire events` prints it.
public struct AgentEvent: Codable, Sendable, Equatable {
    public var time: Date
    public var category: String
    public var kind: String?
    public var incident: String?
    public var reason: String
    public var detail: String?
    public var author: String?
}

extension JSONEncoder {
    /// The control protocol's encoding: one line, sorted keys, ISO 8601 dates.
    public static var control: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    public static var control: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

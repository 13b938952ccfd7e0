import Foundation

/// The identity and timings a lease coordinator decides with (`failover.mode: etcd`): N
/// nodes elect one active node through a leader key bound to a lease in a consensus store.
public struct LeaseSettings: Sendable, Equatable {
    /// This node's name (`node.name`), the value it writes in the leader key.
    public var nodeName: String
    /// Higher campaigns first; equal priorities go by name.
    public var priority: Int
    /// The lease's time to live in the store.
    public var ttl: Duration
    /// How often the lease is renewed (a keepalive).
    public var renewInterval: Duration
    /// How long a request to the store may take before it counts as failed.
    public var requestTimeout: Duration
    public var startTimeout: Duration
    public var stopTimeout: Duration
    /// How long a started service has to pass its checks.
    public var verifyTimeout: Duration
    /// How long a leader asking another member to take over waits for the key to move.
    public var handoffTimeout: Duration
    /// What this node publishes about itself beside its readiness, for status.
    public var version: String?
    public var endpoint: String?
    /// After the key moved in a handoff: how long the old leader stays in the load
    /// balancer (a planned move), then out of it, before it stops (make before break).
    public var drain: Duration

    /// Kept between a serving node's stop and the earliest instant its lease may expire in
    /// the store: the store times the lease from when it received the renewal, later than
    /// the node sent it, so a node timing from its sends is early, never late.
    public static let margin: Duration = .milliseconds(500)

    public init(
        nodeName: String, priority: Int = 0, ttl: Duration = .seconds(10), renewInterval: Duration = .seconds(2),
        requestTimeout: Duration = .seconds(2), startTimeout: Duration = .seconds(30), stopTimeout: Duration = .seconds(3),
        verifyTimeout: Duration = .seconds(10), handoffTimeout: Duration = .seconds(45), drain: Duration = .seconds(1)
    ) {
        self.nodeName = nodeName
        self.priority = priority
        self.ttl = ttl
        self.renewInterval = renewInterval
        self.requestTimeout = requestTimeout
        self.startTimeout = startTimeout
        self.stopTimeout = stopTimeout
        self.verifyTimeout = verifyTimeout
        self.handoffTimeout = handoffTimeout
        self.drain = drain
    }

    /// How long before its proven lease end a serving node begins to stop.
    public var stopLead: Duration { stopTimeout + Self.margin }

    /// The ttl must be longer than this: a failed renewal, one more try, then the stop.
    public static func shortestTTL(renewInterval: Duration, requestTimeout: Duration, stopTimeout: Duration) -> Duration {
        (renewInterval + requestTimeout) * 2 + stopTimeout + margin
    }

    /// Why these timings cannot keep the rule "a node that cannot prove its lease has
    /// stopped before the lease can have expired", or nil. A renewal that fails must leave
    /// time for one more (renew interval and request timeout, twice) before the stop must
    /// begin.
    public var timingProblem: String? {
        let needed = Self.shortestTTL(renewInterval: renewInterval, requestTimeout: requestTimeout, stopTimeout: stopTimeout)
        guard needed < ttl else {
            return "ttl (\(ttl.humanSeconds)) must be longer than 2 × (renew_interval + request_timeout) + the stop timeout + "
                + "\(Self.margin.humanSeconds) (\(needed.humanSeconds)): a leader whose renewals fail must have time to retry once, "
                + "then stop its service before the store can expire its lease and let another node serve"
        }
        return nil
    }
}

/// The leader key as the store holds it: who holds it, and the revision of the write that
/// made it theirs (the epoch: a fencing token that only grows).
public struct LeaderRecord: Sendable, Equatable {
    public var holder: String
    public var revision: Int64

    public init(holder: String, revision: Int64) {
        self.holder = holder
        self.revision = revision
    }
}

/// A member key: a node that may serve, as it published itself.
public struct MemberRecord: Sendable, Equatable {
    public var name: String
    public var priority: Int
    /// Its node checks pass and it is neither failed nor in maintenance.
    public var ready: Bool
    /// What it does now (`active`, `standby`...), for status: not used in decisions.
    public var role: String?
    /// Its agent's version and HTTP endpoint, for status.
    public var version: String?
    public var endpoint: String?

    public init(name: String, priority: Int, ready: Bool, role: String? = nil, version: String? = nil, endpoint: String? = nil) {
        self.name = name
        self.priority = priority
        self.ready = ready
        self.role = role
        self.version = version
        self.endpoint = endpoint
    }

    /// Campaign order: higher priority first, then the name.
    public static func ranksBefore(_ a: MemberRecord, _ b: MemberRecord) -> Bool {
        a.priority != b.priority ? a.priority > b.priority : a.name < b.name
    }
}

/// Why the service moves: the event the new holder pages.
public enum HandoffPurpose: String, Sendable, Equatable {
    /// The holder's critical checks fail.
    case failover
    case switchover
    case failback
}

/// The holder `from` (its key as it is) asks `to` to take the service over, and why; the
/// holder's failing checks go with it, for the page the new holder sends.
public struct HandoffRequest: Sendable, Equatable {
    public var to: String
    public var from: LeaderRecord
    public var purpose: HandoffPurpose
    public var failing: [FailingCheck]

    public init(to: String, from: LeaderRecord, purpose: HandoffPurpose, failing: [FailingCheck] = []) {
        self.to = to
        self.from = from
        self.purpose = purpose
        self.failing = failing
    }
}

/// An incident as the cluster sees it (a key under `incidents/`): every node knows it, so
/// that `vacataire ack` works on any node; only its owner (the node that paged it) reminds
/// of it and tells its acknowledgement.
public struct ClusterIncident: Sendable, Equatable {
    public struct Acknowledgement: Sendable, Equatable {
        public var author: String
        /// The node the acknowledgement was made on.
        public var on: String
        public var comment: String?
        public var expiresIn: Duration?

        public init(author: String, on: String, comment: String?, expiresIn: Duration?) {
            self.author = author
            self.on = on
            self.comment = comment
            self.expiresIn = expiresIn
        }
    }

    public var id: IncidentID
    public var kind: EventKind
    public var owner: String
    public var reason: String
    public var acknowledgement: Acknowledgement?
    /// When it was opened, by its owner's wall clock (set by the executor that writes it).
    public var openedAt: Date?

    public init(id: IncidentID, kind: EventKind, owner: String, reason: String, acknowledgement: Acknowledgement? = nil, openedAt: Date? = nil) {
        self.id = id
        self.kind = kind
        self.owner = owner
        self.reason = reason
        self.acknowledgement = acknowledgement
        self.openedAt = openedAt
    }
}

/// A request to the consensus store, as `FailoverAction.lease`. Each is answered by a
/// `LeaseEvent`; the executor gives the instant it sent the request, from which the node
/// times its lease.
public enum LeaseRequest: Sendable, Equatable {
    /// A new lease of `ttl`; answered by `.granted` or `.failed`.
    case grant(ttl: Duration)
    /// Renew the lease; answered by `.renewed` or `.failed`.
    case keepAlive(lease: Int64)
    /// Write this node's member key, bound to its lease.
    case publish(MemberRecord, lease: Int64)
    /// Take the leader key if nobody holds it (a transaction on its absence), bound to the
    /// lease; answered by `.claimAnswered`.
    case campaign(name: String, lease: Int64)
    /// The holder moves its leader key `from` to `name`, bound to `name`'s lease (a
    /// transaction on the key being still at that revision); answered by `.claimAnswered`.
    /// Only the holder moves its key: one that is cut from the store keeps it, and stops
    /// before its lease can expire, rather than serve unaware beside its successor.
    case takeOver(from: LeaderRecord, name: String, lease: Int64)
    /// A member asked to take over tells the holder its service runs and passes its
    /// checks, and which lease to bind the key to (a key the holder watches).
    case announceReady(from: LeaderRecord, name: String, lease: Int64)
    /// Ask a member to take the service over (a handoff key the others watch).
    case requestHandoff(HandoffRequest)
    /// Delete the leader key if it is still `record` (leaving without a successor).
    case resign(LeaderRecord)
    /// Write an incident's key (opened, or acknowledged), which every node watches.
    case recordIncident(ClusterIncident)
    /// Delete a closed incident's key.
    case forgetIncident(IncidentID)
}

extension LeaseRequest {
    /// The request's name, for the log.
    public var name: String {
        switch self {
        case .grant: return "lease grant"
        case .keepAlive: return "lease keepalive"
        case .publish: return "member key write"
        case .campaign: return "campaign"
        case .takeOver: return "leader key move"
        case .announceReady: return "handoff-ready write"
        case .requestHandoff: return "handoff request"
        case .resign: return "leader key deletion"
        case .recordIncident: return "incident write"
        case .forgetIncident: return "incident deletion"
        }
    }
}

/// What the store answered or showed, as `CoordinatorInput.lease`.
public enum LeaseEvent: Sendable, Equatable {
    /// A lease was granted, from a request sent at `sentAt`.
    case granted(lease: Int64, sentAt: MonotonicInstant)
    /// The lease was renewed, from a keepalive sent at `sentAt`.
    case renewed(lease: Int64, sentAt: MonotonicInstant)
    /// A request failed or timed out (every error counts: no leader, refused, TLS...);
    /// `storeAnswered`: some etcd host answered (an error, a refused connection), so the
    /// store is there and unavailable, rather than this node cut off from it.
    case failed(LeaseRequest, why: String, storeAnswered: Bool)
    /// The leader key now (a watch event or a read): nil when nobody holds it.
    case leader(LeaderRecord?)
    /// The member keys now.
    case members([MemberRecord])
    /// The holder asks a member to take the service over.
    case handoffRequested(HandoffRequest)
    /// `name`, asked to take over from `from`, is verified and ready: move the key to it.
    case targetReady(name: String, lease: Int64, from: LeaderRecord)
    /// The answer to `.campaign` or `.takeOver`: whether the key is now this node's, and
    /// the key as it is.
    case claimAnswered(won: Bool, leader: LeaderRecord?)
    /// An incident's key was written (a read or a watch event).
    case incident(ClusterIncident)
    /// An incident's key was deleted: it is closed.
    case incidentGone(IncidentID)
}

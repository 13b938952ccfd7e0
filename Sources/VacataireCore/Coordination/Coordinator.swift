/// Decides who serves and when the service moves: the one part of the agent that decides.
///
/// The agent owns one coordinator and drives it only through this interface. It feeds it
/// every `CoordinatorInput` as it happens (and `.tick` when `nextTick(after:)` comes due),
/// executes the `FailoverAction`s each call returns, in order, and answers the actions that
/// need an answer with another input. It reads the views below for status, metrics, the
/// load balancer and the check scheduler, and decides nothing itself.
///
/// A coordinator is pure: no clock (every call takes `now`), no socket, no process, no
/// store. Today's is the pair's `FailoverMachine` (two nodes, a peer link, a witness). A
/// coordinator for another way of agreeing on who serves (a lease held in a key-value
/// store, for three nodes or more) implements the same protocol, so that the executor, the
/// checks, the notifier and the CLI stay as they are.
public protocol Coordinator: Sendable {
    /// The first actions after start (say what it waits for, greet the peer).
    mutating func boot(now: MonotonicInstant) -> [FailoverAction]

    /// After a restart: the incidents the store still holds open, and the ids used lately
    /// (never given to a new incident). Called once, before the first input.
    mutating func restore(openIncidents: [IncidentID], used: [IncidentID])

    /// One input; the actions to execute, in order.
    mutating func handle(_ input: CoordinatorInput, now: MonotonicInstant) -> [FailoverAction]

    /// When the agent must next feed `.tick`, at the latest. Asked after every tick and
    /// every input, and followed either way; so it must not move later with `now` alone (a
    /// schedule on the last tick), or a stream of inputs would hold the tick back.
    func nextTick(after now: MonotonicInstant) -> MonotonicInstant

    // MARK: Views

    /// The state's name, for status, logs and metrics.
    var stateName: FailoverStateName { get }
    /// The role last persisted.
    var role: PersistedRole { get }
    /// The epoch of the last role change this node knows of.
    var epoch: UInt64 { get }
    /// The role this node tells others: `active` whenever its service is on or starting.
    var advertisedRole: ServiceRole { get }
    /// The last health verdict it was given; nil until the first.
    var health: HealthVerdict? { get }
    /// The reason of the last transition or decision.
    var lastReason: String { get }
    /// The incidents this node opened and has not closed, oldest first.
    var openIncidents: [IncidentID] { get }
    /// The incidents `vacataire ack` may name on this node, oldest first.
    var acknowledgeable: [IncidentID] { get }
    /// The incidents every node of the cluster knows (a lease coordinator's store), with
    /// their owner and acknowledgement; empty for the pair, whose nodes tell each other.
    var clusterIncidents: [ClusterIncident] { get }
    /// Whether the service checks run now (where the service runs or is being verified).
    var runsServiceChecks: Bool { get }
    /// Whether the agent may exit now: no transition is in flight.
    var mayExit: Bool { get }
    /// How long a transition in flight may still take once `.exitRequested` came: the
    /// agent exits after it at the latest.
    var exitDeadline: Duration { get }
    /// What the load balancer should be told about this node now.
    func loadBalancerView(at now: MonotonicInstant) -> LoadBalancerView
    /// The other node as this one knows it.
    func peerStatus(at now: MonotonicInstant) -> PeerStatus
}

extension Coordinator {
    public var acknowledgeable: [IncidentID] { openIncidents }
    public var clusterIncidents: [ClusterIncident] { [] }

    /// The role a page about a role change announces for this node now: where a takeover
    /// is under way, the role it takes.
    public var announcedRole: ServiceRole {
        stateName == .takingOver ? .active : role.told
    }
}

/// Everything that happens to a coordinator.
public enum CoordinatorInput: Sendable, Equatable {
    /// The coordinator's timer came due (`nextTick(after:)`).
    case tick
    /// The check scheduler's verdict changed (or is the first).
    case health(HealthVerdict)
    /// A start or stop asked by `.runStartActions`/`.runStopActions` finished.
    case actionFinished(ServiceActionKind, ActionOutcome)
    /// The probe asked by `.probeGuard` answered.
    case guardAnswered(GuardReport)
    /// The fence asked by `.fencePeer` finished.
    case fenceFinished(succeeded: Bool, detail: String)
    /// A message from the peer, authenticated and fresh.
    case peerMessage(FailoverMessage)
    /// The peer's datagrams arrive but are refused, and why (clocks apart, another key).
    case peerRefused(String)
    /// A page about `incident` was delivered from here.
    case pageDelivered(IncidentID)
    /// A command from the control socket, by `author`.
    case admin(AdminCommand, author: String)
    /// The agent is asked to exit (SIGTERM).
    case exitRequested
    /// What the consensus store answered or showed (lease coordinators only).
    case lease(LeaseEvent)
    /// The answer to `.claimAddresses`: nil when this node holds them now, else who else
    /// answers for which address.
    case addressesClaimed(conflict: String?)
}

/// A state change an admin asks for (`vacataire failback`, ...).
public enum AdminCommand: Sendable, Equatable {
    /// Bring the service back to the configured master (`force`: despite failing checks).
    case failback(force: Bool)
    /// A repaired failed node becomes standby again.
    case ready
    /// Move the service to the other node (`to`: the node that must serve, if named).
    case switchover(to: String?)
    /// Pause (or resume) automatic actions.
    case maintenance(on: Bool)
    /// Acknowledge an incident (nil: the newest open one); reminders resume after `expiresIn`.
    case acknowledge(IncidentID?, comment: String?, expiresIn: Duration?)
    /// One leg of a drill: a switchover to the other node whose role change pages nobody
    /// (the drill reports it).
    case drillLeg
    /// A drill ended (its verdict, then its figures): a notice when it passed, which closes
    /// the incidents of drills that failed before; one incident, paged, when it failed.
    case drillEnded(passed: Bool, report: String)
}

/// What the load balancer's answers (`/health`, agent-check) are made of.
public struct LoadBalancerView: Sendable, Equatable {
    public var state: FailoverStateName
    public var role: ServiceRole
    public var healthy: Bool?
    /// Whether the load balancer should send this node traffic.
    public var up: Bool

    public init(state: FailoverStateName, role: ServiceRole, healthy: Bool?, up: Bool) {
        self.state = state
        self.role = role
        self.healthy = healthy
        self.up = up
    }
}

/// The other node, as this one last heard it.
public struct PeerStatus: Sendable, Equatable {
    /// Its configured name.
    public var name: String
    /// What it last said in a current epoch (nil: nothing yet).
    public var role: ServiceRole?
    public var healthy: Bool?
    public var epoch: UInt64?
    /// How long ago anything at all was heard from it (nil: never).
    public var lastHeard: Duration?
    /// Silent for `dead_after` or longer.
    public var silent: Bool

    public init(name: String, role: ServiceRole?, healthy: Bool?, epoch: UInt64?, lastHeard: Duration?, silent: Bool) {
        self.name = name
        self.role = role
        self.healthy = healthy
        self.epoch = epoch
        self.lastHeard = lastHeard
        self.silent = silent
    }

    /// Its role when it is heard, nil when silent or never heard.
    public var heardRole: ServiceRole? { silent ? nil : role }
}

/// The timings and guard choices the failover machine decides with.
///
/// Built from the validated `FailoverConfig` (`FailoverConfig.settings(nodeName:)`), or directly in tests.
public struct FailoverSettings: Sendable, Equatable {
    public var role: ConfiguredRole
    /// This node's name (`node.name`), for the admin's answers.
    public var nodeName: String
    /// The peer's node name, for reason sentences.
    public var peerName: String
    /// Heartbeats are sent this often (the machine sends them from `tick`).
    public var heartbeatInterval: Duration
    /// How many copies follow each heartbeat when nothing else is sent in time (`HeartbeatRefill`).
    public var heartbeatCopies = 2
    /// The peer is silent, so possibly dead, after this long without any message.
    public var deadAfter: Duration
    /// An active node that hears neither its peer nor its witness this long stops its service.
    public var selfFenceAfter: Duration
    /// How long to wait for an answer to a handoff or quiesce request before resending.
    public var handoffTimeout: Duration
    /// How many times a request is resent before giving up.
    public var handoffRetries: Int
    /// How long a booting node waits to hear its peer before deciding alone.
    public var startupWait: Duration
    /// How long a started service has to pass its service checks before the node gives up.
    public var verifyTimeout: Duration
    /// How long a node that hands its service to a verified peer keeps it before stopping,
    /// so that the load balancer moves first (make before break).
    public var drain: Duration
    /// The start and stop actions' timeouts: how long each may take at most.
    public var startTimeout: Duration
    public var stopTimeout: Duration
    public var hasWitness: Bool
    public var hasServiceProbe: Bool
    public var hasFence: Bool
    /// Required when `hasWitness` is false.
    public var noWitnessPolicy: NoWitnessPolicy?
    /// The floating addresses that move with the service (`failover.addresses`), as
    /// reasons and pages name them.
    public var addressNames: [String] = []
    public var hasAddresses: Bool { !addressNames.isEmpty }

    public init(
        role: ConfiguredRole,
        nodeName: String = "this node",
        peerName: String = "the peer",
        heartbeatInterval: Duration = .milliseconds(200),
        deadAfter: Duration = .seconds(3),
        selfFenceAfter: Duration = .seconds(2),
        handoffTimeout: Duration = .seconds(5),
        handoffRetries: Int = 2,
        startupWait: Duration? = nil,
        verifyTimeout: Duration = .seconds(10),
        drain: Duration = .zero,
        startTimeout: Duration = .seconds(30),
        stopTimeout: Duration = .seconds(10),
        hasWitness: Bool = true,
        hasServiceProbe: Bool = true,
        hasFence: Bool = false,
        noWitnessPolicy: NoWitnessPolicy? = nil
    ) {
        self.role = role
        self.nodeName = nodeName
        self.peerName = peerName
        self.heartbeatInterval = heartbeatInterval
        self.deadAfter = deadAfter
        self.selfFenceAfter = selfFenceAfter
        self.handoffTimeout = handoffTimeout
        self.handoffRetries = handoffRetries
        self.startupWait = startupWait ?? deadAfter
        self.verifyTimeout = verifyTimeout
        self.drain = drain
        self.startTimeout = startTimeout
        self.stopTimeout = stopTimeout
        self.hasWitness = hasWitness
        self.hasServiceProbe = hasServiceProbe
        self.hasFence = hasFence
        self.noWitnessPolicy = noWitnessPolicy
    }

    /// How long a split-brain guard probe (the witness, the peer's service) may take: a
    /// quarter of `dead_after`, within 200 ms and 2 s, so that the verdict comes well
    /// within the silence it judges.
    public var guardProbeTimeout: Duration {
        min(.seconds(2), max(.milliseconds(200), deadAfter / 4))
    }

    /// How long past `deadAfter` a peer whose service still answers may stay silent before
    /// the people on call are warned that nothing protects it: twice `deadAfter`, at least
    /// 10 s, well beyond an agent's restart (an upgrade, `systemctl restart`).
    public var silentAgentGrace: Duration { max(.seconds(10), deadAfter * 2) }

    /// How often the daemon calls `tick`: a quarter of the heartbeat interval, 10 to 250 ms.
    public var tickPeriod: Duration { Self.tickPeriod(heartbeat: heartbeatInterval) }

    public static func tickPeriod(heartbeat: Duration) -> Duration {
        min(.milliseconds(250), max(.milliseconds(10), heartbeat / 4))
    }

    /// The network jitter the timing rules allow for (Docs/failover.md, "Timing rules").
    public static let jitterAllowance: Duration = .milliseconds(20)

    /// The shortest `dead_after` an idle pair never mistakes for a death: a heartbeat
    /// interval, a tick late, with twice the jitter allowance and 10 ms to spare.
    public static func minimumDeadAfter(heartbeat: Duration) -> Duration {
        max(heartbeat * 2, heartbeat + tickPeriod(heartbeat: heartbeat) + jitterAllowance * 2 + .milliseconds(10))
    }

    /// The shortest `self_fence_after` an active node keeps without fencing itself while
    /// its peer or witness answers: the witness is probed once a heartbeat is a tick late,
    /// and its answer may take the jitter allowance twice.
    public static func minimumSelfFenceAfter(heartbeat: Duration) -> Duration {
        heartbeat + tickPeriod(heartbeat: heartbeat) * 2 + jitterAllowance * 2 + .milliseconds(10)
    }

    /// Whether a silent peer may ever be replaced without an admin.
    var mayTakeOverOnSilence: Bool {
        hasWitness || noWitnessPolicy == .takeover
    }
}

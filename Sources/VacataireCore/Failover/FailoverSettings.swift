/// The timings and guard choices the failover machine decides with.
///
/// Built from the validated `FailoverConfig` (`FailoverConfig.settings`), or directly in tests.
public struct FailoverSettings: Sendable, Equatable {
    public var role: ConfiguredRole
    /// The peer's node name, for reason sentences.
    public var peerName: String
    /// Heartbeats are sent this often (the machine sends them from `tick`).
    public var heartbeatInterval: Duration
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
    public var hasWitness: Bool
    public var hasServiceProbe: Bool
    public var hasFence: Bool
    /// Required when `hasWitness` is false.
    public var noWitnessPolicy: NoWitnessPolicy?

    public init(
        role: ConfiguredRole,
        peerName: String = "the peer",
        heartbeatInterval: Duration = .milliseconds(200),
        deadAfter: Duration = .seconds(3),
        selfFenceAfter: Duration = .seconds(2),
        handoffTimeout: Duration = .seconds(5),
        handoffRetries: Int = 2,
        startupWait: Duration? = nil,
        hasWitness: Bool = true,
        hasServiceProbe: Bool = true,
        hasFence: Bool = false,
        noWitnessPolicy: NoWitnessPolicy? = nil
    ) {
        self.role = role
        self.peerName = peerName
        self.heartbeatInterval = heartbeatInterval
        self.deadAfter = deadAfter
        self.selfFenceAfter = selfFenceAfter
        self.handoffTimeout = handoffTimeout
        self.handoffRetries = handoffRetries
        self.startupWait = startupWait ?? deadAfter
        self.hasWitness = hasWitness
        self.hasServiceProbe = hasServiceProbe
        self.hasFence = hasFence
        self.noWitnessPolicy = noWitnessPolicy
    }

    /// Whether a silent peer may ever be replaced without an admin.
    var mayTakeOverOnSilence: Bool {
        hasWitness || noWitnessPolicy == .takeover
    }
}

/// The failover state machine of one node: roles, handoff, takeover, failback, epochs.
///
/// Pure: no clock, no socket, no process. Each input is a `mutating func` that takes `now`
/// and returns the `FailoverAction`s the daemon executes in order.
/// It owns the node's role and epoch, what it last heard from its peer, the request in
/// flight, and which incidents it has opened. Every state change comes with a one-line
/// reason (`.transition`), kept in `lastReason` for `vacataire status`.
///
/// Rules it keeps (each has a test in FailoverMachineTests):
/// - a role change moves the epoch strictly up, and `.persist` precedes the action;
/// - a node becomes active only at an epoch where its peer cannot be active, so at most one
///   node believes it is active per epoch; two actives at once resolve to the newer epoch,
///   or the configured master on a tie;
/// - messages from an older epoch only prove the peer alive; they decide nothing;
/// - a node never starts its service while its critical checks fail (a forced failback
///   excepted) nor, after a restart, before it has heard its peer or waited `startupWait`;
/// - a node that failed stays failed, across restarts, until an admin fails back.
public struct FailoverMachine: Sendable {
    /// Where the node is; each case carries what that phase needs.
    public enum State: Sendable, Equatable {
        /// Just booted: service off (or unknown), learning the peer's state.
        case starting(Starting)
        /// Service off, ready to take over.
        case standby(Standby)
        /// Service on.
        case active(Active)
        /// Service on; the peer was asked to take over and has not confirmed yet.
        case handingOff(Handoff)
        /// Becoming active, make before break: start actions, then the service checks must
        /// pass, then (failback, switchover towards this node) the peer quiesces.
        case takingOver(TakeOver)
        /// Running stop actions; `then` is the role persisted for afterwards.
        case quiescing(Quiesce)
        /// Service off after a failure; waits for an admin (`ready`, or failback).
        case failed(Failed)
        /// Automatic actions paused by the admin; the service stays as the paused phase had it.
        case maintenance(Maintenance)
    }

    /// The phase that maintenance paused, resumed as it was when maintenance ends: an active
    /// node keeps what it knows of this epoch (a peer it fenced is not fenced again).
    public enum Maintenance: Sendable, Equatable {
        case active(Active)
        case standby
        case failed

        /// The role the paused phase persisted.
        public var resume: PersistedRole {
            switch self {
            case .active: .active
            case .standby: .standby
            case .failed: .failed
            }
        }
    }

    public struct Active: Sendable, Equatable {
        /// A handoff given up on (the peer could not take the service), with the epoch and
        /// the peer as they were: not tried again until one of them changes, or the checks
        /// recover.
        var handoffBlocked: HandoffBlock?
        /// The peer's stop failed after it handed the service over, and it was fenced:
        /// once while this node serves.
        var fencedPeer = false

        public init() {}
    }

    public struct Starting: Sendable, Equatable {
        /// Decide alone after this instant if the peer stays silent.
        public var until: MonotonicInstant
        /// The role read back from the store.
        public var persistedRole: PersistedRole
    }

    public struct Failed: Sendable, Equatable {
        /// Why this node failed, for the page that nobody serves.
        public var why: String
        /// What the people on call were told about the pair while this node cannot serve,
        /// since the peer last served or could: a new stretch is told again.
        public var told: Told
        /// The peer is silent and its service is being probed (`.probeGuard`) to tell
        /// whether anybody serves.
        public var probing = false
        /// When the peer's silent service may be probed again.
        public var nextProbe: MonotonicInstant?

        public enum Told: Sendable, Equatable {
            case nothing
            /// Paged: nobody serves.
            case nobodyServes
            /// Warned: the peer's agent is silent, its service answers, nothing protects it.
            case peerServesUnprotected
        }

        init(why: String, told: Told) {
            self.why = why
            self.told = told
        }
    }

    public struct Standby: Sendable, Equatable {
        public var guardPhase: GuardPhase

        public static let idle = Standby(guardPhase: .idle(nextProbe: nil))
    }

    /// The split-brain guard's progress while the peer is silent.
    public enum GuardPhase: Sendable, Equatable {
        /// Not probing; the next probe is allowed at `nextProbe` (nil: now).
        case idle(nextProbe: MonotonicInstant?)
        /// `.probeGuard` was emitted; waiting for `guardAnswered`.
        case probing
        /// `.fencePeer` was emitted; waiting for `fenceFinished`.
        case fencing(GuardReport)
    }

    public struct Handoff: Sendable, Equatable {
        public var request: UInt64
        /// 1 for the first send; resends increment it up to `1 + handoffRetries`.
        public var attempt: Int
        public var deadline: MonotonicInstant
        /// A switchover (planned, ends in standby) rather than a failure (ends in failed).
        public var planned: Bool
        public var author: String?
        /// A leg of a drill: the drill reports the move, so that no page claims it.
        public var drill = false
        /// The active phase this node left to ask, given back if the handoff is given up
        /// (a peer fenced at this epoch stays fenced).
        var leaving = Active()
    }

    public struct TakeOver: Sendable, Equatable {
        public var purpose: Purpose
        public var phase: Phase
        /// The role to go back to when the take-over is abandoned.
        public var previous: PersistedRole
        /// The page of the move (a handoff, a takeover): it goes out once this node's service
        /// passed its checks, so that it never claims a role not reached.
        public var pageOnceServing: RoleChangePage?
        /// The handoff's requester was told this node serves (sent before the addresses
        /// are claimed, so that the requester lets them go).
        public var handoffAnswered = false

        public struct RoleChangePage: Sendable, Equatable {
            public var incident: IncidentID
            public var event: EventKind
            /// Why, in words that hold once this node serves.
            public var reason: String
            public var failing: [FailingCheck]
        }

        public enum Purpose: Sendable, Equatable {
            /// The peer asked (handoff-request with this id).
            case handoff(request: UInt64)
            /// The peer went silent and the guard allowed it.
            case silence
            /// The admin failed back; `forced` when the checks were not healthy.
            case failback(author: String, forced: Bool)
            /// The admin switched over towards this node.
            case switchover(author: String)
            /// Restarted while active and the peer is not: start again.
            case resume
            /// Both nodes were off and this one is the one to serve.
            case nobodyServes

            /// The event a start for this purpose serves, for the start actions' environment
            /// (`VACATAIRE_EVENT`) when `activate` raises none itself: a failback is paged
            /// only once verified, but its start command should know what it is for.
            var event: EventKind? {
                switch self {
                case .handoff: .failover
                case .silence: .takeover
                case .failback: .failback
                case .switchover: .switchover
                case .resume, .nobodyServes: nil
                }
            }
        }

        public enum Phase: Sendable, Equatable {
            /// Start actions are running.
            case starting
            /// The service started; its service checks must pass `rise` times before `deadline`.
            case verifying(deadline: MonotonicInstant)
            /// The service runs and passed its checks; the peer was asked to stop its own.
            case awaitingQuiesce(request: UInt64, attempt: Int, deadline: MonotonicInstant)
            /// The peer could not stop its service: the fence command runs against it, and
            /// only its success lets this node serve alone.
            case fencingPeer(request: UInt64)
            /// Verified, and the way is clear: the floating addresses are being taken (a
            /// probe that nobody else answers for them, then add and announce).
            case claimingAddresses
        }
    }

    public struct Quiesce: Sendable, Equatable {
        public var purpose: Purpose
        /// `standby` or `failed`, already persisted.
        public var then: PersistedRole
        /// Why the node steps down: what a `failed` node says it failed of.
        public var why: String
        /// Draining, in two steps of `drain` each: until `downAt` the load balancer still
        /// has this node (it must first see the peer's service, verified and up), then it
        /// is told to leave it; the stop actions run at `stopAt`. Nil: not draining.
        public var downAt: MonotonicInstant?
        public var stopAt: MonotonicInstant?
        /// The stop actions to run at `stopAt`.
        public var pendingStop: ServiceActionContext?

        public enum Purpose: Sendable, Equatable {
            /// The peer confirmed it took over.
            case handedOff
            /// The peer asked for its service back (quiesce-request with this id).
            case forPeer(request: UInt64)
            /// Heard neither peer nor witness for `selfFenceAfter`.
            case selfFence
            /// Someone else is active at a newer epoch, or won a tie.
            case stepDown
            /// Start actions or the service checks after them failed, or the peer would not
            /// quiesce: stopping what may have started.
            case abortedStart
        }
    }

    /// What the node last heard from its peer in a message of a current epoch.
    public struct PeerView: Sendable, Equatable {
        public var epoch: UInt64
        public var role: ServiceRole
        public var healthy: Bool
    }

    struct AnswerKey: Sendable, Hashable {
        var kind: FailoverMessage.Kind
        var request: UInt64
    }

    struct HandoffBlock: Sendable, Equatable {
        var epoch: UInt64
        var peer: PeerView?
    }

    public let settings: FailoverSettings
    public internal(set) var state: State
    /// The epoch of the last role change this node knows of.
    public internal(set) var epoch: UInt64
    /// The role last persisted.
    public internal(set) var role: PersistedRole
    /// The last verdict of the check scheduler; nil until the first.
    public internal(set) var health: HealthVerdict?
    /// What the peer last said; nil until it said anything in a current epoch.
    public internal(set) var peer: PeerView?
    /// When anything at all (any epoch) was last heard from the peer.
    public internal(set) var peerLastHeard: MonotonicInstant?
    /// Incidents this node opened and has not closed, oldest first.
    public internal(set) var openIncidents: [IncidentID] = []
    /// The open incidents this node paged (so it also sends their news and recovery).
    var pagedIncidents: Set<IncidentID> = []
    /// Peer-loss incidents that ended in a role change (a takeover, a self-fence): the
    /// peer's return does not close them; the failback does.
    var roleChangedIncidents: Set<IncidentID> = []
    /// The incident of the last role change, this node's or the peer's (learned from its
    /// heartbeats): a failback threads into it, even after a restart.
    public internal(set) var roleChangeIncident: IncidentID?
    /// The highest occurrence used per epoch and topic, so that an id is never reused.
    var usedOccurrences: [String: Int] = [:]
    /// The reason of the last transition or decision.
    public internal(set) var lastReason: String

    let bootedAt: MonotonicInstant
    /// No store yet: this node's very first start.
    let firstStart: Bool
    var nextRequestID: UInt64
    var answered: [(key: AnswerKey, reply: FailoverMessage)] = []
    var nextHeartbeatAt: MonotonicInstant
    /// When `tick` last ran: the grid the next tick is planned on (`nextTick`).
    var lastTickAt: MonotonicInstant
    var activeSince: MonotonicInstant
    /// This node holds the floating addresses (asked for, and not let go since).
    var addressesHeld = false
    /// This run of the agent claimed them (a restarted active node claims them again).
    var addressesClaimed = false
    /// The role the store held at start: a node that was not active lets go of addresses
    /// it may still hold (after a crash).
    let roleAtBoot: PersistedRole
    var lastWitnessContact: MonotonicInstant?
    var lastWitnessProbe: MonotonicInstant?
    var lastGuardRefusal: String?
    /// The last reason the peer's datagrams were refused (clocks apart, keys that differ)
    /// and when: a silence that comes with it is told with its cause.
    var peerRefusal: (why: String, at: MonotonicInstant)?
    /// The agent is exiting (`exitRequested`): nothing new begins.
    public internal(set) var exiting = false

    /// A machine for a node that just started, with what its store held (nil: first start).
    ///
    /// `requestIDSeed` makes request ids unique across restarts: pass the boot id shifted
    /// left by 32 bits. Call `boot(now:)` next.
    public init(settings: FailoverSettings, persisted: PersistedFailoverState?, requestIDSeed: UInt64 = 0, now: MonotonicInstant) {
        let restored = persisted ?? PersistedFailoverState(role: .standby, epoch: 0)
        self.settings = settings
        self.epoch = restored.epoch
        self.role = restored.role
        self.state = .starting(Starting(until: now + settings.startupWait, persistedRole: restored.role))
        self.bootedAt = now
        self.firstStart = persisted == nil
        self.nextRequestID = requestIDSeed
        self.nextHeartbeatAt = now
        self.lastTickAt = now
        self.activeSince = now
        self.lastReason = "starting"
        self.roleAtBoot = restored.role
    }

    /// After a restart: the incidents the store still holds open, so that the failback or
    /// recovery that ends them closes them, as it would have without the restart.
    public mutating func restore(openIncidents ids: [IncidentID], used: [IncidentID] = []) {
        for id in used + ids {
            let key = "\(id.epoch)-\(id.topic.rawValue)"
            usedOccurrences[key] = max(usedOccurrences[key] ?? 0, id.occurrence)
        }
        for id in ids where !openIncidents.contains(id) {
            openIncidents.append(id)
            pagedIncidents.insert(id)  // reminded from here as before the restart
            if id.topic == .roleChange || id.topic == .peerLost { roleChangeIncident = id }
            if id.topic == .peerLost { roleChangedIncidents.insert(id) }  // kept until a failback
        }
    }

    /// The first actions after start: say why we wait, and send the first heartbeat.
    public mutating func boot(now: MonotonicInstant) -> [FailoverAction] {
        let before = firstStart ? "first start" : "was \(role.rawValue) before the restart"
        let reason = "starting: epoch \(epoch), \(before); "
            + "learning \(settings.peerName)'s state for up to \(settings.startupWait.humanSeconds)"
        lastReason = reason
        var actions: [FailoverAction] = [.transition(from: .starting, to: .starting, reason: reason)]
        if let release = bootReleasesAddresses() { actions.append(release) }
        sendHeartbeatIfDue(now, &actions)
        return actions
    }

    // MARK: - Views

    /// The state's name, for status output and logs.
    public var stateName: FailoverStateName {
        switch state {
        case .starting: return .starting
        case .standby: return .standby
        case .active: return .active
        case .handingOff: return .handingOff
        case .takingOver: return .takingOver
        case .quiescing: return .quiescing
        case .failed: return .failed
        case .maintenance: return .maintenance
        }
    }

    /// The role told to the peer: `active` whenever this node's service is on or starting.
    public var advertisedRole: ServiceRole {
        switch state {
        case .starting: return .starting
        case .active, .handingOff: return .active
        case .takingOver:
            return .takingOver  // not serving yet: the peer keeps its service until told (make before break)
        case .standby, .quiescing, .failed, .maintenance: return role.told
        }
    }

    /// The active phase's data while active (a fresh one otherwise), for a handoff that
    /// may give it back.
    var activeData: Active {
        if case .active(let active) = state { return active }
        return Active()
    }

    /// Whether this node's service is (or may be) running and staying so.
    var isServing: Bool {
        switch state {
        case .active, .handingOff, .takingOver: return true
        case .maintenance(let paused): return paused.resume == .active
        case .starting, .standby, .quiescing, .failed: return false
        }
    }

    /// Everything that applies is healthy: the node checks, and the service checks where
    /// they run. On a node whose service is off this is its readiness to serve.
    var isHealthy: Bool { health?.healthy == true }

    /// Whether this node's service checks should run now: wherever the service runs or is
    /// being verified, and while a restarted node that was active learns whether it still serves.
    public var runsServiceChecks: Bool {
        switch state {
        case .active, .handingOff: return true
        case .takingOver(let takeOver):
            if case .starting = takeOver.phase { return takeOver.purpose == .resume }  // it never stopped
            return true
        case .starting(let starting): return starting.persistedRole == .active
        case .maintenance(let paused): return paused.resume == .active
        case .quiescing(let quiesce): return quiesce.stopAt != nil  // draining: it still serves
        case .standby, .failed: return false
        }
    }

    /// What the load balancer should do with this node now (`/health`, agent-check).
    ///
    /// Up while the service runs and this node owns it, and from the moment a taking-over
    /// node's service passed its checks (so the load balancer has the new node before the
    /// old one stops); down while a node drains and stops. A restarted node that was active
    /// stays up while it learns its peer's state, unless its service checks fail.
    public func loadBalancerUp(at now: MonotonicInstant) -> Bool {
        let current = state
        let serviceFails = serviceChecksFail
        let nodeMayServe = health?.nodeHealthy != false
        switch current {
        case .active, .handingOff: return true  // better a sick master than no master, until the peer serves
        case .takingOver(let takeOver):
            switch takeOver.phase {
            case .awaitingQuiesce, .fencingPeer, .claimingAddresses: return true
            case .starting, .verifying: return takeOver.purpose == .resume && !serviceFails  // a restart: it never stopped
            }
        case .starting(let starting):
            return starting.persistedRole == .active && !serviceFails && nodeMayServe
        case .maintenance(let paused): return paused.resume == .active
        case .quiescing(let quiesce): return quiesce.downAt.map { now < $0 } ?? false
        case .standby, .failed: return false
        }
    }

    /// What the load balancer's answers (`/health`, agent-check) are made of, in one call.
    ///
    /// Kept out of line: Swift 6.3.1's optimizer crashed (CopyPropagation, "non consuming
    /// use outside of the lifetime") when these reads of `state` were inlined together into
    /// the agent's `servingVerdict` in a release build.
    @inline(never)
    public func loadBalancerView(at now: MonotonicInstant) -> LoadBalancerView {
        LoadBalancerView(state: stateName, role: role.told, healthy: health?.healthy, up: loadBalancerUp(at: now))
    }

    /// Some service check has a failing result (not merely none yet).
    var serviceChecksFail: Bool {
        guard case .failing(let checks) = health?.service else { return false }
        return checks.contains { $0.output != FailingCheck.noResultYet }
    }

    func peerSilence(_ now: MonotonicInstant) -> Duration {
        now.since(peerLastHeard ?? bootedAt)
    }

    public func peerIsSilent(_ now: MonotonicInstant) -> Bool {
        peerSilence(now) >= settings.deadAfter
    }

    var peerName: String { settings.peerName }

    /// Whether the peer, as last heard, serves or will take the service if this node does
    /// not: active, taking over, or a healthy standby, and not silent. When not, a node that
    /// gives up its service leaves nobody serving, and pages it.
    func peerWillServe(_ now: MonotonicInstant) -> Bool {
        guard let peer, !peerIsSilent(now) else { return false }
        switch peer.role {
        case .active, .takingOver: return true
        case .standby: return peer.healthy
        case .failed, .starting: return false
        }
    }

    /// "no heartbeat from alpha for 3.0 s", and why when its datagrams arrive but are
    /// refused ("...; its datagrams arrive but are refused: clocks differ by 90 s: check NTP").
    func silence(_ now: MonotonicInstant) -> String {
        var text = "no heartbeat from \(peerName) for \(peerSilence(now).humanSeconds)"
        if let cause = silenceCause(now) { text += "; its datagrams arrive but are refused: \(cause)" }
        return text
    }

    /// Why the peer's datagrams were lately refused, if they were.
    func silenceCause(_ now: MonotonicInstant) -> String? {
        guard let refusal = peerRefusal, now.since(refusal.at) < settings.deadAfter * 2 else { return nil }
        return refusal.why
    }

    /// "beta is failed", "beta is standby and unhealthy", "beta is silent for 4.2 s".
    func peerDescription(_ now: MonotonicInstant) -> String {
        guard let peer, !peerIsSilent(now) else { return "\(peerName) is silent for \(peerSilence(now).humanSeconds)" }
        return "\(peerName) is \(peer.role.rawValue)\(peer.healthy ? "" : " and unhealthy")"
    }

    /// What the people paged must do when nobody serves: repair, then let a node serve.
    static func repairAdvice(peerName: String, peerRole: ServiceRole?) -> String {
        let peer = peerRole == .failed ? "; or repair \(peerName) and run `vacataire ready` on it" : ""
        return "What to do: repair this node, then `vacataire ready` (or `vacataire failback` on the master)\(peer)"
    }

    // MARK: - Action helpers

    func message(_ kind: FailoverMessage.Kind, request: UInt64 = 0) -> FailoverMessage {
        var message = FailoverMessage(kind: kind, epoch: epoch, requestID: request, role: advertisedRole, healthy: isHealthy)
        // The serving node names the open incident of the last role change, for its peer.
        if kind == .heartbeat, isServing, let incident = roleChangeIncident, openIncidents.contains(incident) {
            message.incident = incident
        }
        return message
    }

    mutating func newRequestID() -> UInt64 {
        nextRequestID &+= 1
        return nextRequestID
    }

    mutating func remember(_ reply: FailoverMessage, for key: AnswerKey) {
        answered.removeAll { $0.key == key }
        answered.append((key, reply))
        if answered.count > 16 { answered.removeFirst(answered.count - 16) }
    }

    func rememberedReply(for key: AnswerKey) -> FailoverMessage? {
        answered.last { $0.key == key }?.reply
    }

    mutating func persist(_ newRole: PersistedRole, epoch newEpoch: UInt64, _ actions: inout [FailoverAction]) {
        role = newRole
        epoch = max(epoch, newEpoch)  // epochs never go down
        actions.append(.persist(PersistedFailoverState(role: role, epoch: epoch)))
    }

    /// The incident of "nobody serves" in this epoch: a failed start or restart that leaves
    /// nobody serving opens it, and so does a failed node that finds its peer unable to serve.
    var nobodyServesIncident: IncidentID { IncidentID(epoch: epoch, topic: .actionFailed) }

    /// `failed`, remembering whether the failure that led here already paged that nobody serves.
    mutating func moveToFailed(reason: String, why: String? = nil, _ actions: inout [FailoverAction]) {
        let told: Failed.Told = pagedIncidents.contains(nobodyServesIncident) ? .nobodyServes : .nothing
        move(to: .failed(Failed(why: why ?? reason, told: told)), reason: reason, &actions)
    }

    mutating func move(to newState: State, reason: String, _ actions: inout [FailoverAction]) {
        let from = stateName
        state = newState
        lastReason = reason
        actions.append(.transition(from: from, to: stateName, reason: reason))
    }

    /// Opens `id`, paged from here or only recorded. An incident already open gets the news
    /// instead, paged if this node pages it (or starts to, `paged`).
    /// `news`: what happened is worth a message in the incident's thread (a takeover, a
    /// self-fence), sent if this node pages the incident.
    mutating func raise(
        _ id: IncidentID, _ kind: EventKind, reason: String, paged: Bool, news: Bool = false, failing: [FailingCheck] = [],
        _ actions: inout [FailoverAction]
    ) {
        guard !openIncidents.contains(id) else {
            let startsPaging = paged && !pagedIncidents.contains(id)
            if startsPaging || (news && (paged || pagedIncidents.contains(id))) {
                pagedIncidents.insert(id)
                actions.append(.notify(kind, incident: id, reason: reason))
            }
            return
        }
        openIncidents.append(id)
        if paged { pagedIncidents.insert(id) }
        let key = "\(id.epoch)-\(id.topic.rawValue)"
        usedOccurrences[key] = max(usedOccurrences[key] ?? 0, id.occurrence)
        actions.append(.raiseIncident(id, kind, reason: reason, paged: paged, failing: failing))
    }

    /// A new incident of `topic` in this epoch: never an id used before.
    func newIncident(_ topic: IncidentID.Topic) -> IncidentID {
        let used = usedOccurrences["\(epoch)-\(topic.rawValue)"] ?? 0
        return IncidentID(epoch: epoch, topic: topic, occurrence: used + 1)
    }

    /// The open incident about losing the peer, or a new one: the peer loss, the takeover
    /// it may end in and the isolated node's self-fence are one incident.
    var peerLossIncident: IncidentID {
        openIncidents.last { $0.topic == .peerLost } ?? newIncident(.peerLost)
    }

    mutating func close(topics: Set<IncidentID.Topic>, reason: String, _ actions: inout [FailoverAction]) {
        close(openIncidents.filter { topics.contains($0.topic) }, reason: reason, &actions)
    }

    mutating func close(_ ids: [IncidentID], reason: String, _ actions: inout [FailoverAction]) {
        for id in ids where openIncidents.contains(id) {
            actions.append(.closeIncident(id, reason: reason))
            pagedIncidents.remove(id)
            roleChangedIncidents.remove(id)
        }
        openIncidents.removeAll { ids.contains($0) }
    }

    /// Everything a failback ends: the role change and what came with it.
    static let failbackTopics: Set<IncidentID.Topic> = [.roleChange, .handoffFailed, .actionFailed, .peerLost]

    mutating func sendHeartbeatIfDue(_ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        guard now >= nextHeartbeatAt else { return }
        var heartbeat = message(.heartbeat)
        heartbeat.refill = HeartbeatRefill(interval: settings.heartbeatInterval, count: settings.heartbeatCopies)
        actions.append(.send(heartbeat))
        nextHeartbeatAt = now + settings.heartbeatInterval
    }

    /// Persist `active` at `newEpoch`, then run the start actions; the service checks verify
    /// the service before the node calls itself active.
    /// `pageOnceServing`: the incident's page waits until the service passed its checks and
    /// then gives this reason (a handoff, a takeover); otherwise the node that will serve
    /// pages now (a switchover towards it).
    mutating func activate(
        epoch newEpoch: UInt64, purpose: TakeOver.Purpose, event: EventKind?, incident: IncidentID?,
        reason: String, pageOnceServing: String? = nil, failing: [FailingCheck] = [], _ actions: inout [FailoverAction]
    ) {
        let previous = role
        persist(.active, epoch: newEpoch, &actions)
        var deferred: TakeOver.RoleChangePage?
        if let incident, let event, let pageOnceServing {
            deferred = TakeOver.RoleChangePage(incident: incident, event: event, reason: pageOnceServing, failing: failing)
        } else if let incident, let event {
            // The node that will serve pages the role change.
            raise(incident, event, reason: reason, paged: true, news: true, failing: failing, &actions)
            roleChangeIncident = incident
            if incident.topic == .peerLost { roleChangedIncidents.insert(incident) }
        }
        // A failback pages once verified; its start is told the event and the incident it ends.
        let served = event ?? purpose.event
        let about = incident ?? (served == nil ? nil : roleChangeIncident)
        actions.append(.runStartActions(ServiceActionContext(role: .active, epoch: newEpoch, event: served, incident: about, reason: reason)))
        move(to: .takingOver(TakeOver(purpose: purpose, phase: .starting, previous: previous, pageOnceServing: deferred)), reason: reason, &actions)
    }

    /// Persist `then` at `newEpoch`, then run the stop actions: at once, or after draining
    /// when `drainFrom` is given (the peer's service is verified and the load balancer must
    /// move to it before this one stops). A planned move stays in the load balancer for
    /// `drain` first, so that it sees the peer up; a failing node (`leaveAtOnce`) leaves it
    /// at once, its verified replacement being in it already, and stops after `drain`.
    mutating func stepDown(
        to then: PersistedRole, epoch newEpoch: UInt64, purpose: Quiesce.Purpose, event: EventKind?,
        incident: IncidentID?, reason: String, drainFrom now: MonotonicInstant? = nil, leaveAtOnce: Bool = false,
        _ actions: inout [FailoverAction]
    ) {
        persist(then, epoch: newEpoch, &actions)
        let stop = ServiceActionContext(role: then.told, epoch: newEpoch, event: event, incident: incident, reason: reason)
        if let now, settings.drain > .zero {
            let inRotation = leaveAtOnce ? Duration.zero : settings.drain
            let quiesce = Quiesce(purpose: purpose, then: then, why: reason, downAt: now + inRotation, stopAt: now + inRotation + settings.drain, pendingStop: stop)
            let how = leaveAtOnce
                ? "; out of the load balancer now (my replacement serves, verified), stopping in \(settings.drain.humanSeconds)"
                : "; in the load balancer for \(settings.drain.humanSeconds) more, then out of it for as long before stopping"
            move(to: .quiescing(quiesce), reason: reason + how, &actions)
        } else {
            actions.append(.runStopActions(stop))
            move(to: .quiescing(Quiesce(purpose: purpose, then: then, why: reason)), reason: reason, &actions)
        }
    }

    /// Runs the stop actions of a drained step-down once its instant has come.
    mutating func stopIfDrained(_ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        guard case .quiescing(var quiesce) = state, let stopAt = quiesce.stopAt, now >= stopAt, let stop = quiesce.pendingStop else { return }
        quiesce.downAt = nil
        quiesce.stopAt = nil
        quiesce.pendingStop = nil
        state = .quiescing(quiesce)
        actions.append(.runStopActions(stop))
    }

    /// The epoch at which this node may become active given what it knows of its peer:
    /// above its own, and above the peer's unless the peer is known not active there; of
    /// this node's parity (`Epoch.activation`).
    func activationEpoch(peerEpoch: UInt64?, peerRole: ServiceRole?) -> UInt64 {
        let lowest: UInt64
        if let peerEpoch, peerRole == .standby || peerRole == .failed {
            lowest = max(Epoch.after(epoch), peerEpoch)
        } else {
            lowest = Epoch.after(max(epoch, peerEpoch ?? 0))
        }
        return Epoch.activation(atLeast: lowest, for: settings.role)
    }
}

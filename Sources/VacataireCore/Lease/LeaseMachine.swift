/// The lease coordinator of one node among N: who serves is whoever holds the leader key,
/// which is bound to its holder's lease in a consensus store (etcd).
///
/// Pure, like `FailoverMachine`: every input takes `now`, every output is an action; the
/// store is reached only through `FailoverAction.lease` requests and answered through
/// `CoordinatorInput.lease` events.
///
/// Rules it keeps (each has a test in LeaseMachineTests or LeaseChaosTests):
/// - a node serves only while it holds the leader key, or while it verifies its service to
///   take the key over from a holder that asked it to (make before break), or while it
///   stops;
/// - a node times its lease from the send time of its last acknowledged renewal, never from
///   what the store says, and begins to stop its service `stopTimeout + margin` before that
///   proven end: so it has stopped before the store can expire the lease and let another
///   node take the key;
/// - the best-ranked ready member campaigns first (priority, then name); the others wait a
///   renewal interval per rank, so the healthiest node wins without a race;
/// - a leader whose checks fail asks the best ready member to take over and keeps serving
///   until the key has moved; the new holder pages. Only the holder moves its key, once the
///   member it asked says its service runs and passes its checks (`announceReady`): a
///   holder cut from the store keeps the key, never losing it unaware, and the member's
///   takeover times out;
/// - `switchover` and `failback` work from any node: they write the handoff request for the
///   holder's key as it is.
public struct LeaseMachine: Sendable {
    public enum Phase: Sendable, Equatable {
        /// Service off; not the leader.
        case follower
        /// Service off; asked for the free leader key.
        case campaigning
        /// Becoming the server: start actions, then the service checks; `claim` when the key
        /// still has to be moved to this node (a handoff it was asked for).
        case takingOver(TakeOver)
        /// Holds the key; serves.
        case leader
        /// Holds the key, serves, and asked `to` to take over.
        case handingOff(to: String, until: MonotonicInstant)
        /// The key moved to the member it was handed to: still serving, in the load balancer
        /// until `downAt`, then out of it; the stop actions run at `stopAt`.
        case draining(then: PersistedRole, downAt: MonotonicInstant, stopAt: MonotonicInstant)
        /// Stop actions running; `then` is the role afterwards.
        case stopping(then: PersistedRole)
        /// Service off after a failure, until an admin (`ready`).
        case failed
        /// Automatic actions paused; the service stays as it was.
        case maintenance(serving: Bool)
    }

    public struct TakeOver: Sendable, Equatable {
        public enum Step: Sendable, Equatable {
            case starting
            case verifying
            /// Verified; the key is being moved here.
            case claiming
        }

        public var step: Step
        /// The holder that asked this node to take over; nil for a key won by campaign.
        public var from: LeaderRecord?
        public var deadline: MonotonicInstant
        /// Why the holder asked, and its failing checks (a handoff only).
        public var purpose: HandoffPurpose = .failover
        public var failing: [FailingCheck] = []
    }

    public let settings: LeaseSettings
    public internal(set) var phase: Phase = .follower
    public internal(set) var role: PersistedRole
    public internal(set) var epoch: UInt64
    public internal(set) var health: HealthVerdict?
    public internal(set) var lastReason = "starting"
    public internal(set) var openIncidents: [IncidentID] = []
    /// The cluster's open incidents, as their keys say, oldest first.
    public internal(set) var clusterIncidents: [ClusterIncident] = []
    /// The incidents this node owns whose acknowledgement it has applied.
    var acknowledgedHere: Set<IncidentID> = []
    /// The leader key as last seen.
    public internal(set) var leader: LeaderRecord?
    public internal(set) var members: [MemberRecord] = []

    /// The lease this node holds, if any.
    var lease: Int64?
    var grantInFlight = false
    /// Until when the lease is proven alive: the send time of the last acknowledged renewal
    /// (or grant) plus the ttl.
    var provenUntil: MonotonicInstant?
    var keepAliveSentAt: MonotonicInstant?
    var lastRenewal: MonotonicInstant
    /// When `tick` last ran: the grid the next tick is planned on (`nextTick`).
    var lastTickAt: MonotonicInstant
    /// Since when nobody holds the key, as far as this node saw.
    var leaderGoneSince: MonotonicInstant?
    var published: MemberRecord?
    /// When this node's current lease was granted: it campaigns only a renewal interval
    /// later, once every member had time to publish itself (at a cold start, all at once).
    var leaseSince: MonotonicInstant?
    /// The member keys were read since the lease was granted.
    var membersSeen = false
    /// The key this node last asked to delete (once per key).
    var resigned: LeaderRecord?
    var exiting = false
    /// The last handoff asked of this node's key (from any node), for why its key moved.
    var handoffAsked: HandoffRequest?
    /// The handoff this leader could not place, with the members as they were.
    var handoffBlocked: [MemberRecord]?
    /// The last failed request: why, and whether the store answered it (it is there without
    /// a quorum) or nothing did (this node is cut off from it).
    var lastFailure: (why: String, storeAnswered: Bool)?
    /// Since when this node, which held the key, stopped serving while cut off from the
    /// store: it pages only if it stays blind longer than another node takes to take over.
    var blindSince: MonotonicInstant?
    /// The role the store held at start: a node that was active may still run its service.
    let roleAtStart: PersistedRole?
    /// This node has seen some node hold the leader key (or held it before a restart): a
    /// key won later is a takeover to page, not the new cluster's first election.
    var leaderKnown: Bool

    public init(settings: LeaseSettings, persisted: PersistedFailoverState?, now: MonotonicInstant) {
        self.settings = settings
        roleAtStart = persisted?.role
        leaderKnown = (persisted?.epoch ?? 0) > 0
        // Whatever the store held, a node that starts holds no key: it serves again only
        // once it wins one (a service left running is stopped at boot).
        role = .standby
        epoch = persisted?.epoch ?? 0
        lastRenewal = now
        lastTickAt = now
    }

    // MARK: - Views

    /// Whether this node's service is (or may be) running.
    public var isServing: Bool {
        switch phase {
        case .takingOver, .leader, .handingOff, .draining, .stopping: return true
        case .maintenance(let serving): return serving
        case .follower, .campaigning, .failed: return false
        }
    }

    /// Whether this node believes it holds the leader key.
    public var holdsKey: Bool {
        switch phase {
        case .leader, .handingOff: return true
        case .takingOver(let takeOver): return takeOver.from == nil
        default: return false
        }
    }

    var isHealthy: Bool { health?.healthy == true }

    /// Ready to serve: node checks pass, not failed, not in maintenance, not leaving.
    var isReady: Bool {
        guard isHealthy, !exiting else { return false }
        switch phase {
        case .failed, .maintenance: return false
        default: return true
        }
    }

    /// The ready members other than `name`, best first.
    func readyMembers(except name: String) -> [MemberRecord] {
        members.filter { $0.ready && $0.name != name }.sorted(by: MemberRecord.ranksBefore)
    }

    /// The ready members other than this node, best first.
    func readyOthers() -> [MemberRecord] {
        readyMembers(except: settings.nodeName)
    }

    /// This node's place among the ready members (0: it campaigns first).
    func rank() -> Int {
        let mine = MemberRecord(name: settings.nodeName, priority: settings.priority, ready: true)
        return readyOthers().filter { MemberRecord.ranksBefore($0, mine) }.count
    }

    // MARK: - Inputs

    public mutating func boot(now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        lastReason = "starting: epoch \(epoch); asking the store for a lease"
        actions.append(.transition(from: .starting, to: .starting, reason: lastReason))
        if roleAtStart == .active {
            // Its lease, if any, is not renewed any more: another node may serve within a ttl.
            stepDown(then: .standby, reason: "restarted while active: stopping my service until I hold the leader key again", &actions)
        }
        requestLease(&actions)
        return actions
    }

    public mutating func tick(now: MonotonicInstant) -> [FailoverAction] {
        lastTickAt = now
        var actions: [FailoverAction] = []
        keepLease(now, &actions)
        checkBlindness(now, &actions)
        publish(&actions)
        decide(now, &actions)
        return actions
    }

    mutating func received(_ event: LeaseEvent, now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        switch event {
        case .granted(let id, let sentAt):
            grantInFlight = false
            lease = id
            provenUntil = sentAt + settings.ttl
            lastRenewal = sentAt
            leaseSince = now
            membersSeen = false
            published = nil  // the member key goes with the lease: write it again
        case .renewed(let id, let sentAt):
            guard id == lease else { break }
            keepAliveSentAt = nil
            provenUntil = max(provenUntil ?? sentAt, sentAt + settings.ttl)
        case .failed(let request, let why, let storeAnswered):
            lastFailure = (why, storeAnswered)
            switch request {
            case .grant: grantInFlight = false
            case .keepAlive: keepAliveSentAt = nil  // tried again at the next renewal
            case .publish: published = nil
            case .campaign:
                if case .campaigning = phase { move(to: .follower, reason: "the campaign for the leader key failed", &actions) }
            case .takeOver, .announceReady:
                break  // the holder keeps its key; a target whose claim never comes times out
            case .resign: resigned = nil  // asked again at the next decision
            case .requestHandoff, .recordIncident, .forgetIncident: break  // a key the watch would have shown; nothing waits on it
            }
        case .leader(let record):
            blindSince = nil  // the store answers: whoever serves now is known (or this node campaigns)
            leaderChanged(record, now, &actions)
        case .members(let list):
            members = list
            membersSeen = true
        case .handoffRequested(let request):
            if request.from.holder == settings.nodeName { handoffAsked = request }
            guard request.to == settings.nodeName, case .follower = phase, isReady, request.from == leader, provenUntil != nil else { break }
            beginTakeOver(from: request.from, now, reason: "\(request.from.holder) asked me to take over (\(request.purpose.rawValue))", &actions)
            if case .takingOver(var takeOver) = phase {
                takeOver.purpose = request.purpose
                takeOver.failing = request.failing
                phase = .takingOver(takeOver)
            }
        case .claimAnswered(let won, let record):
            claimAnswered(won: won, record: record, now, &actions)
        case .incident(let incident):
            incidentSeen(incident, &actions)
        case .incidentGone(let id):
            clusterIncidents.removeAll { $0.id == id }
        case .targetReady(let name, let targetLease, let from):
            // Consent: only the holder, still holding the key it handed, moves it.
            guard let leader, leader == from, leader.holder == settings.nodeName, name != settings.nodeName else { break }
            switch phase {
            case .leader:
                // Asked from another node (an admin's move): this holder hands off now.
                move(to: .handingOff(to: name, until: now + settings.handoffTimeout), reason: "\(name) is ready to take over: moving the leader key to it", &actions)
                actions.append(.lease(.takeOver(from: leader, name: name, lease: targetLease)))
            case .handingOff:
                actions.append(.lease(.takeOver(from: leader, name: name, lease: targetLease)))
            default:
                break
            }
        }
        decide(now, &actions)
        return actions
    }

    public mutating func healthChanged(_ verdict: HealthVerdict, now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        health = verdict
        if verdict.healthy { handoffBlocked = nil }
        publish(&actions)
        decide(now, &actions)
        return actions
    }

    public mutating func actionFinished(_ kind: ServiceActionKind, _ outcome: ActionOutcome, now: MonotonicInstant) -> [FailoverAction] {
        var actions: [FailoverAction] = []
        switch (kind, phase) {
        case (.start, .takingOver(var takeOver)) where takeOver.step == .starting:
            if outcome == .succeeded {
                takeOver.step = .verifying
                takeOver.deadline = now + settings.verifyTimeout
                phase = .takingOver(takeOver)
                lastReason = "service started: verifying it"
            } else {
                stepDown(then: .failed, reason: "my start actions failed: stopping what may have started", &actions)
            }
        case (.stop, .stopping(let then)):
            role = then
            actions.append(.persist(PersistedFailoverState(role: then, epoch: epoch)))
            move(to: then == .failed ? .failed : .follower, reason: outcome == .succeeded ? "service stopped" : "stop actions failed", &actions)
        default:
            break
        }
        decide(now, &actions)
        return actions
    }

    // MARK: - Decisions

    mutating func requestLease(_ actions: inout [FailoverAction]) {
        guard lease == nil, !grantInFlight else { return }
        grantInFlight = true
        actions.append(.lease(.grant(ttl: settings.ttl)))
    }

    /// Renews the lease on time, forgets it once it cannot be proven any more, and stops a
    /// serving node before the store could expire it.
    mutating func keepLease(_ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        if let sent = keepAliveSentAt, now.since(sent) >= settings.requestTimeout {
            keepAliveSentAt = nil  // counts as failed
        }
        if let provenUntil, now >= provenUntil {
            lease = nil
            self.provenUntil = nil
            published = nil
            leaseSince = nil
        }
        if isServing, !isStopping {
            let proven = provenUntil.map { now + settings.stopLead < $0 } ?? false
            if !proven {
                let why = "cannot prove my lease in the store for \(settings.stopLead.humanSeconds) more "
                    + "(no renewal acknowledged since \(now.since(lastRenewal).humanSeconds)): stopping my service before it can expire"
                if holdsKey {
                    if lastFailure?.storeAnswered == true {
                        pageLeaseLoss("etcd answers but cannot renew my lease (\(lastFailure?.why ?? "no quorum")): it has no quorum; \(why)", &actions)
                    } else {
                        blindSince = now  // another node may take over: paged only if this lasts
                    }
                }
                stepDown(then: .standby, reason: why, &actions)
            }
        }
        if let lease, keepAliveSentAt == nil, now.since(lastRenewal) >= settings.renewInterval {
            keepAliveSentAt = now
            lastRenewal = now
            actions.append(.lease(.keepAlive(lease: lease)))
        }
        requestLease(&actions)
    }

    /// Stopping, or draining before the stop: the service goes whatever the lease does.
    var isStopping: Bool {
        switch phase {
        case .stopping, .draining: return true
        default: return false
        }
    }

    /// How long a takeover by another node takes at most once this node stopped: its lease
    /// runs out, the best member campaigns, starts and verifies its service.
    var takeoverTime: Duration {
        settings.ttl + settings.renewInterval * 3 + settings.startTimeout + settings.verifyTimeout
    }

    /// A former holder still cut off from the store after a takeover would have happened
    /// cannot tell whether anybody serves: it pages that.
    mutating func checkBlindness(_ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        guard let since = blindSince, now.since(since) >= takeoverTime else { return }
        blindSince = nil
        pageLeaseLoss("cut off from etcd for \(now.since(since).humanSeconds) (\(lastFailure?.why ?? "no answer")): I stopped my service "
            + "and cannot tell whether another node took over", &actions)
    }

    mutating func publish(_ actions: inout [FailoverAction]) {
        guard let lease else { return }
        let record = MemberRecord(name: settings.nodeName, priority: settings.priority, ready: isReady, role: advertisedRole.rawValue,
                                  version: settings.version, endpoint: settings.endpoint)
        guard record != published else { return }
        published = record
        actions.append(.lease(.publish(record, lease: lease)))
    }

    mutating func decide(_ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        switch phase {
        case .follower:
            if let leader, leader.holder == settings.nodeName {
                // A key still bound to this node's lease while it does not serve (it stepped
                // down, or restarted with the same lease): let the others campaign.
                if resigned != leader {
                    resigned = leader
                    actions.append(.lease(.resign(leader)))
                }
                return
            }
            if leader == nil, leaderGoneSince == nil { leaderGoneSince = now }
            guard leader == nil, isReady, membersSeen, let lease, let provenUntil, let leaseSince,
                  now + settings.stopLead + settings.renewInterval < provenUntil, now.since(leaseSince) >= settings.renewInterval
            else { return }
            // Ranks are spaced a renewal interval apart from the instant this node could
            // first campaign (the key gone, and its own lease a renewal old): counted from the
            // key's loss alone, a node that got its lease late would race the best one.
            let eligibleSince = max(leaderGoneSince ?? now, leaseSince + settings.renewInterval)
            guard now.since(eligibleSince) >= settings.renewInterval * rank() else { return }
            phase = .campaigning
            lastReason = "nobody holds the leader key: campaigning"
            actions.append(.lease(.campaign(name: settings.nodeName, lease: lease)))
        case .leader:
            guard !isHealthy, let leader, leader.holder == settings.nodeName else { return }
            let candidates = readyOthers()
            guard let target = candidates.first else {
                if handoffBlocked != members {
                    handoffBlocked = members
                    let id = newIncident(.handoffFailed)
                    raise(id, .failover, reason: "cannot hand off (\(health?.summary ?? "checks failing")): no other member is ready; keeping the service",
                          failing: health?.failing ?? [], &actions)
                }
                return
            }
            actions.append(.lease(.requestHandoff(HandoffRequest(to: target.name, from: leader, purpose: .failover, failing: health?.failing ?? []))))
            move(to: .handingOff(to: target.name, until: now + settings.handoffTimeout),
                 reason: "handing off: \(health?.summary ?? "checks failing"); asking \(target.name) to take over", &actions)
        case .handingOff(let target, let until):
            if now >= until {
                handoffBlocked = members
                move(to: .leader, reason: "handoff to \(target) abandoned: the key did not move within \(settings.handoffTimeout.humanSeconds); keeping the service", &actions)
            }
        case .takingOver(var takeOver):
            if takeOver.step == .verifying, let health, health.service != .idle, health.serviceHealthy {
                if let from = takeOver.from, let lease {
                    takeOver.step = .claiming
                    // The holder moves its key once it hears; if it cannot, this takeover ends.
                    takeOver.deadline = now + settings.requestTimeout * 2 + settings.renewInterval
                    phase = .takingOver(takeOver)
                    lastReason = "my service passes its checks: asking \(from.holder) to move the leader key here"
                    actions.append(.lease(.announceReady(from: from, name: settings.nodeName, lease: lease)))
                } else {
                    becomeLeader(event: .takeover, reason: "my service runs and passes its checks at epoch \(epoch)", &actions)
                }
            } else if now >= takeOver.deadline, takeOver.step != .starting {
                let why = takeOver.step == .claiming ? "the leader key did not come here in time" : "my service did not pass its checks in time"
                stepDown(then: .standby, reason: "\(why): stopping my service", &actions)
            }
        case .draining(let then, _, let stopAt):
            if now >= stopAt {
                stepDown(then: then, reason: "drained: stopping my service", &actions)
            }
        case .campaigning, .stopping, .failed, .maintenance:
            break
        }
    }

    mutating func leaderChanged(_ record: LeaderRecord?, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        leader = record
        if let record {
            leaderGoneSince = nil
            if record.holder != settings.nodeName { leaderFound(record, &actions) }
        } else {
            leaderGoneSince = leaderGoneSince ?? now
        }
        let mine = record?.holder == settings.nodeName
        switch phase {
        case .leader where !mine:
            stepDown(then: .standby, reason: "the leader key is no longer mine (\(record.map { "\($0.holder) holds it" } ?? "nobody holds it")): stopping my service", &actions)
        case .handingOff(let target, _) where !mine:
            let then: PersistedRole = isHealthy ? .standby : .failed
            guard record?.holder == target, settings.drain > .zero else {
                stepDown(then: then, reason: "the leader key is no longer mine: stopping my service", &actions)
                break
            }
            // Make before break: the new holder is in the load balancer since it was verified,
            // but the load balancer may not have looked yet; this node stays in it a drain
            // more (a sick server is better than none), then out of it a drain before stopping.
            let downAt = now + settings.drain
            if let asked = handoffAsked, asked.to == target, asked.purpose != .failover {
                // An admin moved the service on: this node's role-change incidents are over.
                for id in openIncidents where id.topic == .roleChange {
                    actions.append(.closeIncident(id, reason: "the service moved to \(target) by an admin's \(asked.purpose.rawValue)"))
                    actions.append(.lease(.forgetIncident(id)))
                }
                openIncidents.removeAll { $0.topic == .roleChange }
            }
            move(to: .draining(then: then, downAt: downAt, stopAt: downAt + settings.drain),
                 reason: "\(target) took the service over: draining, then stopping mine in \((downAt + settings.drain).since(now).humanSeconds)", &actions)
        case .takingOver(let takeOver) where takeOver.from == nil && !mine && record != nil:
            stepDown(then: .standby, reason: "another node holds the leader key: stopping what I started", &actions)
        case .takingOver(let takeOver) where takeOver.from != nil && mine && takeOver.step == .claiming:
            epoch = UInt64(max(0, record?.revision ?? 0))
            let event: EventKind
            switch takeOver.purpose {
            case .failover: event = .failover
            case .switchover: event = .switchover
            case .failback: event = .failback
            }
            becomeLeader(event: event, reason: "took over from \(takeOver.from?.holder ?? "the leader") (\(takeOver.purpose.rawValue)); my service runs and passes its checks at epoch \(epoch)",
                         failing: takeOver.failing, &actions)
        case .takingOver(let takeOver) where takeOver.from != nil && record != takeOver.from && !mine:
            stepDown(then: .standby, reason: "the leader key moved elsewhere during my takeover: stopping what I started", &actions)
        default:
            break
        }
    }

    mutating func claimAnswered(won: Bool, record: LeaderRecord?, _ now: MonotonicInstant, _ actions: inout [FailoverAction]) {
        switch phase {
        case .campaigning:
            leader = record
            guard won, let record else {
                move(to: .follower, reason: "\(record?.holder ?? "another node") won the leader key", &actions)
                return
            }
            epoch = UInt64(max(0, record.revision))
            beginTakeOver(from: nil, now, reason: "won the leader key at epoch \(epoch): starting my service", &actions)
        case .leader, .handingOff:
            // The holder's own move: the key is the target's now, so this node stops.
            guard won, let record else { return }
            leaderChanged(record, now, &actions)
        default:
            break
        }
    }

    mutating func beginTakeOver(from: LeaderRecord?, _ now: MonotonicInstant, reason: String, _ actions: inout [FailoverAction]) {
        role = .active
        actions.append(.persist(PersistedFailoverState(role: .active, epoch: epoch)))
        actions.append(.runStartActions(ServiceActionContext(role: .active, epoch: epoch, event: nil, incident: nil, reason: reason)))
        move(to: .takingOver(TakeOver(step: .starting, from: from, deadline: now + settings.startTimeout)), reason: reason, &actions)
    }

    /// This node holds the key and serves: it pages the change, unless it is the new
    /// cluster's first election (nobody served before), or it ends an outage this node paged
    /// (the recovery goes in that incident's thread).
    mutating func becomeLeader(event: EventKind, reason: String, failing: [FailingCheck] = [], _ actions: inout [FailoverAction]) {
        move(to: .leader, reason: reason, &actions)
        let firstElection = !leaderKnown
        leaderKnown = true
        if endOutage("I serve again at epoch \(epoch)", &actions) { return }
        guard !firstElection else { return }  // nobody served before: no incident (the transition is recorded)
        raise(IncidentID(epoch: epoch, topic: .roleChange), event, reason: reason, failing: failing, &actions)
    }

    /// Another node holds the key: an outage this node paged is over.
    mutating func leaderFound(_ record: LeaderRecord, _ actions: inout [FailoverAction]) {
        leaderKnown = true
        _ = endOutage("\(record.holder) serves at epoch \(record.revision)", &actions)
    }

    /// Tells the recovery of the outages this node paged (the store lost) and closes them.
    mutating func endOutage(_ who: String, _ actions: inout [FailoverAction]) -> Bool {
        let outages = openIncidents.filter { $0.topic == .peerLost }
        for id in outages {
            actions.append(.notify(.peerFound, incident: id, reason: "recovered: the store answers and a node holds the leader key; \(who)"))
            actions.append(.closeIncident(id, reason: "a node serves again (\(who))"))
            actions.append(.lease(.forgetIncident(id)))
        }
        openIncidents.removeAll { $0.topic == .peerLost }
        return !outages.isEmpty
    }

    mutating func stepDown(then: PersistedRole, reason: String, _ actions: inout [FailoverAction]) {
        actions.append(.runStopActions(ServiceActionContext(role: then.told, epoch: epoch, event: nil, incident: nil, reason: reason)))
        move(to: .stopping(then: then), reason: reason, &actions)
    }

    mutating func pageLeaseLoss(_ why: String, _ actions: inout [FailoverAction]) {
        let id = IncidentID(epoch: epoch, topic: .peerLost)
        guard !openIncidents.contains(id) else { return }
        raise(id, .peerLost, reason: "\(why); nobody serves until a node holds the leader key again", failing: [], &actions)
    }

    mutating func raise(_ id: IncidentID, _ kind: EventKind, reason: String, failing: [FailingCheck], paged: Bool = true, _ actions: inout [FailoverAction]) {
        if !openIncidents.contains(id) { openIncidents.append(id) }
        actions.append(.raiseIncident(id, kind, reason: reason, paged: paged, failing: failing))
        guard paged else { return }
        // In the store, so that every node knows it and `ack` works anywhere.
        actions.append(.lease(.recordIncident(ClusterIncident(id: id, kind: kind, owner: settings.nodeName, reason: reason))))
    }

    /// An incident's key as written: kept for `ack` on this node; its owner applies an
    /// acknowledgement made on another node (stops its reminders, tells it).
    mutating func incidentSeen(_ incident: ClusterIncident, _ actions: inout [FailoverAction]) {
        if let index = clusterIncidents.firstIndex(where: { $0.id == incident.id }) {
            clusterIncidents[index] = incident
        } else {
            clusterIncidents.append(incident)
        }
        guard incident.owner == settings.nodeName, let ack = incident.acknowledgement, openIncidents.contains(incident.id),
              !acknowledgedHere.contains(incident.id) else { return }
        acknowledgedHere.insert(incident.id)
        let reason = "incident \(incident.id) acknowledged by \(ack.author) on \(ack.on)" + (ack.comment.map { ": \($0)" } ?? "")
        actions.append(.acknowledgeIncident(incident.id, author: ack.author, comment: ack.comment, expiresIn: ack.expiresIn, via: ack.on))
        actions.append(.notify(.acknowledged, incident: incident.id, reason: reason))
    }

    mutating func newIncident(_ topic: IncidentID.Topic) -> IncidentID {
        let used = openIncidents.filter { $0.epoch == epoch && $0.topic == topic }.map(\.occurrence).max() ?? 0
        return IncidentID(epoch: epoch, topic: topic, occurrence: used + 1)
    }

    mutating func move(to newPhase: Phase, reason: String, _ actions: inout [FailoverAction]) {
        let from = stateName
        phase = newPhase
        lastReason = reason
        actions.append(.transition(from: from, to: stateName, reason: reason))
    }
}

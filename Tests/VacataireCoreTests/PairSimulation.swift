import XCTest
@testable import VacataireCore

/// Two machines wired together through an in-test router with a hand-driven clock.
///
/// Start and stop actions finish at the next step (unless held), guard probes are answered
/// from `guardReport`, and the invariant "at most one node believes it is active per epoch"
/// is checked after every step.
struct PairSimulation {
    var nodes: [FailoverMachine]
    var now: MonotonicInstant
    var inbox: [[FailoverMessage]] = [[], []]
    var linkUp = true
    /// A dead agent: receives nothing, decides nothing.
    var down = [false, false]
    var pendingActions: [[ServiceActionKind]] = [[], []]
    var holdStarts = [false, false]
    var holdStops = [false, false]
    var startOutcome: [ActionOutcome] = [.succeeded, .succeeded]
    var pendingGuard = [false, false]
    var guardReport = [GuardReport(witnessReachable: true, peerServiceAnswers: false), GuardReport(witnessReachable: true, peerServiceAnswers: false)]
    var serviceOn = [false, false]
    /// The floating address's holders as the kernels see them (with `addressNames` set),
    /// a third host holding it too (`intruder`), and the claims waiting for their answer.
    var addressHeld = [false, false]
    var intruder = false
    var pendingClaim: [(waitFree: Duration, overPeer: Bool)?] = [nil, nil]
    var store: [PersistedFailoverState?] = [nil, nil]
    var log: [[FailoverAction]] = [[], []]
    var violations: [String] = []
    var bothServedAt: [MonotonicInstant] = []
    /// The longest run of consecutive steps in which both services were on.
    var longestDoubleService = 0
    var doubleServiceRun = 0
    /// The same, for runs during which the peer link was cut or an agent gone (exited, its
    /// service left on).
    var longestOverlapWithAPeerQuiet = 0
    var overlapWithAPeerQuiet = 0
    var doubleServiceNote = ""
    let settings: [FailoverSettings]
    /// Since when no service has run while some agent lives and none is in maintenance.
    var outageSince: MonotonicInstant?
    /// Restarts so far, for each boot's request ids.
    var boots: UInt64 = 0
    /// When each agent last started.
    var upSince = [at(0), at(0)]
    /// When a live node last paged (opened a paged incident, or sent an incident's news).
    var lastPageAt: MonotonicInstant?
    /// How long nobody may serve before a page must have gone out since the outage began:
    /// a takeover on silence (dead_after, the guard, the start) fits well within it.
    static let silentOutageLimit = Duration.seconds(20)

    init(master: FailoverSettings = failoverSettings(.master), standby: FailoverSettings = failoverSettings(.standby)) {
        settings = [master, standby]
        now = at(0)
        nodes = [
            FailoverMachine(settings: master, persisted: nil, requestIDSeed: 1 << 32, now: now),
            FailoverMachine(settings: standby, persisted: nil, requestIDSeed: 2 << 32, now: now),
        ]
        apply(0, nodes[0].boot(now: now))
        apply(1, nodes[1].boot(now: now))
        input(0, .health(.healthy))
        input(1, .health(.healthy))
    }

    /// Gives node `index` one input through the coordinator seam, as the agent does, and
    /// carries out its actions.
    mutating func input(_ index: Int, _ input: CoordinatorInput) {
        apply(index, nodes[index].handle(input, now: now))
    }

    mutating func apply(_ index: Int, _ actions: [FailoverAction]) {
        actions.assertPersistFirst()
        for action in actions {
            log[index].append(action)
            switch action {
            case .send(let message):
                if linkUp { inbox[1 - index].append(message) }
            case .persist(let state):
                store[index] = state
            case .runStartActions:
                pendingActions[index].append(.start)
                if nodes[index].health?.healthy != true, !forcedFailback(index) {
                    violations.append("node \(index) starts its service while its checks fail, at \(now)")
                }
            case .runStopActions:
                pendingActions[index].append(.stop)
            case .probeGuard:
                pendingGuard[index] = true
            case .claimAddresses(let waitFree, let overPeer):
                pendingClaim[index] = (waitFree, overPeer)
            case .releaseAddresses:
                addressHeld[index] = false
            case .raiseIncident(_, _, _, true, _), .notify(.failover, _, _), .notify(.takeover, _, _), .notify(.peerLost, _, _):
                lastPageAt = now
            default:
                break
            }
        }
    }

    func forcedFailback(_ index: Int) -> Bool {
        if case .takingOver(let takeOver) = nodes[index].state, case .failback(_, true) = takeOver.purpose { return true }
        return false
    }

    mutating func step(_ seconds: Double = 0.05) {
        now = now + .milliseconds(Int64(seconds * 1000))
        for index in 0..<2 where !down[index] {
            let messages = inbox[index]
            inbox[index] = []
            for message in messages {
                input(index, .peerMessage(message))
            }
            let held = (holdStarts[index] && pendingActions[index].contains(.start)) || (holdStops[index] && pendingActions[index].contains(.stop))
            if !held {
                let pending = pendingActions[index]
                pendingActions[index] = []
                for kind in pending {
                    let outcome = kind == .start ? startOutcome[index] : .succeeded
                    serviceOn[index] = kind == .start ? outcome == .succeeded : false
                    input(index, .actionFinished(kind, outcome))
                }
            }
            if pendingGuard[index] {
                pendingGuard[index] = false
                input(index, .guardAnswered(guardReport[index]))
            }
            if let claim = pendingClaim[index] {
                // The probe: the peer's kernel answers while it holds the address (taken over
                // when `overPeer`), a third host always; a handoff's claim waits for the peer.
                let peerHolds = addressHeld[1 - index] && !claim.overPeer
                if intruder {
                    pendingClaim[index] = nil
                    input(index, .addressesClaimed(conflict: "198.51.100.100/24 on eth0 is answered by 02:00:00:00:00:03"))
                } else if !peerHolds {
                    pendingClaim[index] = nil
                    addressHeld[index] = true
                    if claim.overPeer { addressHeld[1 - index] = false }  // announced over: the clients follow
                    input(index, .addressesClaimed(conflict: nil))
                }
            }
            input(index, .tick)
        }
        for index in 0..<2 where down[index] { inbox[index] = [] }
        checkInvariants()
    }

    mutating func run(_ seconds: Double) {
        for _ in 0..<Int((seconds / 0.05).rounded()) { step() }
    }

    /// Steps until `done` holds, for at most `limit` seconds; false on timeout.
    @discardableResult
    mutating func run(until done: (PairSimulation) -> Bool, limit: Double = 60) -> Bool {
        var elapsed = 0.0
        while !done(self) {
            if elapsed >= limit { return false }
            step()
            elapsed += 0.05
        }
        return true
    }

    mutating func checkInvariants() {
        if addressHeld[0], addressHeld[1] {
            violations.append("both nodes hold the floating address at \(now)")
        }
        let live = (0..<2).filter { !down[$0] }
        if live.count == 2, nodes[0].stateName == .active, nodes[1].stateName == .active, nodes[0].epoch == nodes[1].epoch {
            violations.append("both active at epoch \(nodes[0].epoch) at \(now)")
        }
        // Nobody serves ⇒ somebody is paged: an outage longer than the limit must have had a
        // page since it began (a page decided in the same second as the stop counts).
        // Maintenance (the admin is at work) only defers the verdict; the stretch goes on.
        let paused = nodes.contains { if case .maintenance = $0.state { return true } else { return false } }
        if serviceOn.contains(true) || !down.contains(false) {
            outageSince = nil
        } else if let since = outageSince {
            // Owed by an agent that has run through the limit: one in a crash loop pages nothing.
            let longestUp = (0..<2).filter { !down[$0] }.map { upSince[$0] }.min() ?? now
            if !paused, now.since(max(since, longestUp)) >= Self.silentOutageLimit, lastPageAt.map({ $0 < since + .seconds(-1) }) ?? true {
                violations.append("nobody serves since \(since) and nobody was paged, at \(now): \(nodes.map(\.stateName)) \(nodes.map(\.lastReason)) down \(down) link \(linkUp)")
                outageSince = now  // one violation per silent stretch
            }
        } else {
            outageSince = now
        }
        if serviceOn[0], serviceOn[1], overlapWithAPeerQuiet > 0 || down.contains(true) || !linkUp {
            // The peer link cut, or an agent gone with its service on (it exited), during the
            // overlap: the taking-over node ends it once its peer is quiet for two heartbeats.
            overlapWithAPeerQuiet += doubleServiceRun + 1
            longestOverlapWithAPeerQuiet = max(longestOverlapWithAPeerQuiet, overlapWithAPeerQuiet)
            doubleServiceRun = 0
        } else if serviceOn[0], serviceOn[1] {
            bothServedAt.append(now)
            doubleServiceRun += 1
            if doubleServiceRun == 4 { doubleServiceNote = "\(nodes.map(\.stateName)) \(nodes.map(\.lastReason)) down \(down) link \(linkUp)" }
            longestDoubleService = max(longestDoubleService, doubleServiceRun)
        } else {
            doubleServiceRun = 0
            overlapWithAPeerQuiet = 0
        }
    }

    /// The agent dies (kill -9 with its service, or the machine).
    mutating func crash(_ index: Int, serviceDies: Bool = true) {
        down[index] = true
        pendingActions[index] = []
        pendingGuard[index] = false
        if serviceDies { serviceOn[index] = false }
    }

    /// The agent starts again from its store.
    mutating func restart(_ index: Int, healthy: Bool = true) {
        down[index] = false
        upSince[index] = now
        holdStarts[index] = false
        holdStops[index] = false
        // A new boot generation each start, as the agent's: request ids never repeat.
        boots += 1
        nodes[index] = FailoverMachine(settings: settings[index], persisted: store[index], requestIDSeed: (boots + 2) << 32, now: now)
        apply(index, nodes[index].boot(now: now))
        input(index, .health(healthy ? .healthy : failing))
    }

    /// Brings the pair to: alpha active, beta standby.
    mutating func settle() {
        run(until: { $0.nodes[0].stateName == .active && $0.nodes[1].stateName == .standby }, limit: 10)
    }

    func all(_ index: Int) -> [FailoverAction] { log[index] }
}

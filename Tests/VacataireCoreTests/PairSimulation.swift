import VacataireTestSupport
import XCTest
@testable import VacataireCore

/// Two failover machines wired together on a simulated clock, driven as the agent drives its
/// coordinator: every input through `handle`, a tick whenever the timer comes due.
///
/// What happens to a node waits in one queue, in time order: a datagram arriving, a start or
/// stop finishing, the witness answering a guard probe, the kernel answering an address
/// claim, the node's timer. The `Timing` says when each comes due. Guard probes are answered
/// from `guardReport`; starts and stops finish unless held (`holdStarts`, `holdStops`). After
/// every `step()` the invariants are checked: at most one node active per epoch, never two
/// holders of the floating address, a page for every long outage, and how long both services
/// ran at once.
struct PairSimulation {
    /// When what a node asked for, or was sent, comes due.
    enum Timing {
        /// Each node takes one turn every step: it handles the datagrams that reached it, the
        /// actions that finished, the witness's answer and the address claim's, in that order,
        /// then ticks. Whatever a node is sent or asks for is handled at that node's next
        /// turn: later in the same step if that turn has not come yet, else at the next step.
        /// Alpha's turn comes first, so its datagrams reach beta within the step.
        case lockstep
        /// A seeded network that delays each datagram by up to `jitter`; the witness and the
        /// kernel answer within twice that (there and back), starts and stops take 5 ms, and
        /// timers fire up to 3 ms late: every tick period, or when the machine asks for the
        /// next tick (`nextTick`, as the agent does) with `sparseTicks`.
        case network(seed: UInt64, jitter: Duration, sparseTicks: Bool)
    }

    /// What comes due for a node, in the order a lockstep turn handles them.
    enum Happening {
        case deliver(FailoverMessage)
        case actionDone(ServiceActionKind)
        case guardAnswer
        /// The probe of a claim, `overPeer` when it takes the address over the peer's kernel.
        case claimAnswer(overPeer: Bool)
        case tick

        /// Its place in a lockstep turn.
        var rank: Int {
            switch self {
            case .deliver: 0
            case .actionDone: 1
            case .guardAnswer: 2
            case .claimAnswer: 3
            case .tick: 4
            }
        }
    }

    /// An entry of the queue, which keeps them in key order.
    struct Due {
        let at: MonotonicInstant
        let node: Int
        let happening: Happening
        /// Scheduling order, which breaks the remaining ties.
        let order: Int

        var key: (MonotonicInstant, Int, Int, Int) { (at, node, happening.rank, order) }
    }

    static let step = Duration.milliseconds(50)
    /// How long nobody may serve before a page must have gone out since the outage began:
    /// a takeover on silence (dead_after, the guard, the start) fits well within it.
    static let silentOutageLimit = Duration.seconds(20)

    let settings: [FailoverSettings]
    let timing: Timing
    var nodes: [FailoverMachine]
    var now = at(0)
    var queue: [Due] = []
    var scheduled = 0
    /// The entry being handled: in lockstep, where this step's turns stand.
    var handling: Due?
    /// Draws the network's delays.
    var dice: Dice
    /// Each node's timer (moved earlier when the machine asks, with sparse ticks).
    var nextTick = [at(0), at(0)]
    /// The instant each node's machine last asked its tick for (before the timer's lateness).
    var plannedTick = [at(0), at(0)]
    var ticks = [0, 0]

    // The world around the machines.
    var linkUp = true
    /// A dead agent: receives nothing, decides nothing.
    var down = [false, false]
    var holdStarts = [false, false]
    var holdStops = [false, false]
    var startOutcome: [ActionOutcome] = [.succeeded, .succeeded]
    var guardReport = [GuardReport(witnessReachable: true, peerServiceAnswers: false), GuardReport(witnessReachable: true, peerServiceAnswers: false)]
    var serviceOn = [false, false]
    /// The floating address's holders as the kernels see them (with `addressNames` set).
    var addressHeld = [false, false]
    /// A third host answers for the address too.
    var intruder = false
    var store: [PersistedFailoverState?] = [nil, nil]
    /// Restarts so far, for each boot's request ids.
    var boots: UInt64 = 0
    /// When each agent last started.
    var upSince = [at(0), at(0)]

    // What the machines did, and what they must not do.
    var log: [[FailoverAction]] = [[], []]
    var violations: [String] = []
    /// From when the pair must stay quiet: a start, stop, transition, incident or
    /// notification after it is a surprise.
    var quietFrom = MonotonicInstant(nanoseconds: .max)
    var surprises: [String] = []
    var bothServedAt: [MonotonicInstant] = []
    /// The longest run of consecutive steps in which both services were on.
    var longestDoubleService = 0
    var doubleServiceRun = 0
    /// The same, for runs during which the peer link was cut or an agent gone (exited, its
    /// service left on).
    var longestOverlapWithAPeerQuiet = 0
    var overlapWithAPeerQuiet = 0
    var doubleServiceNote = ""
    /// Since when no service has run while some agent lives and none is in maintenance.
    var outageSince: MonotonicInstant?
    /// When a live node last paged (opened a paged incident, or sent an incident's news).
    var lastPageAt: MonotonicInstant?

    init(master: FailoverSettings = failoverSettings(.master), standby: FailoverSettings = failoverSettings(.standby),
         timing: Timing = .lockstep) {
        settings = [master, standby]
        self.timing = timing
        if case .network(let seed, _, _) = timing { dice = Dice(state: seed) } else { dice = Dice(state: 0) }
        nodes = [
            FailoverMachine(settings: master, persisted: nil, requestIDSeed: 1 << 32, now: now),
            FailoverMachine(settings: standby, persisted: nil, requestIDSeed: 2 << 32, now: now),
        ]
        boot(0, health: .healthy)
        boot(1, health: .healthy)
    }

    // MARK: Driving

    /// Gives node `index` one input through the coordinator seam, as the agent does, and
    /// carries out its actions.
    mutating func input(_ index: Int, _ input: CoordinatorInput) {
        apply(index, nodes[index].handle(input, now: now))
    }

    mutating func apply(_ index: Int, _ actions: [FailoverAction]) {
        actions.assertPersistFirst()
        for action in actions {
            log[index].append(action)
            if now >= quietFrom, let surprise = surprise(action, by: index) { surprises.append(surprise) }
            switch action {
            case .send(let message):
                if linkUp { schedule(.deliver(message), for: 1 - index) }
            case .persist(let state):
                store[index] = state
            case .runStartActions:
                schedule(.actionDone(.start), for: index)
                if nodes[index].health?.healthy != true, !forcedFailback(index) {
                    violations.append("node \(index) starts its service while its checks fail, at \(now)")
                }
            case .runStopActions:
                schedule(.actionDone(.stop), for: index)
            case .probeGuard:
                schedule(.guardAnswer, for: index)
            case .claimAddresses(_, let overPeer):
                schedule(.claimAnswer(overPeer: overPeer), for: index)
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

    /// What `action` tells while the pair must stay quiet; nil for the routine ones.
    func surprise(_ action: FailoverAction, by index: Int) -> String? {
        switch action {
        case .runStartActions: "node \(index) starts its service at \(now)"
        case .runStopActions: "node \(index) stops its service at \(now)"
        case .transition(let from, let to, let reason): "node \(index) \(from.rawValue) -> \(to.rawValue) at \(now): \(reason)"
        case .raiseIncident(let id, _, let reason, _, _): "node \(index) raises \(id) at \(now): \(reason)"
        case .notify(let kind, _, let reason): "node \(index) notifies \(kind.rawValue) at \(now): \(reason)"
        default: nil
        }
    }

    // MARK: The queue

    mutating func schedule(_ happening: Happening, for index: Int) {
        enqueue(happening, for: index, at: dueTime(of: happening, for: index))
    }

    mutating func enqueue(_ happening: Happening, for index: Int, at instant: MonotonicInstant) {
        if case .tick = happening { nextTick[index] = instant }
        scheduled += 1
        let due = Due(at: instant, node: index, happening: happening, order: scheduled)
        queue.insert(due, at: queue.firstIndex { $0.key > due.key } ?? queue.endIndex)
    }

    mutating func dueTime(of happening: Happening, for index: Int) -> MonotonicInstant {
        switch timing {
        case .lockstep:
            // In this step if the node's turn has not yet passed the happening's place in it.
            guard let handling, (index, happening.rank) > (handling.node, handling.happening.rank) else { return now + Self.step }
            return now
        case .network(_, let jitter, let sparseTicks):
            switch happening {
            case .deliver: return now + dice.delay(upTo: jitter)
            case .guardAnswer, .claimAnswer: return now + dice.delay(upTo: jitter * 2)
            case .actionDone: return now + .milliseconds(5)
            case .tick:
                // The agent's timer runs a little late, never early.
                let wanted = sparseTicks ? nodes[index].nextTick(after: now) : now + nodes[index].settings.tickPeriod
                plannedTick[index] = wanted
                return wanted + dice.delay(upTo: .milliseconds(3))
            }
        }
    }

    /// With sparse ticks, the machine is asked again after every input, and its timer follows
    /// the answer either way, as the agent's does.
    mutating func askForTick(_ index: Int) {
        guard case .network(_, _, true) = timing, nodes[index].nextTick(after: now) != plannedTick[index] else { return }
        schedule(.tick, for: index)
    }

    /// Handles everything due until `end`, in time order; stops early after a few surprises.
    mutating func run(until end: MonotonicInstant) {
        while let next = queue.first, next.at <= end, surprises.count < 5 {
            queue.removeFirst()
            now = next.at
            guard !down[next.node] else { continue }  // a dead agent hears nothing
            handling = next
            handle(next.happening, for: next.node)
            handling = nil
        }
    }

    mutating func handle(_ happening: Happening, for index: Int) {
        switch happening {
        case .tick:
            guard now == nextTick[index] else { return }  // moved since
            ticks[index] += 1
            input(index, .tick)
            schedule(.tick, for: index)
            return
        case .deliver(let message):
            input(index, .peerMessage(message))
        case .actionDone(let kind):
            if kind == .start ? holdStarts[index] : holdStops[index] {
                schedule(happening, for: index)  // still running
                return
            }
            let outcome = kind == .start ? startOutcome[index] : .succeeded
            serviceOn[index] = kind == .start && outcome == .succeeded
            input(index, .actionFinished(kind, outcome))
        case .guardAnswer:
            input(index, .guardAnswered(guardReport[index]))
        case .claimAnswer(let overPeer):
            // The probe: the peer's kernel answers while it holds the address (taken over
            // when `overPeer`), a third host always; a handoff's claim waits for the peer.
            if intruder {
                input(index, .addressesClaimed(conflict: "198.51.100.100/24 on eth0 is answered by 02:00:00:00:00:03"))
            } else if addressHeld[1 - index], !overPeer {
                schedule(happening, for: index)  // probed again until the peer lets go
                return
            } else {
                addressHeld[index] = true
                if overPeer { addressHeld[1 - index] = false }  // announced over: the clients follow
                input(index, .addressesClaimed(conflict: nil))
            }
        }
        askForTick(index)
    }

    // MARK: Steps

    /// One step of the clock, then the invariants.
    mutating func step() {
        let end = now + Self.step
        run(until: end)
        now = end
        // What still waits for a dead agent when the step ends is lost: one restarted before
        // the next step hears only what was sent to it since.
        queue.removeAll { down[$0.node] }
        checkInvariants()
    }

    mutating func run(_ seconds: Double) {
        for _ in 0..<Int((seconds / Self.step.seconds).rounded()) { step() }
    }

    /// Steps until `done` holds, for at most `limit` seconds; false on timeout.
    @discardableResult
    mutating func run(until done: (PairSimulation) -> Bool, limit: Double = 60) -> Bool {
        var elapsed = 0.0
        while !done(self) {
            if elapsed >= limit { return false }
            step()
            elapsed += Self.step.seconds
        }
        return true
    }

    /// Brings the pair to: alpha active, beta standby.
    mutating func settle() {
        run(until: { $0.nodes[0].stateName == .active && $0.nodes[1].stateName == .standby }, limit: 10)
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

    // MARK: Agents coming and going

    /// The agent boots: greets its peer, hears its checks' first verdict, starts its timer
    /// (on the network at a random point of its tick period).
    mutating func boot(_ index: Int, health: HealthVerdict) {
        apply(index, nodes[index].boot(now: now))
        input(index, .health(health))
        if case .network = timing {
            enqueue(.tick, for: index, at: now + dice.delay(upTo: nodes[index].settings.tickPeriod))
        } else {
            schedule(.tick, for: index)
        }
    }

    /// The agent dies (kill -9 with its service, or the machine): its actions, probes, claims
    /// and timer die with it; what it sent still arrives.
    mutating func crash(_ index: Int, serviceDies: Bool = true) {
        down[index] = true
        queue.removeAll { due in
            if case .deliver = due.happening { return false }
            return due.node == index
        }
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
        boot(index, health: healthy ? .healthy : failing)
    }

    func all(_ index: Int) -> [FailoverAction] { log[index] }
}

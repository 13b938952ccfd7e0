import VacataireTestSupport
import XCTest
@testable import VacataireCore

/// The timing rules of check-config are the ones the machine keeps (Docs/failover.md,
/// "Timing rules"): an idle pair with the tightest accepted settings, on a network with up
/// to 20 ms of random delay per datagram and witness answer, and ticks that run a little
/// late, makes no transition and raises nothing for an hour of simulated time.
final class FailoverTimingTests: XCTestCase {
    /// What happens next in the simulation, in time order.
    enum Happening {
        case tick(node: Int)
        case deliver(FailoverMessage, to: Int)
        case guardAnswer(node: Int)
        case actionDone(ServiceActionKind, node: Int)
    }

    struct Simulation {
        var nodes: [FailoverMachine]
        var now = MonotonicInstant(nanoseconds: 0)
        var queue: [(at: MonotonicInstant, order: Int, happening: Happening)] = []
        var order = 0
        var dice: Dice
        /// What an idle pair must never do after it settled.
        var surprises: [String] = []
        /// Ticks when the machine asks (`nextTick`, as the agent does) rather than every tick period.
        var sparseTicks = false
        /// Each node's next scheduled tick (sparse ticks: moved earlier when an input asks).
        var nextTick: [MonotonicInstant] = [MonotonicInstant(nanoseconds: 0), MonotonicInstant(nanoseconds: 0)]
        /// How many times each node ticked.
        var ticks = [0, 0]
        /// Nodes that crashed: they neither tick nor hear anything any more.
        var crashed: Set<Int> = []
        var settledAt: MonotonicInstant
        let jitter = FailoverSettings.jitterAllowance

        init(master: FailoverSettings, standby: FailoverSettings, seed: UInt64, sparseTicks: Bool = false) {
            dice = Dice(state: seed)
            self.sparseTicks = sparseTicks
            nodes = [
                FailoverMachine(settings: master, persisted: nil, requestIDSeed: 1 << 32, now: now),
                FailoverMachine(settings: standby, persisted: nil, requestIDSeed: 2 << 32, now: now),
            ]
            settledAt = now + master.deadAfter * 4 + .seconds(1)
            for index in 0..<2 {
                apply(index, nodes[index].boot(now: now))
                apply(index, nodes[index].handle(.health(.healthy), now: now))
                schedule(.tick(node: index), after: dice.delay(upTo: nodes[index].settings.tickPeriod))
            }
        }

        mutating func schedule(_ happening: Happening, after delay: Duration) {
            if case .tick(let index) = happening { nextTick[index] = now + delay }
            order += 1
            let entry = (at: now + delay, order: order, happening: happening)
            let index = queue.firstIndex { ($0.at, $0.order) > (entry.at, entry.order) } ?? queue.endIndex
            queue.insert(entry, at: index)
        }

        mutating func apply(_ index: Int, _ actions: [FailoverAction]) {
            let settled = now >= settledAt
            for action in actions {
                switch action {
                case .send(let message):
                    schedule(.deliver(message, to: 1 - index), after: dice.delay(upTo: jitter))
                case .probeGuard:
                    // The witness answers over the same jittery network, both ways.
                    schedule(.guardAnswer(node: index), after: dice.delay(upTo: jitter * 2))
                case .runStartActions:
                    schedule(.actionDone(.start, node: index), after: .milliseconds(5))
                    if settled { surprises.append("node \(index) starts its service at \(now)") }
                case .runStopActions:
                    schedule(.actionDone(.stop, node: index), after: .milliseconds(5))
                    if settled { surprises.append("node \(index) stops its service at \(now)") }
                case .transition(let from, let to, let reason) where settled:
                    surprises.append("node \(index) \(from.rawValue) -> \(to.rawValue) at \(now): \(reason)")
                case .raiseIncident(let id, _, let reason, _, _) where settled:
                    surprises.append("node \(index) raises \(id) at \(now): \(reason)")
                case .notify(let kind, _, let reason) where settled:
                    surprises.append("node \(index) notifies \(kind.rawValue) at \(now): \(reason)")
                default:
                    break
                }
            }
        }

        /// With sparse ticks, an input may want the next tick sooner (the agent's doorbell).
        mutating func askForTick(_ index: Int) {
            guard sparseTicks else { return }
            let wanted = nodes[index].nextTick(after: now)
            if wanted < nextTick[index] {
                schedule(.tick(node: index), after: wanted.since(now) + dice.delay(upTo: .milliseconds(3)))
            }
        }

        /// Runs until `end` or until the first few surprises.
        mutating func run(until end: MonotonicInstant) {
            while let next = queue.first, next.at <= end, surprises.count < 5 {
                queue.removeFirst()
                now = next.at
                switch next.happening {
                case .tick(let index) where crashed.contains(index), .guardAnswer(let index) where crashed.contains(index),
                     .actionDone(_, let index) where crashed.contains(index), .deliver(_, let index) where crashed.contains(index):
                    continue
                case .tick(let index):
                    guard next.at == nextTick[index] else { continue }  // moved earlier since
                    ticks[index] += 1
                    apply(index, nodes[index].handle(.tick, now: now))
                    // The agent's timer runs a little late, never early.
                    let wait = sparseTicks ? nodes[index].nextTick(after: now).since(now) : nodes[index].settings.tickPeriod
                    schedule(.tick(node: index), after: wait + dice.delay(upTo: .milliseconds(3)))
                case .deliver(let message, let index):
                    apply(index, nodes[index].handle(.peerMessage(message), now: now))
                    askForTick(index)
                case .guardAnswer(let index):
                    apply(index, nodes[index].handle(.guardAnswered(GuardReport(witnessReachable: true, peerServiceAnswers: true)), now: now))
                    askForTick(index)
                case .actionDone(let kind, let index):
                    apply(index, nodes[index].handle(.actionFinished(kind, .succeeded), now: now))
                    askForTick(index)
                }
            }
        }
    }

    /// The tightest settings check-config accepts for a heartbeat interval.
    static func tightest(_ role: ConfiguredRole, heartbeat: Duration) -> FailoverSettings {
        FailoverSettings(
            role: role, heartbeatInterval: heartbeat,
            deadAfter: FailoverSettings.minimumDeadAfter(heartbeat: heartbeat),
            selfFenceAfter: FailoverSettings.minimumSelfFenceAfter(heartbeat: heartbeat),
            hasWitness: true, hasServiceProbe: true)
    }

    func testAnIdlePairWithTheTightestAcceptedSettingsStaysQuietForAnHour() {
        for (seed, heartbeat) in [Duration.milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(500)].enumerated() {
            var simulation = Simulation(
                master: Self.tightest(.master, heartbeat: heartbeat), standby: Self.tightest(.standby, heartbeat: heartbeat),
                seed: UInt64(seed + 1))
            simulation.run(until: simulation.settledAt)
            XCTAssertEqual(simulation.nodes.map(\.stateName), [.active, .standby], "heartbeat \(heartbeat): the pair settles")
            simulation.run(until: MonotonicInstant(nanoseconds: 3_600 * 1_000_000_000))
            XCTAssertEqual(simulation.surprises, [], "heartbeat \(heartbeat), dead_after \(simulation.nodes[0].settings.deadAfter), "
                + "self_fence_after \(simulation.nodes[0].settings.selfFenceAfter)")
            XCTAssertEqual(simulation.nodes.map(\.stateName), [.active, .standby])
            XCTAssertGreaterThan(simulation.now, MonotonicInstant(nanoseconds: 3_599 * 1_000_000_000), "the hour was simulated")
            let silence = simulation.now.since(simulation.nodes[1].peerLastHeard ?? MonotonicInstant(nanoseconds: 0))
            XCTAssertLessThanOrEqual(silence, heartbeat * 2, "heartbeats flowed to the end")
        }
    }

    /// The same hour with the agent's sparse ticks (`nextTick`): as quiet, with far fewer ticks.
    func testAnIdlePairTickingOnlyWhenTheMachineAsksStaysQuietForAnHour() {
        for (seed, heartbeat) in [Duration.milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(500)].enumerated() {
            var simulation = Simulation(
                master: Self.tightest(.master, heartbeat: heartbeat), standby: Self.tightest(.standby, heartbeat: heartbeat),
                seed: UInt64(seed + 11), sparseTicks: true)
            simulation.run(until: MonotonicInstant(nanoseconds: 3_600 * 1_000_000_000))
            XCTAssertEqual(simulation.surprises, [], "heartbeat \(heartbeat), sparse ticks")
            XCTAssertEqual(simulation.nodes.map(\.stateName), [.active, .standby])
            let silence = simulation.now.since(simulation.nodes[1].peerLastHeard ?? MonotonicInstant(nanoseconds: 0))
            XCTAssertLessThanOrEqual(silence, heartbeat * 2, "heartbeats flowed to the end")
            let perHeartbeat = Double(simulation.ticks[0] + simulation.ticks[1]) / 2 / (3_600 / heartbeat.seconds)
            print(String(format: "heartbeat %@: %.2f ticks per heartbeat interval per node (every tick period: 4)", heartbeat.humanSeconds, perHeartbeat))
            XCTAssertLessThan(perHeartbeat, 2.5, "a steady pair ticks about once or twice per heartbeat")
        }
    }

    /// A master that crashes is found dead by the sparse-ticking standby within a tick period
    /// of dead_after, as with a tick every period.
    func testASparseTickingStandbyFindsACrashedMasterWithinATickOfDeadAfter() {
        let heartbeat = Duration.milliseconds(50)
        var simulation = Simulation(
            master: Self.tightest(.master, heartbeat: heartbeat), standby: Self.tightest(.standby, heartbeat: heartbeat),
            seed: 3, sparseTicks: true)
        simulation.run(until: simulation.settledAt)
        XCTAssertEqual(simulation.nodes.map(\.stateName), [.active, .standby])
        // The master crashes: it ticks, hears and sends nothing more (what it sent still arrives).
        simulation.crashed = [0]
        simulation.settledAt = MonotonicInstant(nanoseconds: .max)  // what follows is expected
        let giveUp = simulation.now + .seconds(5)
        var noticed: MonotonicInstant?
        var lastHeard = simulation.now
        while noticed == nil, let next = simulation.queue.first, next.at < giveUp {
            simulation.run(until: next.at)
            lastHeard = simulation.nodes[1].peerLastHeard ?? lastHeard
            if simulation.nodes[1].state != .standby(.idle) { noticed = simulation.now }
        }
        let after = try? XCTUnwrap(noticed).since(lastHeard)
        let settings = simulation.nodes[1].settings
        print("sparse ticks: the standby acted \(after?.humanSeconds ?? "never") after the last heartbeat (dead_after \(settings.deadAfter.humanSeconds))")
        XCTAssertNotNil(after)
        if let after {
            XCTAssertGreaterThanOrEqual(after, settings.deadAfter)
            XCTAssertLessThanOrEqual(after, settings.deadAfter + settings.tickPeriod + .milliseconds(3))
        }
    }

    func testSettingsBelowTheRulesDoFlapUnderTheSameJitter() {
        // The control: with self_fence_after at one heartbeat interval (what the old rule
        // accepted), the same network makes the active node fence itself.
        var master = Self.tightest(.master, heartbeat: .milliseconds(50))
        master.selfFenceAfter = .milliseconds(60)
        var simulation = Simulation(master: master, standby: Self.tightest(.standby, heartbeat: .milliseconds(50)), seed: 7)
        simulation.run(until: MonotonicInstant(nanoseconds: 600 * 1_000_000_000))
        XCTAssertFalse(simulation.surprises.isEmpty, "a self_fence_after below the rule should flap under 20 ms of jitter")
    }
}

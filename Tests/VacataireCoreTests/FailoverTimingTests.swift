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
        var settledAt: MonotonicInstant
        let jitter = FailoverSettings.jitterAllowance

        init(master: FailoverSettings, standby: FailoverSettings, seed: UInt64) {
            dice = Dice(state: seed)
            nodes = [
                FailoverMachine(settings: master, persisted: nil, requestIDSeed: 1 << 32, now: now),
                FailoverMachine(settings: standby, persisted: nil, requestIDSeed: 2 << 32, now: now),
            ]
            settledAt = now + master.deadAfter * 4 + .seconds(1)
            for index in 0..<2 {
                apply(index, nodes[index].boot(now: now))
                apply(index, nodes[index].healthChanged(.healthy, now: now))
                schedule(.tick(node: index), after: dice.delay(upTo: nodes[index].settings.tickPeriod))
            }
        }

        mutating func schedule(_ happening: Happening, after delay: Duration) {
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

        /// Runs until `end` or until the first few surprises.
        mutating func run(until end: MonotonicInstant) {
            while let next = queue.first, next.at <= end, surprises.count < 5 {
                queue.removeFirst()
                now = next.at
                switch next.happening {
                case .tick(let index):
                    apply(index, nodes[index].tick(now: now))
                    // The agent's timer runs a little late, never early.
                    let period = nodes[index].settings.tickPeriod
                    schedule(.tick(node: index), after: period + dice.delay(upTo: .milliseconds(3)))
                case .deliver(let message, let index):
                    apply(index, nodes[index].received(message, now: now))
                case .guardAnswer(let index):
                    apply(index, nodes[index].guardAnswered(GuardReport(witnessReachable: true, peerServiceAnswers: true), now: now))
                case .actionDone(let kind, let index):
                    apply(index, nodes[index].actionFinished(kind, .succeeded, now: now))
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

import XCTest
@testable import VacataireCore

/// The timing rules of check-config are the ones the machine keeps (Docs/failover.md,
/// "Timing rules"): an idle pair with the tightest accepted settings, on a network with up
/// to 20 ms of random delay per datagram and witness answer, and ticks that run a little
/// late, makes no transition and raises nothing for an hour of simulated time.
final class FailoverTimingTests: XCTestCase {
    /// An idle pair on a network with up to 20 ms of random delay per datagram and witness
    /// answer, whose witness sees the peer's service; quiet from four dead_after and a second.
    static func idlePair(master: FailoverSettings, standby: FailoverSettings, seed: UInt64, sparseTicks: Bool = false) -> PairSimulation {
        var pair = PairSimulation(
            master: master, standby: standby,
            timing: .network(seed: seed, jitter: FailoverSettings.jitterAllowance, sparseTicks: sparseTicks))
        pair.guardReport = [GuardReport(witnessReachable: true, peerServiceAnswers: true), GuardReport(witnessReachable: true, peerServiceAnswers: true)]
        pair.quietFrom = pair.now + master.deadAfter * 4 + .seconds(1)
        return pair
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
            var simulation = Self.idlePair(
                master: Self.tightest(.master, heartbeat: heartbeat), standby: Self.tightest(.standby, heartbeat: heartbeat),
                seed: UInt64(seed + 1))
            simulation.run(until: simulation.quietFrom)
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
            var simulation = Self.idlePair(
                master: Self.tightest(.master, heartbeat: heartbeat), standby: Self.tightest(.standby, heartbeat: heartbeat),
                seed: UInt64(seed + 11), sparseTicks: true)
            simulation.run(until: MonotonicInstant(nanoseconds: 3_600 * 1_000_000_000))
            XCTAssertEqual(simulation.surprises, [], "heartbeat \(heartbeat), sparse ticks")
            XCTAssertEqual(simulation.nodes.map(\.stateName), [.active, .standby])
            let silence = simulation.now.since(simulation.nodes[1].peerLastHeard ?? MonotonicInstant(nanoseconds: 0))
            XCTAssertLessThanOrEqual(silence, heartbeat * 2, "heartbeats flowed to the end")
            let perHeartbeat = Double(simulation.ticks[0] + simulation.ticks[1]) / 2 / (3_600 / heartbeat.seconds)
            print(String(format: "heartbeat %@: %.2f ticks per heartbeat interval per node (every tick period: 4)", heartbeat.humanSeconds, perHeartbeat))
            XCTAssertLessThan(perHeartbeat, 1.5, "a steady pair ticks about once per heartbeat")
        }
    }

    /// A master that crashes is found dead by the sparse-ticking standby within a tick period
    /// of dead_after, as with a tick every period.
    func testASparseTickingStandbyFindsACrashedMasterWithinATickOfDeadAfter() {
        let heartbeat = Duration.milliseconds(50)
        var simulation = Self.idlePair(
            master: Self.tightest(.master, heartbeat: heartbeat), standby: Self.tightest(.standby, heartbeat: heartbeat),
            seed: 3, sparseTicks: true)
        simulation.run(until: simulation.quietFrom)
        XCTAssertEqual(simulation.nodes.map(\.stateName), [.active, .standby])
        // The master crashes: it ticks, hears and sends nothing more (what it sent still arrives).
        simulation.crash(0)
        simulation.quietFrom = MonotonicInstant(nanoseconds: .max)  // what follows is expected
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
        var simulation = Self.idlePair(master: master, standby: Self.tightest(.standby, heartbeat: .milliseconds(50)), seed: 7)
        simulation.run(until: MonotonicInstant(nanoseconds: 600 * 1_000_000_000))
        XCTAssertFalse(simulation.surprises.isEmpty, "a self_fence_after below the rule should flap under 20 ms of jitter")
    }
}

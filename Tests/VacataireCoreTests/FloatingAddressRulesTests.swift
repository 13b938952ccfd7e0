import XCTest
@testable import VacataireCore

/// The floating address's rules in the pair's machine: held only where the service is
/// verified, let go before the stop actions, taken over a dead peer's leftover, refused
/// (one page) when a third host answers for it; never two holders.
final class FloatingAddressRulesTests: XCTestCase {
    static func settings(_ role: ConfiguredRole) -> FailoverSettings {
        var settings = failoverSettings(role)
        settings.addressNames = ["198.51.100.100/24 on eth0"]
        return settings
    }

    func pair() -> PairSimulation {
        var pair = PairSimulation(master: Self.settings(.master), standby: Self.settings(.standby))
        pair.settle()
        return pair
    }

    func testTheServingNodeHoldsTheAddressAndAFailoverMovesItReleasedFirst() {
        var pair = pair()
        XCTAssertEqual(pair.addressHeld, [true, false], "alpha serves and holds it: \(pair.nodes.map(\.lastReason))")
        XCTAssertTrue(pair.nodes[0].lastReason.contains("holding 198.51.100.100/24 on eth0"), pair.nodes[0].lastReason)
        let before = pair.log[0].count
        pair.input(0, .health(HealthVerdict(healthy: false)))
        XCTAssertTrue(pair.run(until: { $0.addressHeld == [false, true] && $0.nodes[1].stateName == .active }, limit: 20),
                      "beta takes the service and the address: \(pair.nodes.map(\.lastReason))")
        // alpha let the address go before its stop actions ran.
        let alpha = Array(pair.log[0].dropFirst(before))
        let release = alpha.firstIndex { if case .releaseAddresses = $0 { return true } else { return false } }
        let stop = alpha.firstIndex { if case .runStopActions = $0 { return true } else { return false } }
        XCTAssertNotNil(release)
        XCTAssertLessThan(release ?? .max, stop ?? .max, "released before the stop")
        XCTAssertEqual(pair.violations, [])
    }

    func testATakeoverOverADeadMastersLeftoverAnnouncesOverIt() {
        var pair = pair()
        pair.crash(0)  // its kernel keeps the address: the agent and the service died
        XCTAssertEqual(pair.addressHeld[0], true)
        XCTAssertTrue(pair.run(until: { $0.nodes[1].stateName == .active }, limit: 20), "\(pair.nodes[1].lastReason)")
        XCTAssertEqual(pair.addressHeld, [false, true])
        XCTAssertTrue(pair.log[1].contains { if case .claimAddresses(_, true) = $0 { return true } else { return false } },
                      "the claim takes over what the silent peer's kernel holds")
        pair.restart(0)
        pair.run(5)
        XCTAssertEqual(pair.nodes[0].stateName, .standby)
        XCTAssertEqual(pair.addressHeld, [false, true], "the restarted master holds nothing")
        XCTAssertEqual(pair.violations, [])
    }

    func testAThirdHostAnsweringForTheAddressIsOnePageAndNoHolder() {
        var pair = pair()
        pair.intruder = true
        let before = pair.log[1].count
        pair.crash(0)
        XCTAssertTrue(pair.run(until: { $0.nodes[1].stateName == .failed }, limit: 20), "\(pair.nodes[1].lastReason)")
        XCTAssertFalse(pair.addressHeld[1])
        XCTAssertFalse(pair.serviceOn[1], "beta stopped what it started")
        let pages = pair.log[1].dropFirst(before).compactMap { action -> String? in
            if case .raiseIncident(_, _, let reason, true, _) = action { return reason }
            return nil
        }
        XCTAssertEqual(pages.count, 1, "\(pages)")
        XCTAssertTrue(pages.first?.contains("02:00:00:00:00:03") == true, "names who answers: \(pages)")
        XCTAssertFalse(pair.log[1].dropFirst(before).contains { if case .raiseIncident(_, .takeover, _, true, _) = $0 { return true } else { return false } },
                       "no takeover page for a takeover that did not happen")
    }

    func testEveryNodeLetsGoAtBootWhatACrashMayHaveLeft() {
        var standby = FailoverMachine(settings: Self.settings(.standby), persisted: PersistedFailoverState(role: .standby, epoch: 4), now: at(0))
        XCTAssertTrue(standby.boot(now: at(0)).contains { if case .releaseAddresses = $0 { return true } else { return false } })
        var active = FailoverMachine(settings: Self.settings(.master), persisted: PersistedFailoverState(role: .active, epoch: 5), now: at(0))
        XCTAssertTrue(active.boot(now: at(0)).contains { if case .releaseAddresses = $0 { return true } else { return false } },
                      "a restarted active node too: its peer may have taken the address meanwhile")
    }
}

import XCTest
@testable import VacataireCore

/// The heartbeat's copies are the machine's decision: each heartbeat it sends says how many
/// copies follow it, and when, if nothing else is sent in time; the peer link only executes.
final class HeartbeatRefillTests: XCTestCase {
    func testEveryHeartbeatCarriesTheCopiesTheSettingsAsk() {
        var settings = failoverSettings(.master)
        var master = FailoverMachine(settings: settings, persisted: nil, now: at(0))
        let boot = master.boot(now: at(0))
        XCTAssertEqual(boot.heartbeats.first?.refill, HeartbeatRefill(interval: settings.heartbeatInterval, count: 2))
        let later = master.tick(now: at(1))
        XCTAssertEqual(later.heartbeats.map(\.refill), [HeartbeatRefill(interval: settings.heartbeatInterval, count: 2)])

        settings.heartbeatCopies = 0
        var quiet = FailoverMachine(settings: settings, persisted: nil, now: at(0))
        XCTAssertEqual(quiet.boot(now: at(0)).heartbeats.first?.refill?.count, 0)
    }

    func testOnlyHeartbeatsHaveCopies() {
        var master = FailoverMachine(settings: failoverSettings(.master), persisted: nil, now: at(0))
        _ = master.boot(now: at(0))
        var actions = master.received(msg(.heartbeat, epoch: 0, role: .standby), now: at(0.2))
        actions += master.healthChanged(.healthy, now: at(0.3))
        let others = actions.compactMap { action -> FailoverMessage? in
            if case .send(let message) = action, message.kind != .heartbeat { return message }
            return nil
        }
        XCTAssertTrue(others.allSatisfy { $0.refill == nil }, "\(others)")
    }

    /// The first copy a quarter interval after the next heartbeat was due, then one an interval apart.
    func testCopiesComeAQuarterIntervalAfterTheNextHeartbeatWasDue() {
        let refill = HeartbeatRefill(interval: .milliseconds(200), count: 2)
        XCTAssertEqual(refill.delay(of: 0), .milliseconds(250))
        XCTAssertEqual(refill.delay(of: 1), .milliseconds(450))
        XCTAssertEqual(HeartbeatRefill(interval: .milliseconds(50), count: -1).count, 0)
    }
}

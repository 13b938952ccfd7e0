import XCTest
@testable import VacataireCore

/// The pair's machine as the agent sees it: through `Coordinator` only. What the admin
/// asks that only the pair can judge is refused here, with the words the CLI prints; a
/// delivered page is confirmed to the peer, and the peer's confirmation reaches the agent.
final class CoordinatorTests: XCTestCase {
    func testSwitchoverRefusesATargetOutsideThePairOrAlreadyServing() {
        var master: any Coordinator = Node.activeMaster()
        let now = at(1)
        XCTAssertEqual(master.handle(.admin(.switchover(to: "gamma"), author: "ops"), now: now).answer?.reason,
                       "gamma is not in this pair (alpha, beta)")
        XCTAssertEqual(master.handle(.admin(.switchover(to: "alpha"), author: "ops"), now: now).answer?.reason, "alpha already serves")
        let towardsBeta = master.handle(.admin(.switchover(to: "beta"), author: "ops"), now: now)
        XCTAssertEqual(towardsBeta.answer?.accepted, true, "\(towardsBeta)")
        XCTAssertTrue(towardsBeta.sent.contains { $0.kind == .handoffRequest }, "\(towardsBeta)")
    }

    func testAcknowledgeTakesTheNewestOpenIncidentAndRefusesOneThatIsNot() {
        var standby: any Coordinator = Node.standby()
        XCTAssertEqual(standby.handle(.admin(.acknowledge(nil, comment: nil, expiresIn: nil), author: "ops"), now: at(1)).answer?.reason,
                       "no open incident to acknowledge")
        // The master goes silent: the standby takes over and opens the loss's incident.
        var now = 1.0
        while standby.stateName != .active, now < 30 {
            now += 0.1
            let actions = standby.handle(.tick, now: at(now))
            if actions.probes.isEmpty == false {
                _ = standby.handle(.guardAnswered(GuardReport(witnessReachable: true, peerServiceAnswers: false)), now: at(now))
            }
            if actions.startsService { _ = standby.handle(.actionFinished(.start, .succeeded), now: at(now)) }
        }
        let open = try? XCTUnwrap(standby.openIncidents.last)
        XCTAssertNotNil(open, "an incident is open after the takeover: \(standby.lastReason)")
        let closed = IncidentID(epoch: 99, topic: .roleChange)
        XCTAssertEqual(standby.handle(.admin(.acknowledge(closed, comment: nil, expiresIn: nil), author: "ops"), now: at(now)).answer?.reason,
                       "incident \(closed) is not open (open: \(standby.openIncidents.map(\.description).joined(separator: ", ")))")
        let acknowledged = standby.handle(.admin(.acknowledge(nil, comment: "on it", expiresIn: nil), author: "ops"), now: at(now))
        XCTAssertTrue(acknowledged.contains { if case .acknowledgeIncident(open!, "ops", "on it", nil, nil) = $0 { return true } else { return false } },
                      "\(acknowledged)")
    }

    func testADeliveredPageIsConfirmedToThePeerWhoseAgentHearsIt() {
        var master: any Coordinator = Node.activeMaster()
        var standby: any Coordinator = Node.standby()
        let incident = IncidentID(epoch: 1, topic: .roleChange)
        let confirmation = master.handle(.pageDelivered(incident), now: at(1)).sent
        XCTAssertEqual(confirmation.map(\.kind), [.status])
        XCTAssertEqual(confirmation.first?.deliveredIncident, incident)
        let heard = standby.handle(.peerMessage(confirmation[0]), now: at(1.1))
        XCTAssertTrue(heard.contains(.peerDelivered(incident)), "\(heard)")
    }
}

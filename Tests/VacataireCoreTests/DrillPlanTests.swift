import VacataireCore
import XCTest

/// `DrillPlan`: when a drill is refused (and what the refusal names), skipped, or which
/// legs it runs.
final class DrillPlanTests: XCTestCase {
    private func situation(
        state: FailoverStateName = .active, healthy: Bool? = true, peerRole: ServiceRole? = .standby, peerHealthy: Bool? = true,
        peerSilent: Bool = false, incidents: [IncidentID] = [], probe: Bool = true, master: Bool = true
    ) -> DrillPlan.Situation {
        DrillPlan.Situation(
            node: "alpha", peer: "beta", configuredMaster: master, state: state, healthy: healthy, healthSummary: "home-page failing",
            peerRole: peerRole, peerHealthy: peerHealthy, peerSilent: peerSilent, openIncidents: incidents, hasServiceProbe: probe)
    }

    func testAHealthyPairDrillsToThePeerAndBack() {
        XCTAssertEqual(DrillPlan.decide(situation()), .run(DrillPlan(legs: [
            DrillPlan.Leg(from: "alpha", to: "beta", towardsPeer: true), DrillPlan.Leg(from: "beta", to: "alpha", towardsPeer: false),
        ])))
        // From the standby: the service comes here first, then goes back.
        XCTAssertEqual(DrillPlan.decide(situation(state: .standby, peerRole: .active)), .run(DrillPlan(legs: [
            DrillPlan.Leg(from: "beta", to: "alpha", towardsPeer: false), DrillPlan.Leg(from: "alpha", to: "beta", towardsPeer: true),
        ])))
    }

    func testRefusalsNameWhatToFix() {
        let cases: [(DrillPlan.Situation, DrillRefusal, String)] = [
            (situation(healthy: false), .unhealthy("home-page failing"), "home-page failing"),
            (situation(peerSilent: true), .peerSilent("beta"), "beta is silent"),
            (situation(peerHealthy: false), .peerUnhealthy("beta", role: .standby), "beta is not healthy"),
            (situation(peerRole: .failed, peerHealthy: true), .peerUnhealthy("beta", role: .failed), "vacataire ready"),
            (situation(state: .maintenance), .maintenance, "maintenance off"),
            (situation(incidents: [IncidentID(epoch: 7, topic: .peerLost)]), .incidentsOpen(["e7-peer-lost"]), "e7-peer-lost"),
            (situation(probe: false), .noServiceProbe, "failover.service_probe"),
            (situation(state: .handingOff), .unsettled(state: .handingOff, peerRole: .standby), "wait until the pair settles"),
        ]
        for (situation, refusal, phrase) in cases {
            XCTAssertEqual(DrillPlan.decide(situation), .refuse(refusal))
            XCTAssertTrue(refusal.description.contains(phrase), "\(refusal) does not say `\(phrase)`")
        }
        // A failed drill's incident does not block the drill that proves the repair.
        guard case .run = DrillPlan.decide(situation(incidents: [IncidentID(epoch: 5, topic: .drillFailed)])) else {
            return XCTFail("a failed drill's incident blocks the next drill")
        }
        var running = situation()
        running.drillRunning = true
        XCTAssertEqual(DrillPlan.decide(running), .refuse(.alreadyRunning))
        var lease = situation()
        lease.leaseMode = true
        XCTAssertEqual(DrillPlan.decide(lease), .refuse(.leaseMode))
    }

    func testTheTimerDrillsFromTheConfiguredMasterOnly() {
        guard case .skip(let why) = DrillPlan.decide(situation(state: .standby, peerRole: .active, master: false), scheduled: true) else {
            return XCTFail("the configured standby's timer must not start a drill")
        }
        XCTAssertTrue(why.contains("configured master"), why)
        // By hand, the standby may drill; the master's timer drills.
        XCTAssertNotEqual(DrillPlan.decide(situation(state: .standby, peerRole: .active, master: false)), .skip(why))
        guard case .run = DrillPlan.decide(situation(), scheduled: true) else { return XCTFail("the master's timer drills") }
        // The master's timer with the pair out of shape is refused, so that the timer's unit fails visibly.
        XCTAssertEqual(DrillPlan.decide(situation(healthy: false), scheduled: true), .refuse(.unhealthy("home-page failing")))
    }

    func testTheDryRunSaysWhatItWouldDo() throws {
        guard case .run(let plan) = DrillPlan.decide(situation()) else { return XCTFail("refused") }
        let text = plan.lines(probe: "http://198.51.100.2:8080/", ownService: "http://127.0.0.1:8080/", samplePeriod: .milliseconds(20)).joined(separator: "\n")
        XCTAssertTrue(text.contains("dry run: nothing changes"), text)
        XCTAssertTrue(text.contains("leg 1: switch the service over from alpha to beta"), text)
        XCTAssertTrue(text.contains("leg 2: switch the service over from beta to alpha"), text)
        XCTAssertTrue(text.contains("http://198.51.100.2:8080/"), text)
    }
}

import VacataireCore
import XCTest

/// `DrillJudge`: each leg's verdict, what follows a failed leg (put back, or stop), and the
/// report's figures.
final class DrillJudgeTests: XCTestCase {
    private let out = DrillPlan.Leg(from: "alpha", to: "beta", towardsPeer: true)
    private var plan: DrillPlan { DrillPlan(legs: [out, out.reversed]) }

    /// A leg's samples every 20 ms: `peer` and `own` answer as told at each index.
    private func samples(_ count: Int, peer: (Int) -> Bool, own: (Int) -> Bool) -> [DrillLegRecord.Sample] {
        (0..<count).map { DrillLegRecord.Sample(at: .milliseconds(Int64($0 * 20)), peerAnswers: peer($0), ownAnswers: own($0)) }
    }

    /// A clean leg: the new node answers from sample 10, the old stops at sample 40.
    private func cleanLeg(_ leg: DrillPlan.Leg) -> DrillLegRecord {
        let newOnPeer = leg.towardsPeer
        return DrillLegRecord(
            leg: leg, outcome: .settled, started: .milliseconds(200), verified: .milliseconds(500), drained: .milliseconds(1_000),
            samples: samples(60, peer: { newOnPeer ? $0 >= 10 : $0 < 40 }, own: { newOnPeer ? $0 < 40 : $0 >= 10 }), serverAfter: leg.to)
    }

    /// The next leg waits for news of the peer sent after the last move settled: a
    /// heartbeat from before (or a silent or unhealthy peer) is not enough.
    func testTheNextLegWaitsForPeerNewsFromAfterTheLastLeg() {
        func peer(heardAgo: Duration?, healthy: Bool?, silent: Bool = false) -> PeerStatus {
            PeerStatus(name: "beta", role: .active, healthy: healthy, epoch: 4, lastHeard: heardAgo, silent: silent)
        }
        let since: Duration = .milliseconds(120)
        XCTAssertTrue(DrillJudge.peerReady(peer(heardAgo: .milliseconds(30), healthy: true), sinceLegEnded: since))
        XCTAssertFalse(DrillJudge.peerReady(peer(heardAgo: .milliseconds(150), healthy: true), sinceLegEnded: since),
                       "heard before the last leg ended: old news")
        XCTAssertFalse(DrillJudge.peerReady(peer(heardAgo: .milliseconds(30), healthy: false), sinceLegEnded: since))
        XCTAssertFalse(DrillJudge.peerReady(peer(heardAgo: .milliseconds(30), healthy: nil), sinceLegEnded: since))
        XCTAssertFalse(DrillJudge.peerReady(peer(heardAgo: nil, healthy: true), sinceLegEnded: since))
        XCTAssertFalse(DrillJudge.peerReady(peer(heardAgo: .milliseconds(30), healthy: true, silent: true), sinceLegEnded: since))
    }

    func testTwoCleanLegsPassWithTheirFigures() throws {
        XCTAssertEqual(DrillJudge.next(plan, legs: []), .leg(out))
        XCTAssertEqual(DrillJudge.next(plan, legs: [cleanLeg(out)]), .leg(out.reversed))
        guard case .finish(let report) = DrillJudge.next(plan, legs: [cleanLeg(out), cleanLeg(out.reversed)]) else {
            return XCTFail("two clean legs end the drill")
        }
        XCTAssertTrue(report.passed)
        XCTAssertEqual(report.nobodySamples, 0)
        XCTAssertEqual(report.legs.map(\.samples), [60, 60])
        XCTAssertEqual(report.legs.first?.newNodeSeenSeconds ?? -1, 0.2, accuracy: 1e-9)
        XCTAssertEqual(report.legs.first?.drainSeconds ?? -1, 1.0, accuracy: 1e-9)
        XCTAssertTrue(report.verdict.hasPrefix("drill passed: alpha -> beta -> alpha"), report.verdict)
        XCTAssertTrue(report.lines[1].contains("nobody answered in 0 of 60 sample(s)"), report.lines[1])
    }

    func testAGapFailsTheLegAndPutsTheServiceBack() throws {
        var gap = cleanLeg(out)
        gap.samples = samples(60, peer: { $0 >= 12 }, own: { $0 < 10 })  // samples 10 and 11: nobody
        XCTAssertFalse(DrillJudge.passed(gap))
        let back = out.reversed
        XCTAssertEqual(DrillJudge.next(plan, legs: [gap]), .putBack(back), "the service moved: it goes back where it was")
        guard case .finish(let report) = DrillJudge.next(plan, legs: [gap], putBack: cleanLeg(back)) else {
            return XCTFail("a put-back ends the drill")
        }
        XCTAssertFalse(report.passed)
        XCTAssertEqual(report.nobodySamples, 2)
        XCTAssertEqual(report.legs.map(\.putBack), [false, true])
        XCTAssertTrue(report.verdict.contains("FAILED at leg 1 (alpha -> beta): nobody answered in 2 sample(s); put back on alpha; alpha serves"), report.verdict)
    }

    func testALegThatNeverMovedStopsTheDrillWithNothingToPutBack() throws {
        let failed = DrillLegRecord(
            leg: out, outcome: .abandoned("switchover abandoned: beta could not take over: start actions failed"),
            samples: samples(100, peer: { _ in false }, own: { _ in true }), serverAfter: "alpha")
        guard case .finish(let report) = DrillJudge.next(plan, legs: [failed]) else { return XCTFail("nothing to put back") }
        XCTAssertFalse(report.passed)
        XCTAssertEqual(report.legs.count, 1)
        XCTAssertTrue(report.verdict.contains("start actions failed") && report.verdict.hasSuffix("alpha serves"), report.verdict)
    }

    func testALegWithoutSamplesOrWithoutTheNewServiceFails() {
        var empty = cleanLeg(out)
        empty.samples = []
        XCTAssertFalse(DrillJudge.passed(empty), "a leg nobody looked at proves nothing")
        var unseen = cleanLeg(out)
        unseen.samples = samples(10, peer: { _ in false }, own: { _ in true })
        XCTAssertFalse(DrillJudge.passed(unseen))
        XCTAssertTrue(DrillJudge.why(unseen).contains("never seen answering"))
    }
}

import VacataireCore
import XCTest

/// `DrillLegWatch`: each leg's times and outcome from the machine's views, both directions,
/// settled or abandoned.
final class DrillLegWatchTests: XCTestCase {
    private let out = DrillPlan.Leg(from: "alpha", to: "beta", towardsPeer: true)

    private func view(_ state: FailoverStateName, peer: ServiceRole?, checks: Bool = true, up: Bool = true) -> DrillLegWatch.View {
        DrillLegWatch.View(state: state, peerRole: peer, runsServiceChecks: checks, inLoadBalancer: up, lastReason: "why: \(state.rawValue)")
    }

    func testTheLegToThePeerSettlesOnceThisNodeStoodDown() {
        var watch = DrillLegWatch(leg: out)
        XCTAssertNil(watch.observe(view(.handingOff, peer: .standby), at: .milliseconds(10)))
        XCTAssertNil(watch.observe(view(.handingOff, peer: .takingOver), at: .milliseconds(100)))
        XCTAssertNil(watch.observe(view(.quiescing, peer: .active), at: .milliseconds(300)))
        XCTAssertNil(watch.observe(view(.quiescing, peer: .active, checks: false, up: false), at: .milliseconds(1_300)))
        XCTAssertEqual(watch.observe(view(.standby, peer: .active, checks: false, up: false), at: .milliseconds(2_300)), .settled)
        XCTAssertEqual(watch.verified, .milliseconds(300))
        XCTAssertEqual(watch.drained, .milliseconds(2_300))
    }

    func testTheLegBackSettlesOnceThisNodeIsActive() {
        var watch = DrillLegWatch(leg: out.reversed)
        XCTAssertNil(watch.observe(view(.takingOver, peer: .active, checks: false, up: false), at: .milliseconds(10)))
        XCTAssertNil(watch.observe(view(.takingOver, peer: .active, checks: true, up: false), at: .milliseconds(60)))
        XCTAssertNil(watch.observe(view(.takingOver, peer: .active, checks: true, up: true), at: .milliseconds(260)))
        XCTAssertEqual(watch.observe(view(.active, peer: .standby), at: .milliseconds(2_300)), .settled)
        XCTAssertEqual([watch.started, watch.verified, watch.drained], [.milliseconds(60), .milliseconds(260), .milliseconds(2_300)])
    }

    func testAGivenUpLegEndsAbandonedWithTheMachinesReason() {
        var there = DrillLegWatch(leg: out)
        XCTAssertNil(there.observe(view(.handingOff, peer: .takingOver), at: .milliseconds(10)))
        XCTAssertEqual(there.observe(view(.active, peer: .failed), at: .milliseconds(40)), .abandoned("why: active"))
        XCTAssertNil(there.drained)
        var back = DrillLegWatch(leg: out.reversed)
        XCTAssertNil(back.observe(view(.takingOver, peer: .active, checks: false, up: false), at: .milliseconds(10)))
        XCTAssertEqual(back.observe(view(.quiescing, peer: .active, checks: false, up: false), at: .milliseconds(40)), .abandoned("why: quiescing"))
    }
}

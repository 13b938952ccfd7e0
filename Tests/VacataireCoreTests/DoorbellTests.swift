import XCTest
import VacataireCore
import VacataireTestSupport

/// `Doorbell.wait(until:on:)`, the sleep of the agent's tick loop, its address announcements
/// and its page releases: it ends at the deadline or at a ring, and says which.
final class DoorbellTests: XCTestCase {
    func testAWaitEndsAtItsDeadlineOnTheClock() async {
        let clock = ManualClock()
        let bell = Doorbell()
        let deadline = clock.now + .seconds(30)
        async let rang = bell.wait(until: deadline, on: clock)
        await clock.untilSleeping(1)
        await clock.advance(by: .seconds(30))
        let result = await rang
        XCTAssertFalse(result, "no ring: the deadline ended the wait")
        XCTAssertEqual(clock.now, deadline)
    }

    func testARingEndsTheWaitBeforeItsDeadline() async {
        let clock = ManualClock()
        let bell = Doorbell()
        let start = clock.now
        async let rang = bell.wait(until: start + .seconds(30), on: clock)
        await clock.untilSleeping(1)
        bell.ring()
        let result = await rang
        XCTAssertTrue(result)
        XCTAssertEqual(clock.now, start, "no time passed")
        XCTAssertEqual(clock.sleeping, 0, "the deadline's sleep is gone with the wait")
    }
}

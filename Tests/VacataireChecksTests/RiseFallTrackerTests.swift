import VacataireChecks
import XCTest

final class RiseFallTrackerTests: XCTestCase {
    /// Feeds results and returns the health after each one.
    private func healths(_ tracker: inout RiseFallTracker, _ results: String) -> [CheckHealth] {
        results.map { character in
            _ = tracker.record(passed: character == "+")
            return tracker.health
        }
    }

    func testFirstResultDecides() {
        var passing = RiseFallTracker(rise: 2, fall: 3)
        XCTAssertEqual(passing.health, .pending)
        XCTAssertEqual(passing.record(passed: true), .healthy)
        var failing = RiseFallTracker(rise: 2, fall: 3)
        XCTAssertEqual(failing.record(passed: false), .failing)
    }

    func testFallNeedsThatManyFailuresInARow() {
        var tracker = RiseFallTracker(rise: 2, fall: 3)
        XCTAssertEqual(healths(&tracker, "+--+--+---"), [
            .healthy, .healthy, .healthy, .healthy, .healthy, .healthy, .healthy, .healthy, .healthy, .failing,
        ])
    }

    func testRiseNeedsThatManyPassesInARow() {
        var tracker = RiseFallTracker(rise: 3, fall: 1)
        XCTAssertEqual(healths(&tracker, "-++-++-+++"), [
            .failing, .failing, .failing, .failing, .failing, .failing, .failing, .failing, .failing, .healthy,
        ])
    }

    func testChangesAreReportedOnce() {
        var tracker = RiseFallTracker(rise: 2, fall: 2)
        let changes = "+--" .map { tracker.record(passed: $0 == "+") } + "-++".map { tracker.record(passed: $0 == "+") }
        XCTAssertEqual(changes, [.healthy, nil, .failing, nil, nil, .healthy])
    }

    func testRiseAndFallOfOneFollowEveryResult() {
        var tracker = RiseFallTracker(rise: 1, fall: 1)
        XCTAssertEqual(healths(&tracker, "+-+-"), [.healthy, .failing, .healthy, .failing])
    }
}

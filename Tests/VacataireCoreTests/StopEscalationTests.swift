import VacataireCore
import XCTest

/// A stop action that cannot be started: tried three times with growing pauses while its
/// timeout allows, then the started group is signalled with a grace of half the timeout
/// (between 0.5 s and 5 s).
final class StopEscalationTests: XCTestCase {
    func testRetriesWithinTheTimeoutThenSignals() {
        let timeout = Duration.seconds(10)
        XCTAssertEqual(StopEscalation.after(attempt: 1, left: .seconds(9), timeout: timeout), .retry(after: .milliseconds(100)))
        XCTAssertEqual(StopEscalation.after(attempt: 2, left: .seconds(9), timeout: timeout), .retry(after: .milliseconds(200)))
        XCTAssertEqual(StopEscalation.after(attempt: 3, left: .seconds(9), timeout: timeout), .signalStartedGroup(grace: .seconds(5)))
        XCTAssertEqual(StopEscalation.after(attempt: 1, left: .milliseconds(50), timeout: timeout), .signalStartedGroup(grace: .seconds(5)),
                       "no pause longer than what is left of the timeout")
        XCTAssertEqual(StopEscalation.after(attempt: 1, left: .zero, timeout: .milliseconds(600)), .signalStartedGroup(grace: .milliseconds(500)))
        XCTAssertEqual(StopEscalation.after(attempt: 99, left: .seconds(1), timeout: .seconds(3)), .signalStartedGroup(grace: .milliseconds(1500)))
    }
}

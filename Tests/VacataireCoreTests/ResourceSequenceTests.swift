import XCTest
@testable import VacataireCore

/// The order of `failover.resources`: started in order, stopped in reverse, a failed start
/// undone, a failed stop leaving what lies below it.
final class ResourceSequenceTests: XCTestCase {
    /// Drives a sequence to its end: `outcomes[step]` says whether each step succeeds
    /// (missing ones succeed); returns the steps run and the end.
    private func drive(_ planned: (sequence: ResourceSequence, first: ResourceSequence.Step), failing: Set<String> = []) -> (ran: [String], end: ResourceSequence.Step) {
        var sequence = planned.sequence
        var step = planned.first
        var ran: [String] = []
        while case .run(let action, let index) = step {
            let name = "\(action.rawValue) \(index)"
            ran.append(name)
            XCTAssertLessThan(ran.count, 50, "the sequence never ends")
            if ran.count >= 50 { break }
            step = sequence.finished(succeeded: !failing.contains(name))
        }
        return (ran, step)
    }

    func testStartRunsInOrder() {
        let (ran, end) = drive(ResourceSequence.start(count: 3))
        XCTAssertEqual(ran, ["start 0", "start 1", "start 2"])
        XCTAssertEqual(end, .succeeded)
    }

    func testStopRunsInReverse() {
        let (ran, end) = drive(ResourceSequence.stop(count: 3))
        XCTAssertEqual(ran, ["stop 2", "stop 1", "stop 0"])
        XCTAssertEqual(end, .succeeded)
    }

    func testAFailedStartStopsItAndWhatStartedBeforeItInReverse() {
        let (ran, end) = drive(ResourceSequence.start(count: 3), failing: ["start 1"])
        XCTAssertEqual(ran, ["start 0", "start 1", "stop 1", "stop 0"], "resource 2 is never started, nor stopped")
        XCTAssertEqual(end, .failed(.init(action: .start, resource: 1, stopped: [1, 0], undoFailure: nil, untouched: [])))
    }

    func testAFailedFirstStartStopsOnlyItself() {
        let (ran, end) = drive(ResourceSequence.start(count: 2), failing: ["start 0"])
        XCTAssertEqual(ran, ["start 0", "stop 0"])
        XCTAssertEqual(end, .failed(.init(action: .start, resource: 0, stopped: [0], undoFailure: nil, untouched: [])))
    }

    func testAStopThatFailsWhileUndoingLeavesWhatIsBelow() {
        let (ran, end) = drive(ResourceSequence.start(count: 3), failing: ["start 2", "stop 1"])
        XCTAssertEqual(ran, ["start 0", "start 1", "start 2", "stop 2", "stop 1"])
        XCTAssertEqual(end, .failed(.init(action: .start, resource: 2, stopped: [2], undoFailure: 1, untouched: [0])))
    }

    func testAFailedStopEndsTheStopThere() {
        let (ran, end) = drive(ResourceSequence.stop(count: 3), failing: ["stop 1"])
        XCTAssertEqual(ran, ["stop 2", "stop 1"], "resource 0 stays: resource 1 may still use it")
        XCTAssertEqual(end, .failed(.init(action: .stop, resource: 1, stopped: [], undoFailure: nil, untouched: [0])))
    }

    func testNoResourcesIsAtOnceDone() {
        XCTAssertEqual(ResourceSequence.start(count: 0).first, .succeeded)
        XCTAssertEqual(ResourceSequence.stop(count: 0).first, .succeeded)
    }

    func testALateOutcomeAfterTheEndChangesNothing() {
        var (sequence, _) = ResourceSequence.stop(count: 1)
        let end = sequence.finished(succeeded: false)
        XCTAssertEqual(sequence.finished(succeeded: true), end)
    }

    func testEveryFailureUndoesExactlyWhatStarted() {
        // Every failing start of 4 resources, with every stop succeeding: each started one is
        // stopped once, in reverse, and none that never started is touched.
        for failed in 0..<4 {
            let (ran, end) = drive(ResourceSequence.start(count: 4), failing: ["start \(failed)"])
            let starts = (0...failed).map { "start \($0)" }
            let stops = (0...failed).reversed().map { "stop \($0)" }
            XCTAssertEqual(ran, starts + stops)
            guard case .failed(let failure) = end else { return XCTFail("start \(failed) failed, yet \(end)") }
            XCTAssertEqual(failure.stopped, Array((0...failed).reversed()))
        }
    }
}

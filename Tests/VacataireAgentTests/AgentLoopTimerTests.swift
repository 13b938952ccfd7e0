import XCTest
import VacataireChecks
import VacataireCore
@testable import VacataireAgent

/// The timers of the agent's loop, as the daemon's waits use them: a sleep, a wait for a
/// ring or a deadline (the tick loop's), and a check's bound, each on one loop timer
/// instead of a sleeping task, with the same outcomes as on any clock.
final class AgentLoopTimerTests: XCTestCase {
    private let loop = AgentLoop()

    func testTheSystemClockHasLoopTimersOnlyOnTheLoop() async throws {
        XCTAssertNil(SystemClock().timer(at: .seconds(1)) {}, "off the loop, waits sleep on the clock instead")
        try await loop.run {
            let clock = SystemClock()
            let fired = Doorbell()
            let timer = clock.timer(at: clock.now + .milliseconds(20)) { fired.open() }
            XCTAssertNotNil(timer)
            await fired.wait()
        }
    }

    func testASleepEndsAtItsTimeAndACancelledOneThrows() async throws {
        try await loop.run {
            let clock = SystemClock()
            let start = clock.now
            try await clock.sleep(for: .milliseconds(30))
            XCTAssertGreaterThanOrEqual(clock.now.since(start), .milliseconds(30))
            await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    do {
                        try await clock.sleep(for: .seconds(600))
                        return false
                    } catch {
                        return error is CancellationError
                    }
                }
                group.cancelAll()
                let threw = await group.next()
                XCTAssertEqual(threw, true, "a cancelled sleep throws CancellationError and returns")
            }
        }
    }

    func testAWaitForARingEndsAtTheRingOrAtItsDeadline() async throws {
        try await loop.run {
            let clock = SystemClock()
            let bell = Doorbell()
            let start = clock.now
            let timedOut = await bell.wait(until: start + .milliseconds(30), on: clock)
            XCTAssertFalse(timedOut, "nobody rang: the deadline ended it")
            XCTAssertGreaterThanOrEqual(clock.now.since(start), .milliseconds(30))

            bell.ring()  // rung while nobody waits: the next wait returns at once
            let early = await bell.wait(until: clock.now + .seconds(600), on: clock)
            XCTAssertTrue(early)

            async let rang = bell.wait(until: clock.now + .seconds(600), on: clock)
            // Rung from another thread until the wait has it (a ring before the wait is
            // remembered, so one ring would do; the loop proves the wait took it).
            let ringer = Thread { while !bell.isOpen { bell.ring(); usleep(1000) } }
            ringer.start()
            let result = await rang
            bell.open()
            XCTAssertTrue(result, "the ring ended a ten-minute wait")
        }
    }

    func testACancelledWaitForARingReturns() async throws {
        try await loop.run {
            let clock = SystemClock()
            let bell = Doorbell()
            await withTaskGroup(of: Bool.self) { group in
                group.addTask { await bell.wait(until: clock.now + .seconds(600), on: clock) }
                group.cancelAll()
                let rang = await group.next()
                XCTAssertEqual(rang, false)
            }
        }
    }

    /// A check's run is bounded by a loop timer: a run that answers in time gives its result;
    /// one that hangs is given up at its bound (timeout and grace) and reported.
    func testACheckRunIsBoundedOnTheLoop() async throws {
        try await loop.run {
            let pool = WorkPool()
            await withDiscardingTaskGroup { group in
                group.addTask { await pool.run() }
                let quick = ScheduledCheck(name: "quick", interval: .seconds(1), timeout: .milliseconds(50), check: Answering(hang: false))
                let answered = await quick.runBounded(grace: .milliseconds(50), pool: pool)
                XCTAssertEqual(answered.status, .ok, answered.message)
                let hung = ScheduledCheck(name: "hung", interval: .seconds(1), timeout: .milliseconds(50), check: Answering(hang: true))
                let givenUp = await hung.runBounded(grace: .milliseconds(50), pool: pool)
                XCTAssertEqual(givenUp.status, .critical)
                XCTAssertTrue(givenUp.message.contains("no result within"), givenUp.message)
                pool.finish()
            }
        }
    }
}

/// A check that answers OK at once, or never (until cancelled).
private struct Answering: HealthCheck {
    let hang: Bool

    func run(timeout: Duration) async -> CheckResult {
        if hang { await Doorbell().wait() }
        return CheckResult(status: .ok, message: "fine")
    }
}

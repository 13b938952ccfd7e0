import Foundation
import VacataireChecks
import VacataireCore
import VacataireTestSupport
import XCTest

/// A check that ignores its timeout and blocks a thread of its own for a long time:
/// the worst a check can do to the scheduler.
private struct StuckCheck: HealthCheck {
    func run(timeout: Duration) async -> CheckResult {
        await withCheckedContinuation { continuation in
            Thread {
                Thread.sleep(forTimeInterval: 20)
                continuation.resume(returning: CheckResult(status: .ok, message: "finally"))
            }.start()
        }
    }
}

final class CheckSchedulerTests: XCTestCase {
    private func memoryCheck(interval: Duration) -> ScheduledCheck {
        let settings = MemoryCheckSettings(procRoot: CheckFixtures.path("meminfo/ok"))
        return ScheduledCheck(name: "memory", interval: interval, timeout: interval, rise: 1, fall: 1, check: MemoryCheck(settings))
    }

    /// On a manual clock: while the hung check's first run waits for its page (real time,
    /// up to its 2 s timeout), a second of the clock runs the fast check exactly ten times more.
    func testHungHTTPCheckDoesNotDelayAFastCheck() async throws {
        let server = try HTTPFixtureServer()
        defer { server.stop() }
        let hung = ScheduledCheck(
            name: "hung-page", interval: .seconds(2), timeout: .seconds(2), rise: 1, fall: 1,
            check: HTTPCheck(HTTPCheckSettings(url: server.url("/hang")))
        )
        let clock = ManualClock()
        let scheduler = CheckScheduler(checks: [hung, memoryCheck(interval: .milliseconds(100))], clock: clock)
        let task = Task { await scheduler.run() }
        defer { task.cancel() }
        await clock.untilSleeping(1)  // the fast check's first run is done
        await clock.advance(by: .milliseconds(100), times: 10)
        var snapshot = await scheduler.snapshot()
        XCTAssertEqual(snapshot.first { $0.name == "memory" }?.runs, 11, "the first run and one per 100 ms")
        XCTAssertEqual(snapshot.first { $0.name == "hung-page" }?.runs, 0, "still waiting for its page")

        let cutOff = await Wait.until(timeout: 10) { await scheduler.snapshot().first { $0.name == "hung-page" }?.runs == 1 }
        XCTAssertTrue(cutOff, "the hung page is cut off at its timeout")
        snapshot = await scheduler.snapshot()
        let slow = try XCTUnwrap(snapshot.first { $0.name == "hung-page" })
        XCTAssertEqual(slow.latest?.status, .critical)
        XCTAssertEqual(slow.health, .failing)
    }

    /// On a manual clock, a check that ignores its timeout (300 ms) is given up after its
    /// grace (real time) and reported; the fast check runs exactly once per 100 ms meanwhile.
    func testACheckThatIgnoresItsTimeoutIsCutOffAndNeverRunTwiceAtOnce() async throws {
        let stuck = ScheduledCheck(name: "stuck", interval: .milliseconds(300), timeout: .milliseconds(300), rise: 1, fall: 1, check: StuckCheck())
        let clock = ManualClock()
        let scheduler = CheckScheduler(checks: [stuck, memoryCheck(interval: .milliseconds(100))], grace: .milliseconds(200), clock: clock)
        let task = Task { await scheduler.run() }
        defer { task.cancel() }
        await clock.untilSleeping(1)
        await clock.advance(by: .milliseconds(100), times: 5)
        // Each stuck run ends after its timeout and grace of real time; being late, the
        // next starts at once (never two at once), and the one after waits for its time.
        let twice = await Wait.until(timeout: 10) { await scheduler.snapshot().first { $0.name == "stuck" }?.runs == 2 }
        XCTAssertTrue(twice, "each stuck run is given up after timeout and grace")
        await clock.advance(by: .milliseconds(300))
        let snapshot = await scheduler.snapshot()
        let cut = try XCTUnwrap(snapshot.first { $0.name == "stuck" })
        XCTAssertEqual(cut.runs, 3, "the third run at 800 ms, given up before the clock moved on")
        XCTAssertEqual(snapshot.first { $0.name == "memory" }?.runs, 9, "the first run and one per 100 ms of the clock")
        XCTAssertEqual(cut.latest?.status, .critical)
        XCTAssertTrue(cut.latest?.message.contains("has still not ended") ?? false, cut.latest?.message ?? "")
    }

    func testStoppingTheSchedulerKillsARunningPlugin() async throws {
        let scratch = try CheckScratchDirectory("scheduler")
        defer { scratch.remove() }
        let pidFile = scratch.file("child.pid")
        let plugin = ScheduledCheck(
            name: "plugin", interval: .seconds(30), timeout: .seconds(30),
            check: ExecCheck(ExecCheckSettings(command: [CheckFixtures.path("hang.sh"), pidFile]))
        )
        let scheduler = CheckScheduler(checks: [plugin], clock: ManualClock())
        let stream = scheduler.transitions()
        let task = Task { await scheduler.run() }
        // The plugin runs once its child's pid is written; its 30 s timeout is real time and
        // the clock never moves, so nothing else can end the run before the scheduler stops.
        let pid = await CheckFixtures.pid(writtenTo: pidFile)
        task.cancel()
        await task.value
        var count = 0
        for await _ in stream { count += 1 }
        XCTAssertEqual(count, 0, "no run finished, so no transition; the stream ends with run()")
        let child = try XCTUnwrap(pid, "the plugin wrote its child's pid")
        defer { _ = kill(child, SIGKILL) }
        let gone = await CheckFixtures.dies(child, timeout: 2)
        XCTAssertTrue(gone, "the plugin's child \(child) outlived the scheduler")
    }

    func testTransitionsAndVerdict() async throws {
        let web = ScheduledCheck(name: "web", interval: .seconds(1), timeout: .seconds(1), rise: 2, fall: 2, check: StuckCheck())
        let disk = ScheduledCheck(name: "disk", severity: .warning, interval: .seconds(1), timeout: .seconds(1), rise: 1, fall: 1, check: StuckCheck())
        let scheduler = CheckScheduler(checks: [web, disk])
        let engine = scheduler.transitions()
        let notifier = scheduler.transitions()
        let ok = CheckResult(status: .ok, message: "fine")
        let bad = CheckResult(status: .critical, message: "expected 1234 bytes, got 512")

        var verdict = await scheduler.verdict()
        XCTAssertFalse(verdict.healthy)
        XCTAssertEqual(verdict.pending, ["web"])
        for result in [ok, bad, bad, ok, ok] {
            await scheduler.record(web, result)
        }
        await scheduler.record(disk, bad)
        verdict = await scheduler.verdict()
        XCTAssertTrue(verdict.healthy, verdict.reason)
        XCTAssertEqual(verdict.warnings, ["disk"])

        var seen: [CheckTransition] = []
        for await transition in engine {
            seen.append(transition)
            if seen.count == 4 { break }
        }
        var alsoSeen: [CheckTransition] = []
        for await transition in notifier {
            alsoSeen.append(transition)
            if alsoSeen.count == 4 { break }
        }
        XCTAssertEqual(alsoSeen, seen)
        XCTAssertEqual(seen.map(\.check), ["web", "web", "web", "disk"])
        XCTAssertEqual(seen.map(\.event), [nil, .checkFailed, .checkRecovered, .checkFailed])
        XCTAssertEqual(seen.map(\.change), [.firstResultPassed, .failing, .recovered, .failing])
        var stopped = seen[1]
        stopped.to = .idle
        XCTAssertEqual(stopped.change, .followedTheService, "a check going idle with its service is no news")
        XCTAssertEqual(seen[1].verdict.failing, ["web"])
        XCTAssertEqual(seen[1].result.message, "expected 1234 bytes, got 512")
        XCTAssertTrue(seen[2].verdict.healthy)
        XCTAssertEqual(seen[3].severity, .warning)
    }

    func testRunOnceReturnsEveryResultInOrder() async throws {
        let server = try HTTPFixtureServer()
        defer { server.stop() }
        let slow = ScheduledCheck(name: "slow", interval: .seconds(2), timeout: .seconds(2), check: HTTPCheck(HTTPCheckSettings(url: server.url("/slow"))))
        let fast = memoryCheck(interval: .seconds(1))
        let results = await CheckScheduler.runOnce([slow, fast])
        XCTAssertEqual(results.map(\.status), [.critical, .ok])
    }
}

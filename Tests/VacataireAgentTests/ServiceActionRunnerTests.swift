import Foundation
import VacataireChecks
@testable import VacataireCore
import VacataireTestSupport
import XCTest

@testable import VacataireAgent

final class ServiceActionRunnerTests: XCTestCase {
    private let runner = ServiceActionRunner(node: "node-a", peer: "node-b")
    private let context = ServiceActionContext(
        role: .active, epoch: 8, event: .takeover, incident: IncidentID(epoch: 8, topic: .roleChange),
        reason: "taking over: no heartbeat for 15 s")

    private func command(_ text: String, timeout: Double = 10) -> FailoverConfig.ActionCommand {
        FailoverConfig.ActionCommand(command: text, timeout: ConfigDuration(seconds: timeout))
    }

    func testSuccessKeepsStdoutAndStderrTogether() async {
        let report = await runner.run(.start, command("echo starting nginx; echo 'a warning' >&2; echo started"), context: context)
        XCTAssertTrue(report.succeeded, report.summary)
        XCTAssertEqual(report.termination, .exited(0))
        XCTAssertFalse(report.timedOut)
        XCTAssertEqual(report.outputTail, "starting nginx\na warning\nstarted\n")
        XCTAssertEqual(report.outputBytes, report.outputTail.utf8.count)
        XCTAssertTrue(report.summary.hasPrefix("start exited 0 after "), report.summary)
        XCTAssertTrue(report.summary.hasSuffix(" s"), report.summary)
        XCTAssertEqual(report.outcome, .succeeded)
    }

    func testNonZeroExitIsAFailedOutcomeWithTheLastLine() async {
        let report = await runner.run(.stop, command("echo stopping; echo 'nginx: cannot find pid file' >&2; exit 3"), context: context)
        XCTAssertFalse(report.succeeded)
        XCTAssertEqual(report.termination, .exited(3))
        XCTAssertTrue(report.summary.hasPrefix("stop exited 3 after "), report.summary)
        XCTAssertEqual(report.outcome, .failed("\(report.summary): nginx: cannot find pid file"))
    }

    func testKilledBySignalIsReported() async {
        let report = await runner.run(.stop, command("kill -TERM $$"), context: context)
        XCTAssertEqual(report.termination, .signaled(SIGTERM))
        XCTAssertTrue(report.summary.hasPrefix("stop was killed by signal 15 (SIGTERM) after "), report.summary)
    }

    func testEnvironmentDescribesTheTransition() async {
        let script = #"printf '%s\n' "$VACATAIRE_ACTION" "$VACATAIRE_ROLE" "$VACATAIRE_EVENT" "$VACATAIRE_INCIDENT" "$VACATAIRE_NODE" "$VACATAIRE_PEER" "$VACATAIRE_EPOCH" "$VACATAIRE_REASON" "${PATH:+path inherited}""#
        let report = await runner.run(.start, command(script), context: context)
        XCTAssertTrue(report.succeeded, report.summary)
        XCTAssertEqual(report.outputTail.split(separator: "\n").map(String.init), [
            "start", "active", "takeover", "e8", "node-a", "node-b", "8", "taking over: no heartbeat for 15 s", "path inherited",
        ])
    }

    func testWithoutAContextOnlyNodePeerAndActionAreSet() async {
        let script = #"echo "$VACATAIRE_ACTION $VACATAIRE_NODE $VACATAIRE_PEER ${VACATAIRE_ROLE-unset} ${VACATAIRE_INCIDENT-unset}""#
        let report = await runner.run(command(script), label: "fence", context: nil)
        XCTAssertEqual(report.outputTail, "fence node-a node-b unset unset\n")
        let quiet = ServiceActionContext(role: .standby, epoch: 3, event: nil, incident: nil, reason: "failback")
        let second = await runner.run(.stop, command(#"echo "${VACATAIRE_EVENT-unset} ${VACATAIRE_INCIDENT-unset} $VACATAIRE_ROLE""#), context: quiet)
        XCTAssertEqual(second.outputTail, "unset unset standby\n")
    }

    func testTimeoutKillsTheWholeProcessGroup() async throws {
        let scratch = try CheckScratchDirectory("actions")
        defer { scratch.remove() }
        let pidFile = scratch.file("child.pid")
        let started = ContinuousClock.now
        let report = await runner.run(.stop, command("echo going; sleep 60 & echo $! > \(pidFile); sleep 60", timeout: 0.5), context: context)
        let elapsed = ContinuousClock.now - started
        XCTAssertTrue(report.timedOut)
        XCTAssertFalse(report.succeeded)
        XCTAssertEqual(report.summary, "stop timed out after 0.5 s; its process group was killed")
        XCTAssertEqual(report.outputTail, "going\n")
        print("a stop with a 0.5 s timeout and two 60 s sleeps ended after \(elapsed)")

        let text = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let child = try XCTUnwrap(pid_t(text), "the background child's pid: \(text)")
        let dead = await CheckFixtures.dies(child)
        XCTAssertTrue(dead, "background child \(child) survived the timeout")
    }

    func testLargeOutputIsBoundedToItsTail() async {
        let report = await runner.run(.start, command("seq 1 1000000"), context: context)
        XCTAssertTrue(report.succeeded, report.summary)
        XCTAssertGreaterThan(report.outputBytes, 6_000_000)
        XCTAssertLessThanOrEqual(report.outputTail.utf8.count, OutputTail.defaultByteLimit)
        let lines = report.outputTail.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines, (999_981...1_000_000).map(String.init))
    }

    func testAMissingShellIsAFailedReportNotAThrow() async {
        let broken = ServiceActionRunner(node: "node-a", peer: "node-b", shell: "/nonexistent/sh")
        let report = await broken.run(.start, command("true"), context: context)
        XCTAssertFalse(report.succeeded)
        guard case .notStarted = report.termination else {
            return XCTFail("expected notStarted, got \(report.termination)")
        }
        XCTAssertTrue(report.summary.hasPrefix("start could not be started: "), report.summary)
        XCTAssertTrue(report.summary.contains("/nonexistent/sh"), report.summary)
        XCTAssertEqual(report.outcome, .failed(report.summary))
    }

    func testCancellationKillsTheGroup() async throws {
        let scratch = try CheckScratchDirectory("actions")
        defer { scratch.remove() }
        let pidFile = scratch.file("shell.pid")
        let runner = self.runner
        let context = self.context
        let command = command("echo $$ > \(pidFile); sleep 60", timeout: 30)
        let task = Task { await runner.run(.stop, command, context: context) }
        // Cancelled once the command runs (its shell wrote its pid), not before it started.
        let shell = await CheckFixtures.pid(writtenTo: pidFile)
        task.cancel()
        let report = await task.value
        let leader = try XCTUnwrap(shell, "the command wrote its shell's pid")
        XCTAssertEqual(report.termination, .cancelled)
        XCTAssertTrue(report.summary.contains("its process group was killed"), report.summary)
        let dead = await CheckFixtures.dies(leader)
        XCTAssertTrue(dead, "the command's shell \(leader) survived the cancellation")
    }
}

import Foundation
import VacataireTestSupport
import XCTest

/// `vacataire drill` on the pair as operators deploy it (`PairFixture.deployed()`: three
/// namespace hosts, real HAProxy, SMTP and SNMPv3 on lb), asserting what people and the
/// load balancer see: the report's figures, lb's samples of both services and of HAProxy
/// every 20 ms, the mails and traps.
final class DrillScenarioTests: XCTestCase {
    private var lab: PairFixture?

    override func tearDown() {
        lab?.tearDown()
        lab = nil
    }

    /// A healthy pair: the dry run changes nothing; the drill moves the service to beta and
    /// back with no sample in which nobody served (neither in the agent's samples nor in
    /// lb's, HAProxy answering 200 throughout), one notice by mail and one by trap, nothing
    /// paged; `events` and `/metrics` keep the figures.
    func testADrillOnAHealthyPairReportsItsFiguresAndPagesNobody() throws {
        let lab = try startLab()
        let dry = try lab.admin(.alpha, ["drill", "--dry-run"])
        XCTAssertEqual(dry.status, 0, dry.stdout + dry.stderr)
        XCTAssertTrue(dry.stdout.contains("dry run: nothing changes") && dry.stdout.contains("from alpha to beta"), dry.stdout)
        XCTAssertEqual(lab.status(.alpha)?.state, "active", "the dry run moved something")

        let mark = lab.mark()
        let drill = try lab.admin(.alpha, ["drill"])
        print("[drill] vacataire drill on alpha: exit \(drill.status):\n\(drill.stdout)\(drill.stderr)")
        _ = lab.waitUntil(timeout: 15) { !lab.mails(since: mark).isEmpty && !lab.trapsReceived(since: mark).isEmpty }
        lab.waitUntilNotificationsSettled()
        let samples = lab.samples.since(mark.time)
        let mails = lab.mails(since: mark)
        let traps = lab.trapsReceived(since: mark)
        report("drill on a healthy pair", lab: lab, mark: mark, mails: mails, traps: traps)

        XCTAssertEqual(drill.status, 0, "the drill failed: \(drill.stdout)\(drill.stderr)\n\(lab.logs)")
        XCTAssertTrue(drill.stdout.contains("drill passed: alpha -> beta -> alpha"), drill.stdout)
        XCTAssertEqual(drill.stdout.components(separatedBy: "nobody answered in 0 of").count - 1, 2, "each leg's own samples:\n\(drill.stdout)")
        XCTAssertTrue(lab.frontendServes(.alpha), "HAProxy does not serve alpha after the drill")
        XCTAssertGreaterThan(samples.samples.count, 50, "lb's sampler took too few samples during the drill")
        XCTAssertTrue(samples.samples.contains { $0.beta.answers }, "lb never saw beta's service: the drill did not move it")
        XCTAssertEqual(samples.nobodyCount, 0, "lb's samples with nobody serving:\n\(samples.timeline(since: mark.time))")
        XCTAssertEqual(samples.frontendErrors.count, 0, "HAProxy answers other than 200:\n\(samples.timeline(since: mark.time))")
        XCTAssertEqual(mails.pages.count, 0, "a drill that passed paged:\n\(mails.listing)")
        XCTAssertEqual(traps.pages.count, 0, "a drill that passed paged by trap:\n\(traps.listing)")
        XCTAssertEqual(mails.map(\.event), ["drill"], "one notice mail, the report:\n\(mails.listing)")
        XCTAssertEqual(traps.map(\.event), ["drill"], "one trap, the report:\n\(traps.listing)")
        if let mail = mails.first {
            XCTAssertTrue(mail.body.contains("drill passed") && mail.body.contains("leg alpha -> beta: passed"), mail.body)
        }

        let events = try lab.admin(.alpha, ["events", "--limit", "30"])
        XCTAssertTrue(events.stdout.contains("drill passed: alpha -> beta -> alpha"), "vacataire events does not keep the report:\n\(events.stdout)")
        let metrics = try self.metrics(lab, .alpha)
        XCTAssertEqual(metrics.value("vacataire_drill_last_passed"), 1, "/metrics")
        XCTAssertEqual(metrics.value("vacataire_drill_last_nobody_samples"), 0)
        let drain = metrics.value("vacataire_drill_last_leg_seconds", ["leg": "1", "phase": "drain"]) ?? -1
        XCTAssertGreaterThan(drain, 0, "leg 1's drain time in /metrics")
    }

    /// beta cannot start its service (a full quota): the first leg fails, alpha keeps (or
    /// gets back) the service, lb never sees nobody serving, and one incident is paged (one
    /// mail, one trap), naming beta's failed start. A drill asked again is refused and says
    /// what to fix; once beta is repaired, the next drill passes and closes the incident.
    func testADrillWhoseStandbyCannotStartPutsTheServiceBackAndPagesOnce() throws {
        let lab = try startLab()
        try lab.failStarts(.beta, true)
        let mark = lab.mark()
        let drill = try lab.admin(.alpha, ["drill"])
        print("[drill] vacataire drill on alpha with beta's starts failing: exit \(drill.status):\n\(drill.stdout)\(drill.stderr)")
        _ = lab.waitUntil(timeout: 15) { !lab.mails(since: mark).pages.isEmpty }
        lab.waitUntilNotificationsSettled()
        // The leg fails at once: lb's samples from the drill's start to some time after.
        XCTAssertTrue(lab.waitUntil(timeout: 10) { lab.samples.since(mark.time).samples.count >= 20 }, "lb's sampler took too few samples")
        let samples = lab.samples.since(mark.time)
        let mails = lab.mails(since: mark)
        let traps = lab.trapsReceived(since: mark)
        report("drill with beta's starts failing", lab: lab, mark: mark, mails: mails, traps: traps)

        XCTAssertEqual(drill.status, 1, "a failed drill exits 1: \(drill.stdout)\(drill.stderr)")
        XCTAssertTrue(drill.stdout.contains("drill FAILED at leg 1 (alpha -> beta)") && drill.stdout.contains("alpha serves"), drill.stdout)
        XCTAssertEqual(lab.status(.alpha)?.state, "active", lab.logs)
        XCTAssertTrue(lab.frontendServes(.alpha), "HAProxy does not serve alpha after the failed drill")
        XCTAssertEqual(samples.nobodyCount, 0, "lb's samples with nobody serving:\n\(samples.timeline(since: mark.time))")
        XCTAssertEqual(mails.pages.count, 1, "pages for a failed drill:\n\(mails.listing)")
        XCTAssertEqual(traps.pages.count, 1, "pages by trap for a failed drill:\n\(traps.listing)")
        XCTAssertEqual(mails.pages.first?.event, "drill-failed", mails.listing)
        if let page = mails.pages.first {
            XCTAssertTrue(page.body.contains("Disk quota exceeded") || page.body.contains("start actions failed"), "the page names beta's failed start:\n\(page.body)")
        }

        let again = try lab.admin(.alpha, ["drill"])
        XCTAssertEqual(again.status, 1, again.stdout + again.stderr)
        XCTAssertTrue(again.stdout.contains("refused:") && again.stdout.contains("beta is failed"), again.stdout)

        // Repaired and ready, beta passes the next drill, which closes the failed one's incident.
        try lab.failStarts(.beta, false)
        XCTAssertEqual(try lab.onNode(.beta, ["ready"]).status, 0, lab.logs)
        XCTAssertTrue(lab.waitUntil(timeout: 10) { lab.status(.beta)?.state == "standby" }, lab.logs)
        // Alpha learns it from beta's next heartbeat: until then it refuses the drill, rightly.
        XCTAssertTrue(lab.waitUntil(timeout: 10) {
            (lab.statusObject(.alpha)?["peer"] as? [String: Any])?["role"] as? String == "standby"
        }, "alpha never heard beta standby again:\n\(lab.logs)")
        let repaired = lab.mark()
        let proof = try lab.admin(.alpha, ["drill"])
        print("[drill] vacataire drill on alpha once beta is repaired: exit \(proof.status):\n\(proof.stdout)\(proof.stderr)")
        XCTAssertEqual(proof.status, 0, proof.stdout + proof.stderr)
        _ = lab.waitUntil(timeout: 15) { !lab.mails(since: repaired).isEmpty }
        lab.waitUntilNotificationsSettled()
        XCTAssertEqual(lab.mails(since: repaired).map(\.event), ["drill"], lab.mails(since: repaired).listing)
        let incidents = lab.statusObject(.alpha)?["incidents"] as? [[String: Any]]
        XCTAssertEqual(incidents?.count, 0, "the failed drill's incident is still open: \(incidents ?? [])")
    }

    // MARK: - Helpers

    private func startLab(file: StaticString = #filePath, line: UInt = #line) throws -> PairFixture {
        let lab = try PairFixture.deployed()
        self.lab = lab
        for problem in try lab.startDeployedPair() {
            XCTFail("starting the pair: \(problem)", file: file, line: line)
        }
        return lab
    }

    /// The node's `/metrics`, fetched from inside its namespace.
    private func metrics(_ lab: PairFixture, _ node: PairFixture.Node) throws -> PrometheusText {
        let command = try lab.network.command(in: node.host, ["/usr/bin/curl", "-sf", "http://\(node.publicAddress):\(9411)/metrics"])
        let result = try Repository.run(command[0], Array(command.dropFirst()))
        XCTAssertEqual(result.status, 0, "curl /metrics: \(result.stderr)")
        return try PrometheusText(result.stdout)
    }

    private func report(_ scenario: String, lab: PairFixture, mark: PairFixture.Mark, mails: [LabMail], traps: [LabTrap]) {
        print("""
            [drill] === \(scenario) ===
            [drill] \(lab.samples.summary(since: mark.time))
            [drill] mails: \(mails.count) (pages \(mails.pages.count)); traps: \(traps.count) (pages \(traps.pages.count))
            \(mails.listing)
            \(traps.listing)
            [drill] transitions:
            \(PairFixture.Node.allCases.map { node in lab.allTransitions(node).map { "  \(node.rawValue): \($0)" }.joined(separator: "\n") }.joined(separator: "\n"))
            """)
    }
}

import Foundation
import VacataireTestSupport
import XCTest

/// Incidents with a real pair (PairFixture) and a real SMTP sink: one page per incident
/// with the peer's confirmation, the peer paging what the serving node cannot deliver,
/// reminders across a restart. The reminder schedule itself (every `repeat_interval`,
/// acknowledgements and their expiry) runs on a manual clock in IncidentClockTests.
final class ReminderTests: XCTestCase {
    private var pair: PairFixture?

    override func tearDown() {
        pair?.tearDown()
        pair = nil
    }

    private func makePair(repeatInterval: String, notify: [PairFixture.Node: String] = [:]) throws -> PairFixture {
        let made = try PairFixture(extra: "incidents: {repeat_interval: \(repeatInterval), confirm_timeout: 1s}\n", notify: notify)
        pair = made
        return made
    }

    private func mails(_ pair: PairFixture, _ marker: String) -> [SMTPSink.Received] {
        pair.sink.messages().filter { $0.raw.contains(marker) }
    }

    private func reminders(_ pair: PairFixture) -> Int {
        mails(pair, "REMINDER: incident still open and unacknowledged (e2)").count
    }

    private func events(_ pair: PairFixture, _ node: PairFixture.Node) throws -> String {
        try pair.admin(node, ["events", "--incident", "e2"]).stdout
    }

    /// Fails alpha over to beta (incident e2, paged by beta); returns when alpha's check broke.
    @discardableResult
    private func failOver(_ pair: PairFixture) async throws -> Date {
        try await pair.startPair()
        let broken = Date()
        try pair.breakCheck(.alpha)
        try await pair.waitUntil("beta is active", timeout: 15) { pair.status(.beta)?.state == "active" }
        return broken
    }

    func testOneFailoverPagePerIncidentConfirmedOverThePeerLink() async throws {
        let pair = try makePair(repeatInterval: "1h")
        try await failOver(pair)
        try await pair.waitUntil("the failover page arrives", timeout: 10) { !mails(pair, "FAILOVER e2").isEmpty }
        try await pair.waitUntil("alpha hears that beta delivered it", timeout: 5) {
            (try? events(pair, .alpha).contains("beta confirmed delivering a page of incident e2")) ?? false
        }
        // alpha awaits no confirmation any more and neither node owes a delivery: nothing
        // can page this incident again (the schedule itself: IncidentRemindersTests).
        XCTAssertTrue(pair.waitUntilNotificationsSettled(timeout: 10), "a node still owes a notification:\n\(pair.logs)")
        XCTAssertEqual(mails(pair, "FAILOVER e2").count, 1, "one page, from beta only")
        let alpha = try events(pair, .alpha)
        let beta = try events(pair, .beta)
        XCTAssertTrue(alpha.contains("incident e2 opened") && beta.contains("incident e2 opened"), "both nodes record it\n\(alpha)\n\(beta)")
        XCTAssertTrue(alpha.contains("is paged by beta, which serves"), alpha)
        XCTAssertTrue(beta.contains("incident e2 (failover) paged by beta"), beta)
        XCTAssertTrue(beta.contains("delivered by beta; confirmed to alpha"), beta)
    }

    func testThePeerPagesWhenTheServingNodeCannotDeliver() async throws {
        let dead = try FreePort.tcp()
        let pair = try makePair(repeatInterval: "1h", notify: [
            .beta: #"{email: [{url: "smtp://127.0.0.1:\#(dead)", from: vacataire@example.org, to: [oncall@example.org], starttls: "off", timeout: 2s}]}"#,
        ])
        let broken = try await failOver(pair)
        try await pair.waitUntil("alpha sends the page beta could not", timeout: 10) { !mails(pair, "FAILOVER e2").isEmpty }
        print(String(format: "page from alpha at the sink %.2f s after alpha's check broke (confirm_timeout 1 s)", Date().timeIntervalSince(broken)))
        let page = try XCTUnwrap(mails(pair, "FAILOVER e2").first)
        XCTAssertTrue(page.body.contains("paged by alpha: beta did not confirm delivering it within 1s"), page.body)
        XCTAssertTrue(try events(pair, .alpha).contains("incident e2 paged by alpha: beta did not confirm"))
        // alpha has paged for its peer: it awaits no confirmation and owes no delivery.
        XCTAssertTrue(Wait.until(timeout: 10) { pair.owesNoNotification(.alpha) }, "alpha still owes a notification:\n\(pair.log(.alpha))")
        XCTAssertEqual(mails(pair, "FAILOVER e2").count, 1, "alpha pages once")
    }

    /// An agent restarted with an incident open and unacknowledged goes on reminding, and a
    /// failback after the restart still closes the incident (no reminder after it).
    func testRemindersGoOnAcrossARestartAndStopAtFailback() async throws {
        let pair = try makePair(repeatInterval: "1s")
        try await failOver(pair)
        try await pair.waitUntil("a first reminder", timeout: 10) { reminders(pair) >= 1 }
        XCTAssertEqual(pair.terminate(.beta), 0)
        let before = reminders(pair)
        try pair.start(.beta)
        try await pair.waitUntil("beta reminds again after its restart", timeout: 15) { reminders(pair) > before }
        XCTAssertTrue(pair.log(.beta).contains("open incidents from before the restart: e2"), pair.log(.beta))

        try pair.repairCheck(.alpha)
        try await pair.waitUntil("alpha has drained and stopped", timeout: 10) { pair.status(.alpha)?.state == "failed" }
        try await pair.waitUntil("alpha's check is healthy", timeout: 10) {
            pair.statusObject(.alpha)?["healthy"] as? Bool == true
        }
        let failback = try pair.admin(.alpha, ["failback"])
        XCTAssertEqual(failback.status, 0, failback.stdout + failback.stderr)
        try await pair.waitUntil("beta closes e2", timeout: 10) {
            ((try? events(pair, .beta)) ?? "").contains("incident e2 closed")
        }
        // Every reminder beta decided (its history) arrived once, and none was decided after
        // the close; that none comes later is the schedule's (IncidentRemindersTests).
        XCTAssertTrue(pair.waitUntilNotificationsSettled(timeout: 10), "a node still owes a notification:\n\(pair.logs)")
        let history = try events(pair, .beta).split(separator: "\n")
        let closed = try XCTUnwrap(history.firstIndex { $0.contains("incident e2 closed") })
        let decided = history.filter { $0.contains("(reminder ") }
        let fromAlpha = mails(pair, "REMINDER").filter { $0.headers["x-vacataire-node"] == "alpha" }
        XCTAssertEqual(fromAlpha.count, 0, "alpha reminded too (during its failback): \(fromAlpha.map { $0.headers["subject"] ?? "" })")
        XCTAssertEqual(reminders(pair), decided.count, "reminder mails against reminders in beta's history:\n\(history.joined(separator: "\n"))")
        XCTAssertFalse(history[closed...].contains { $0.contains("(reminder ") }, "a reminder after the close:\n\(history.joined(separator: "\n"))")
        XCTAssertEqual((pair.statusObject(.beta)?["incidents"] as? [Any])?.count, 0, "beta still lists an open incident")
    }
}

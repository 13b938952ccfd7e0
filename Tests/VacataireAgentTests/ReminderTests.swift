import Foundation
import VacataireTestSupport
import XCTest

/// Incidents with a real pair (PairFixture) and a real SMTP sink: reminders every
/// `repeat_interval` until `vacataire ack`, the acknowledgement sent once and honoured by
/// both nodes, its expiry, and one page per incident with the peer's confirmation.
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

    func testRemindersUntilAcknowledgedThenAfterTheAcknowledgementExpires() async throws {
        try XCTSkipIf(Repository.slowedDown, "reminder gaps are measured on the wall clock, which a sanitizer's slowdown distorts")
        let pair = try makePair(repeatInterval: "1s")
        try await failOver(pair)

        // Arrival times of the first three reminders: about one interval apart.
        var arrivals: [Date] = []
        try await pair.waitUntil("three reminders arrive", timeout: 10) {
            let count = reminders(pair)
            while arrivals.count < min(count, 3) { arrivals.append(Date()) }
            return count >= 3
        }
        let gaps = zip(arrivals.dropFirst(), arrivals).map { $0.timeIntervalSince($1) }
        print("reminder gaps: \(gaps.map { String(format: "%.2f s", $0) }.joined(separator: ", "))")
        XCTAssertTrue(gaps.allSatisfy { $0 > 0.5 && $0 < 2.5 }, "one reminder per second: \(gaps)")
        let reminder = try XCTUnwrap(mails(pair, "REMINDER").first)
        XCTAssertTrue(reminder.body.contains("Node:      beta"), "the serving node reminds\n\(reminder.body)")
        XCTAssertTrue(reminder.body.contains("open for"), "it says how long the incident is open\n\(reminder.body)")
        XCTAssertTrue(try events(pair, .beta).contains("paged by beta"), "the history says who paged")
        XCTAssertFalse(try events(pair, .alpha).contains("(reminder"), "the failed node sends no reminders")

        // Acknowledged on alpha, the node that does not page: beta stops too.
        let ack = try pair.admin(.alpha, ["ack", "--comment", "disk replaced", "--expires", "4s"])
        XCTAssertEqual(ack.status, 0, ack.stdout + ack.stderr)
        XCTAssertTrue(ack.stdout.contains("done: incident e2 acknowledged by root; reminders resume in 4 s"), ack.stdout)
        try await pair.waitUntil("beta records the acknowledgement with its real author", timeout: 5) {
            (try? events(pair, .beta).contains("acknowledged by root on alpha until")) ?? false
        }
        try await Task.sleep(for: .milliseconds(500))  // a reminder already in an outbox may still land
        let beforeQuiet = reminders(pair)
        try await Task.sleep(for: .seconds(2.5))
        XCTAssertEqual(reminders(pair), beforeQuiet, "no reminder from either node while acknowledged")
        let notices = mails(pair, "acknowledged by root (e2)")
        XCTAssertEqual(notices.count, 1, "the acknowledgement is sent once")
        XCTAssertTrue(notices.first?.body.contains("disk replaced") ?? false, notices.first?.body ?? "no notice")

        let resumed = try await pair.waitUntil("reminders resume after the expiry", timeout: 5) { reminders(pair) > beforeQuiet }
        print(String(format: "reminders resumed %.2f s after the quiet period (expiry 4 s after the ack)", resumed))
        XCTAssertTrue(try events(pair, .beta).contains("the acknowledgement of incident e2 expired; reminders resume"))

        // Acknowledged for good on beta: it lasts until the incident is closed.
        let final = try pair.admin(.beta, ["ack", "--comment", "for good"])
        XCTAssertEqual(final.status, 0, final.stdout + final.stderr)
        try await Task.sleep(for: .milliseconds(500))
        let afterFinal = reminders(pair)
        try await Task.sleep(for: .seconds(3))
        XCTAssertEqual(reminders(pair), afterFinal, "no reminder after an acknowledgement without expiry")
        print("reminders of e2 at the sink: \(afterFinal)")
    }

    func testOneFailoverPagePerIncidentConfirmedOverThePeerLink() async throws {
        let pair = try makePair(repeatInterval: "1h")
        try await failOver(pair)
        try await pair.waitUntil("the failover page arrives", timeout: 10) { !mails(pair, "FAILOVER e2").isEmpty }
        try await pair.waitUntil("alpha hears that beta delivered it", timeout: 5) {
            (try? events(pair, .alpha).contains("beta confirmed delivering a page of incident e2")) ?? false
        }
        try await Task.sleep(for: .seconds(2))  // twice confirm_timeout
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
        try await Task.sleep(for: .seconds(2))
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
            (try? pair.admin(.alpha, ["status"]).stdout.split(separator: "\n").first?.hasSuffix(", healthy")) ?? false
        }
        let failback = try pair.admin(.alpha, ["failback"])
        XCTAssertEqual(failback.status, 0, failback.stdout + failback.stderr)
        try await pair.waitUntil("beta closes e2", timeout: 10) {
            ((try? events(pair, .beta)) ?? "").contains("incident e2 closed")
        }
        let after = reminders(pair)
        try await Task.sleep(for: .seconds(2.5))
        XCTAssertEqual(reminders(pair), after, "no reminder once the incident is closed")
    }
}

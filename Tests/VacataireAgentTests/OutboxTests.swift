import Foundation
import VacataireTestSupport
import XCTest

/// The durable outbox with a real pair and a real SMTP server that is down when the page
/// is due: the page waits, is retried, and arrives once the server is back, also across a
/// kill -9 of the agent that owes it.
final class OutboxTests: XCTestCase {
    private var pair: PairFixture?
    private var lateSink: SMTPSink?

    override func tearDown() {
        lateSink?.stop()
        pair?.tearDown()
        pair = nil
    }

    private func makePair() throws -> PairFixture {
        let made = try PairFixture(extra: "outbox: {retry_initial: 200ms, retry_max: 1s}\n")
        pair = made
        return made
    }

    private func outboxPending(_ pair: PairFixture, _ node: PairFixture.Node) -> Int? {
        pair.statusObject(node)?["outboxPending"] as? Int
    }

    /// Fails alpha over to beta while the SMTP server is down, and returns once beta owes
    /// the page (the trap, on a live receiver, has gone).
    private func failOverWithMailDown(_ pair: PairFixture) async throws {
        try await pair.startPair()
        pair.sink.stop()
        try pair.breakCheck(.alpha)
        try await pair.waitUntil("beta is active", timeout: 15) { pair.status(.beta)?.state == "active" }
        try await pair.waitUntil("beta's outbox owes the page", timeout: 10) { (outboxPending(pair, .beta) ?? 0) > 0 }
        _ = try pair.traps.waitForNotifications(1, timeout: 10)
        let status = try pair.admin(.beta, ["status"]).stdout
        XCTAssertTrue(status.contains("notifications: 1 delivery(ies) pending"), status)
    }

    func testPageWaitsWhileTheSMTPServerIsDownAndArrivesWhenItIsBack() async throws {
        let pair = try makePair()
        try await failOverWithMailDown(pair)
        try await pair.waitUntil("each failed try is logged with its next retry", timeout: 10) { pair.log(.beta).contains("retrying in") }
        let sink = try SMTPSink(arguments: ["--port", String(pair.sink.port)])
        lateSink = sink
        let waited = try await pair.waitUntil("the page arrives", timeout: 15) {
            sink.messages().contains { $0.raw.contains("FAILOVER e2") }
        }
        print(String(format: "page delivered %.2f s after the SMTP server came back", waited))
        try await pair.waitUntil("the outbox is empty", timeout: 5) { outboxPending(pair, .beta) == 0 }
        XCTAssertEqual(sink.messages().filter { $0.raw.contains("FAILOVER e2") }.count, 1, "one page, not one per retry")
    }

    func testOwedPageSurvivesAKill9OfTheAgent() async throws {
        let pair = try makePair()
        try await failOverWithMailDown(pair)
        pair.killAgent(.beta)
        let sink = try SMTPSink(arguments: ["--port", String(pair.sink.port)])
        lateSink = sink
        try pair.start(.beta)
        try await pair.waitUntil("the page owed before the kill arrives", timeout: 15) {
            sink.messages().contains { $0.raw.contains("FAILOVER e2") }
        }
        let messageIDs = sink.messages().filter { $0.raw.contains("FAILOVER e2") }.compactMap { $0.headers["message-id"] }
        XCTAssertEqual(Set(messageIDs).count, 1, "a repeated delivery keeps its Message-ID: \(messageIDs)")
    }

    /// A mail server that accepts connections and never answers (a hung relay): the page
    /// waits on its own task while the pair hands over in its usual time, with heartbeats
    /// flowing all along.
    func testAHungMailServerDelaysNoHandoffAndNoHeartbeat() async throws {
        let port = try FreePort.tcp()
        let directory = try TemporaryDirectory("black-hole")
        defer { directory.remove() }
        let hole = try SpawnedProcess(
            executable: "/usr/bin/python3",
            arguments: ["-c", """
                import socket, time
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", \(port))); s.listen(64)
                held = []
                while True:
                    c, _ = s.accept(); held.append(c)
                """],
            stdoutPath: directory.file("out"), stderrPath: directory.file("err"))
        defer { hole.stop(grace: 0.2) }
        let mail = """
            {email: [{name: hung, url: "smtp://127.0.0.1:\(port)", from: vacataire@example.org, to: oncall@example.org, starttls: "off", timeout: 30s}]}
            """
        let pair = try PairFixture(notify: [.alpha: mail, .beta: mail])
        self.pair = pair
        try await pair.startPair()
        try pair.breakCheck(.alpha)
        let took = try await pair.waitUntil("beta serves", timeout: 10) { await pair.serving(.beta) }
        print(String(format: "handoff with a hung mail server: beta served %.2f s after alpha's check broke", took))
        // Heartbeats flowed while a delivery hung for longer than dead_after, by beta's own account.
        try await pair.waitUntil("a delivery has hung for longer than dead_after", timeout: 15) {
            (pair.statusObject(.beta)?["outboxOldestPendingSeconds"] as? Double ?? 0) > PairFixture.deadAfter
        }
        XCTAssertEqual(outboxPending(pair, .beta), 1, "the page is still owed to the hung server")
        XCTAssertEqual(pair.status(.beta)?.state, "active")
        for node in PairFixture.Node.allCases {
            XCTAssertFalse(pair.log(node).contains("peer lost"), "\(node): heartbeats kept flowing\n\(pair.log(node))")
        }
    }
}

import Foundation
import Logging
@testable import VacataireAgent
import VacataireCore
import VacataireNotify
import VacataireStore
import VacataireTestSupport
import XCTest

/// The outbox on its own, against real servers: what is retried, what is not, and the
/// headers that thread an incident.
final class OutboxDeliveryTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("outbox")
    }

    override func tearDown() {
        directory.remove()
    }

    private func outbox(notify: String) throws -> (NotificationOutbox, AgentStore) {
        let config = try Config.parse("""
            node: {name: alpha, cluster: pair-test}
            state_dir: state
            outbox: {retry_initial: 200ms, retry_max: 500ms}
            notify:
            \(notify)
            """, file: directory.file("alpha.yaml"))
        try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
        let store = try AgentStore(stateDirectory: config.stateDirectory)
        let templates = try TemplateSet(defaults: Repository.path("Templates"), overrides: nil)
        let outbox = NotificationOutbox(
            sender: NotificationSender(config: config, templates: templates), settings: config.outbox, store: store,
            metrics: AgentMetrics(checks: []), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        return (outbox, store)
    }

    private func failover(incident: String = "e2") -> NotifiableEvent {
        NotifiableEvent(
            kind: .failover, node: "alpha", cluster: "pair-test", peer: "beta", incidentID: incident,
            oldRole: "standby", newRole: "active", reason: "taking over: beta is failing", time: Date())
    }

    private func waitUntil(_ what: String, timeout: Double = 10, _ condition: () throws -> Bool) throws {
        if try Wait.until(timeout: timeout, condition) { return }
        XCTFail("not within \(timeout) s: \(what)")
    }

    func testARefusedRecipientIsAPermanentFailureNotRetriedAndReportedThroughTheNMS() async throws {
        let sink = try SMTPSink(arguments: ["--reject-rcpt", "oncall@example.org"])
        defer { sink.stop() }
        let receiver = try TrapReceiver()
        defer { receiver.stop() }
        let (outbox, store) = try outbox(notify: """
              email:
                - {name: relay, url: "smtp://127.0.0.1:\(sink.port)", from: vacataire@example.org, to: oncall@example.org, starttls: "off"}
              snmp:
                - {name: nms, address: 127.0.0.1, port: \(receiver.port)}
            """)
        await outbox.enqueue(failover())
        try waitUntil("the refusal is recorded") { try store.outboxBacklog().expired == 1 }
        let traps = try receiver.waitForNotifications(2, timeout: 10)
        let lost = try XCTUnwrap(traps.first { $0.value("SNMPv2-MIB::snmpTrapOID.0") == "OID: LE-VACATAIRE-MIB::vacDeliveryFailed" },
                                 "the lost page is reported to the NMS: \(traps.map { $0.value("SNMPv2-MIB::snmpTrapOID.0") ?? "?" })")
        XCTAssertTrue(lost.value("LE-VACATAIRE-MIB::vacReason.0")?.contains("did not reach email:relay: refused for good") ?? false,
                      lost.value("LE-VACATAIRE-MIB::vacReason.0") ?? "no reason")
        XCTAssertEqual(lost.value("LE-VACATAIRE-MIB::vacIncidentId.0"), "STRING: e2")
        try await Task.sleep(for: .seconds(1))
        let backlog = try store.outboxBacklog()
        XCTAssertEqual(backlog.pending, 0, "a 550 is not retried")
        XCTAssertEqual(backlog.expired, 1)
        XCTAssertTrue(sink.messages().isEmpty)
    }

    func testAnInformToAReceiverThatComesUpLateIsDeliveredByTheRetries() async throws {
        let port = try FreePort.udp()
        let (outbox, store) = try outbox(notify: """
              snmp:
                - {name: nms, address: 127.0.0.1, port: \(port), inform: true, timeout: 300ms, retries: 0}
            """)
        await outbox.enqueue(failover())
        try waitUntil("the first try fails") { try store.outboxBacklog().pending == 1 }
        try await Task.sleep(for: .seconds(1))
        XCTAssertEqual(try store.outboxBacklog().pending, 1, "still owed while nobody answers")
        let receiver = try TrapReceiver(port: port)
        defer { receiver.stop() }
        let runner = Task { await outbox.run() }
        defer { runner.cancel() }
        let informs = try receiver.waitForNotifications(1, timeout: 10)
        XCTAssertEqual(informs.first?.value("SNMPv2-MIB::snmpTrapOID.0"), "OID: LE-VACATAIRE-MIB::vacFailover")
        try waitUntil("the delivery is recorded") { try store.outboxBacklog().pending == 0 }
    }

    func testEveryMessageOfAnIncidentIsInOneThread() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let (outbox, _) = try outbox(notify: """
              email:
                - {name: relay, url: "smtp://127.0.0.1:\(sink.port)", from: vacataire@example.org, to: oncall@example.org, starttls: "off"}
            """)
        await outbox.enqueue(failover())
        var failback = failover()
        failback.kind = .failback
        await outbox.enqueue(failback)
        let messages = try sink.waitForMessages(2)
        let threads = Set(messages.compactMap { $0.headers["references"] })
        XCTAssertEqual(threads, ["<incident-e2@pair-test.vacataire>"], "one thread per incident, named the same on both nodes")
        XCTAssertEqual(Set(messages.compactMap { $0.headers["in-reply-to"] }), threads)
        XCTAssertEqual(Set(messages.compactMap { $0.headers["message-id"] }).count, 2, "each message has its own id")
        XCTAssertTrue(messages.allSatisfy { $0.headers["auto-submitted"] == "auto-generated" })
    }
}

/// A crash between a decision and its delivery loses nothing: the notification is
/// journaled before the decision's next effect, and the outbox takes it after a restart.
final class DecidedNotificationJournalTests: XCTestCase {
    private var pair: PairFixture?

    override func tearDown() {
        pair?.tearDown()
        pair = nil
    }

    func testAnAgentKilledRightAfterDecidingAPageDeliversItAfterItsRestart() async throws {
        let pair = try PairFixture()
        self.pair = pair
        try await pair.startPair()
        try pair.breakCheck(.alpha)
        try await pair.waitUntil("beta serves", timeout: 20) { pair.status(.beta)?.state == "active" }
        try await pair.waitUntil("the failover page arrives", timeout: 10) {
            pair.sink.messages().contains { $0.headers["subject"]?.contains("FAILOVER") == true }
        }

        // Beta dies as SIGKILL would, right after it decided the acknowledgement's notification.
        pair.terminate(.beta)
        try pair.start(.beta, environment: ["VACATAIRE_FAILPOINT": "exit-after-deciding:acknowledged"])
        try await pair.waitUntil("beta serves again", timeout: 20) { pair.status(.beta)?.state == "active" }
        _ = try? pair.admin(.beta, ["ack", "e2", "--comment", "ticket-4711"])
        try await pair.waitUntil("beta died after deciding", timeout: 10) { !pair.isAgentRunning(.beta) }
        XCTAssertTrue(pair.log(.beta).contains("failpoint: exiting after deciding a acknowledged notification"), pair.log(.beta))
        XCTAssertFalse(pair.sink.messages().contains { $0.body.contains("ticket-4711") },
                       "not delivered before the crash: \(pair.sink.messages().map { ($0.headers["subject"] ?? "") + " " + ($0.headers["x-vacataire-node"] ?? "") })\n\(pair.logs)")

        try pair.start(.beta)
        try await pair.waitUntil("the acknowledgement is delivered after the restart", timeout: 15) {
            pair.sink.messages().contains { $0.body.contains("ticket-4711") }
        }
        XCTAssertTrue(pair.log(.beta).contains("decided before the agent stopped, never committed"), pair.log(.beta))
        try await Task.sleep(for: .seconds(1.5))
        XCTAssertEqual(pair.sink.messages().filter { $0.body.contains("ticket-4711") }.count, 1, "delivered once")
    }
}

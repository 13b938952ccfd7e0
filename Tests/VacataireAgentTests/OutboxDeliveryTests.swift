import Foundation
import Logging
@testable import VacataireAgent
import VacataireCore
import VacataireNotify
import VacataireStore
import VacataireTestSupport
import XCTest

/// The outbox on its own, against real servers, on a manual clock: what is retried and
/// exactly when, what is given up and when, what is not retried, the headers that thread
/// an incident, and the rate limiter's exact accounting. No test sleeps: time moves when
/// the test advances it, and `settle` waits for the deliveries it started.
final class OutboxDeliveryTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var running: Task<Void, Never>?
    private let clock = ManualClock()
    /// The store thread of the last outbox made (`outbox(notify:)`).
    private var storeThread: StoreThread?
    /// Rung by the outbox whenever a delivery ends (`settle`).
    private let deliveryEnded = Doorbell()

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("outbox")
    }

    override func tearDown() {
        running?.cancel()
        directory.remove()
    }

    /// An outbox on `clock`, its retry loop running; `extra` adds top-level settings.
    private func outbox(notify: String, extra: String = "") throws -> (NotificationOutbox, AgentStore) {
        let config = try Config.parse("""
            node: {name: alpha, cluster: pair-test}
            state_dir: state
            outbox: {retry_initial: 200ms, retry_max: 500ms, max_age: 2s}
            \(extra)
            notify:
            \(notify)
            """, file: directory.file("alpha.yaml"))
        try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
        let store = try AgentStore(stateDirectory: config.stateDirectory)
        let templates = try TemplateSet(defaults: Repository.path("Templates"), overrides: nil)
        let thread = StoreThread(store: store)
        storeThread = thread
        let outbox = NotificationOutbox(
            sender: NotificationSender(config: config, templates: templates), settings: config.outbox, storeThread: thread,
            progress: deliveryEnded, metrics: AgentMetrics(checks: []), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            clock: clock)
        running = Task { await outbox.run() }
        return (outbox, store)
    }

    private func failover(incident: String = "e2") -> NotifiableEvent {
        NotifiableEvent(
            kind: .failover, node: "alpha", cluster: "pair-test", peer: "beta", incidentID: incident,
            oldRole: "standby", newRole: "active", reason: "taking over: beta is failing", time: clock.date)
    }

    /// Moves the clock, then waits until every delivery it made due has ended.
    private func advance(_ outbox: NotificationOutbox, by duration: Duration) async {
        await clock.advance(by: duration) { await self.settle(outbox) }
        await settle(outbox)
    }

    /// Returns once no delivery is queued or being tried. Deliveries are real work
    /// (sockets, servers): each end rings the bell, and a ring while nobody waits lets the
    /// next wait through, so an end between the look and the wait is not missed.
    private func settle(_ outbox: NotificationOutbox) async {
        while await !outbox.isIdle {
            await deliveryEnded.wait()
        }
    }

    /// Tries so far of the one pending delivery (nil when none is pending).
    private func tries(_ store: AgentStore) throws -> Int? {
        try store.dueDeliveries(now: .distantFuture).first?.attempts
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
        await settle(outbox)
        XCTAssertEqual(try store.outboxBacklog().expired, 1, "the 550 is recorded as final at once")
        let traps = try receiver.waitForNotifications(2, timeout: 10)
        let lost = try XCTUnwrap(traps.first { $0.value("SNMPv2-MIB::snmpTrapOID.0") == "OID: LE-VACATAIRE-MIB::vacDeliveryFailed" },
                                 "the lost page is reported to the NMS: \(traps.map { $0.value("SNMPv2-MIB::snmpTrapOID.0") ?? "?" })")
        XCTAssertTrue(lost.value("LE-VACATAIRE-MIB::vacReason.0")?.contains("did not reach email:relay: refused for good") ?? false,
                      lost.value("LE-VACATAIRE-MIB::vacReason.0") ?? "no reason")
        XCTAssertEqual(lost.value("LE-VACATAIRE-MIB::vacIncidentId.0"), "STRING: e2")
        await advance(outbox, by: .seconds(5))
        let backlog = try store.outboxBacklog()
        XCTAssertEqual(backlog.pending, 0, "a 550 is not retried")
        XCTAssertEqual(backlog.expired, 1)
        XCTAssertTrue(sink.messages().isEmpty)
    }

    /// Two pages wait for a mail server with different retry times. The first retry goes
    /// out when the server is back; the second, due a look later, must still be tried
    /// (the look that started the first once forgot every later retry).
    func testARetryDueAfterAnotherIsNotForgottenWhenTheFirstSucceeds() async throws {
        let port = try CheckFixtures.refusedPort()
        let (outbox, store) = try outbox(notify: """
              email:
                - {name: relay, url: "smtp://127.0.0.1:\(port)", from: vacataire@example.org, to: oncall@example.org, starttls: "off", timeout: 2s}
            """)
        await outbox.enqueue(failover(incident: "e2"))
        await settle(outbox)  // refused: retry at 200 ms
        await advance(outbox, by: .milliseconds(100))
        await outbox.enqueue(failover(incident: "e3"))
        await settle(outbox)  // refused: retry at 300 ms
        XCTAssertEqual(try store.outboxBacklog().pending, 2)
        let sink = try SMTPSink(arguments: ["--port", "\(port)"])
        defer { sink.stop() }
        await advance(outbox, by: .milliseconds(150))  // the look at 250 ms: e2's retry only
        XCTAssertEqual(try store.outboxBacklog().pending, 1, "e2 delivered at its retry, e3 not due yet")
        await advance(outbox, by: .milliseconds(250))  // the look at 500 ms: e3's retry
        XCTAssertEqual(try store.outboxBacklog().pending, 0, "e3's retry was not forgotten")
        XCTAssertEqual(try sink.waitForMessages(2, timeout: 10).count, 2)
    }

    /// The outbox looks every 250 ms: a retry starts at the first look at or after its
    /// backoff (200 ms, then 400 ms), never before.
    func testAnInformToAReceiverThatComesUpLateIsDeliveredByTheRetriesAtTheirTimes() async throws {
        let port = try FreePort.udp()
        let (outbox, store) = try outbox(notify: """
              snmp:
                - {name: nms, address: 127.0.0.1, port: \(port), inform: true, timeout: 300ms, retries: 0}
            """)
        await outbox.enqueue(failover())
        await settle(outbox)
        XCTAssertEqual(try tries(store), 1, "the first try, unanswered")
        await advance(outbox, by: .milliseconds(249))
        XCTAssertEqual(try tries(store), 1, "the retry is due at 200 ms; the outbox looks at 250 ms")
        await advance(outbox, by: .milliseconds(1))
        XCTAssertEqual(try tries(store), 2, "the retry at 250 ms")
        await advance(outbox, by: .milliseconds(499))
        XCTAssertEqual(try tries(store), 2, "the next is due 400 ms later (650 ms), tried at the look of 750 ms")

        let receiver = try TrapReceiver(port: port)
        defer { receiver.stop() }
        await advance(outbox, by: .milliseconds(1))
        XCTAssertEqual(try store.outboxBacklog().pending, 0, "delivered by the third try")
        let informs = try receiver.waitForNotifications(1, timeout: 10)
        XCTAssertEqual(informs.first?.value("SNMPv2-MIB::snmpTrapOID.0"), "OID: LE-VACATAIRE-MIB::vacFailover")
    }

    /// A server that never comes back: tried at 0, then at the looks (every 250 ms) past
    /// each backoff (200 ms doubling to 500 ms): 0.25, 0.75, 1.25, 1.75 and 2.25 s, and
    /// given up at the first failure past max_age (2 s).
    func testADeliveryIsGivenUpAtTheFirstFailurePastMaxAge() async throws {
        let dead = try FreePort.tcp()
        let (outbox, store) = try outbox(notify: """
              email:
                - {name: relay, url: "smtp://127.0.0.1:\(dead)", from: vacataire@example.org, to: oncall@example.org, starttls: "off", timeout: 1s}
            """)
        await outbox.enqueue(failover())
        await settle(outbox)
        var seen: [Int?] = [try tries(store)]
        for _ in 0..<23 {
            await advance(outbox, by: .milliseconds(100))
            seen.append(try tries(store))
        }
        XCTAssertEqual(seen, [1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, nil], "tries, every 100 ms of the clock")
        let backlog = try store.outboxBacklog()
        XCTAssertEqual(backlog.pending, 0)
        XCTAssertEqual(backlog.expired, 1, "given up after 6 tries over 2.25 s")
    }

    /// A notification the store could not take is tried from memory with the same policy:
    /// the same backoff, given up past `max_age` (it once retried forever).
    func testANotificationKeptInMemoryIsGivenUpPastMaxAgeToo() async throws {
        let dead = try FreePort.tcp()
        let (outbox, store) = try outbox(notify: """
              email:
                - {name: relay, url: "smtp://127.0.0.1:\(dead)", from: vacataire@example.org, to: oncall@example.org, starttls: "off", timeout: 1s}
            """)
        // The store takes no writes: the outbox keeps the page in memory. Closed on its own
        // thread, as the agent does, never beside a call of the outbox's.
        let closed = await storeThread?.drain(within: .seconds(60), clock: clock) { try? $0.close() }
        XCTAssertEqual(closed, true)
        _ = store
        await outbox.enqueue(failover())
        await settle(outbox)
        XCTAssertEqual(outbox.deliveriesInMemory, 1)
        var seen: [Int] = []
        for _ in 0..<30 {
            await advance(outbox, by: .milliseconds(100))
            seen.append(outbox.deliveriesInMemory)
        }
        XCTAssertEqual(seen.last, 0, "given up past max_age (2 s), as a stored delivery: \(seen)")
        XCTAssertEqual(seen.prefix(15).filter { $0 == 1 }.count, 15, "retried meanwhile: \(seen)")
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
        await settle(outbox)
        let messages = sink.messages()
        XCTAssertEqual(messages.count, 2)
        let threads = Set(messages.compactMap { $0.headers["references"] })
        XCTAssertEqual(threads, ["<incident-e2@pair-test.vacataire>"], "one thread per incident, named the same on both nodes")
        XCTAssertEqual(Set(messages.compactMap { $0.headers["in-reply-to"] }), threads)
        XCTAssertEqual(Set(messages.compactMap { $0.headers["message-id"] }).count, 2, "each message has its own id")
        XCTAssertTrue(messages.allSatisfy { $0.headers["auto-submitted"] == "auto-generated" })
    }

    /// A warning check flapping every 100 ms for 4 s (40 changes) with burst 3: the burst
    /// goes out, then one notice per token (one a second), a flapping start and stop, and
    /// digests; every change is sent or counted in what is sent, exactly once.
    func testAFlappingCheckSendsTheBurstAndDigestsThatCountEveryChangeExactlyOnce() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let (outbox, _) = try outbox(
            notify: """
              email:
                - {name: relay, url: "smtp://127.0.0.1:\(sink.port)", from: vacataire@example.org, to: oncall@example.org, starttls: "off"}
            """,
            extra: "rate_limit: {burst: 3, refill: 60, dedupe_window: 1s, flapping: {history: 21, window: 2s, high: 50, low: 25}}")
        let changes = 40
        for change in 0..<changes {
            let failing = change.isMultiple(of: 2)
            let event = NotifiableEvent(
                kind: failing ? .checkFailed : .checkRecovered, node: "alpha", cluster: "pair-test", peer: "beta",
                reason: "check flappy is \(failing ? "failing" : "healthy"): change \(change)",
                checks: [.init(name: "flappy", status: failing ? "WARNING" : "OK", output: "change \(change)")], time: clock.date)
            await outbox.enqueue(event)
            await advance(outbox, by: .milliseconds(100))
        }
        await advance(outbox, by: .seconds(10))  // the check is steady: flapping ends, what is owed goes out

        let messages = sink.messages()
        let checkMessages = messages.filter { $0.body.contains("Event:     check-failed") || $0.body.contains("Event:     check-recovered") }
        let flapping = messages.filter { $0.body.contains("Event:     flapping") }
        let digests = messages.filter { $0.body.contains("Event:     digest") }
        var told = 0
        for message in messages {
            guard let match = message.body.firstMatch(of: /more events were suppressed: (.*)/) else { continue }
            let summary = String(match.output.1).trimmingCharacters(in: .whitespacesAndNewlines)
            for entry in summary.components(separatedBy: ", ") where entry.contains(" flappy x") {
                told += entry.firstMatch(of: /\ x(\d+)$/).flatMap { Int($0.output.1) } ?? 0
            }
        }
        let bodies = messages.map(\.body).joined(separator: "\n=====\n")
        print("40 changes: \(checkMessages.count) check messages, \(flapping.count) flapping notices, \(digests.count) digests, \(told) counted in them")
        XCTAssertEqual(checkMessages.count, 3, "the burst, then nothing while it flaps\n\(bodies)")
        XCTAssertEqual(flapping.count, 2, "one start, one stop\n\(bodies)")
        XCTAssertEqual(checkMessages.count + told, changes, "every change sent or counted, exactly once\n\(bodies)")
        XCTAssertTrue(flapping.first?.body.contains("check flappy is flapping") ?? false, bodies)
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
        XCTAssertTrue(pair.waitUntilNotificationsSettled(timeout: 15), "a node still owes a notification:\n\(pair.logs)")
        XCTAssertEqual(pair.sink.messages().filter { $0.body.contains("ticket-4711") }.count, 1, "delivered once")
    }
}

import Foundation
import Logging
@testable import VacataireAgent
import VacataireCore
import VacataireNotify
import VacataireTestSupport
import XCTest

/// One real agent in this process on a manual clock, paging a real SMTP sink: beta, the
/// standby, whose master (alpha) never answers. Time moves only when the test advances
/// it, a tick at a time, and `settle()` waits for what each tick started (the start
/// action, the deliveries): every assertion is exact, and nothing sleeps.
final class IncidentClockTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var sink: SMTPSink!
    private let clock = ManualClock()
    private var agent: FailoverAgent!
    private var running: Task<Void, Never>?
    private static let tick: Duration = .milliseconds(100)

    override func setUp() async throws {
        directory = try TemporaryDirectory("incident-clock")
        sink = try SMTPSink()
        try LoneNode.writeConfig(
            in: directory, name: "beta", role: "standby", peer: "alpha", deadAfter: "2s", selfFenceAfter: "700ms", stopTimeout: "1s",
            sections: """
                notify: {email: [{url: "smtp://127.0.0.1:\(sink.port)", from: vacataire@example.org, to: [oncall@example.org], starttls: "off", timeout: 5s}]}
                incidents: {repeat_interval: 10s, confirm_timeout: 1s}
                """,
            failover: """
                  service_probe: http://127.0.0.1:\(try FreePort.tcp())/
                  no_witness: takeover
                """)
        let loaded = try Config.load(path: directory.file("beta.yaml"))
        let templates = try TemplateSet(defaults: Repository.path("Templates"), overrides: nil)
        let agent = try await FailoverAgent.start(
            config: loaded, templates: templates, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, clock: clock)
        self.agent = agent
        running = Task { await agent.run() }
        let started = await clock.untilSleeping(2)
        XCTAssertTrue(started, "the agent's tick and the outbox wait on the clock")
    }

    override func tearDown() async throws {
        running?.cancel()
        await running?.value
        sink?.stop()
        directory?.remove()
    }

    /// Advances the clock a tick at a time for `duration`, letting each tick's work end.
    private func advance(_ duration: Duration) async {
        let agent = agent!
        await clock.advance(by: Self.tick, times: Int(duration / Self.tick)) { await agent.settle() }
    }

    private func reminders() -> [SMTPSink.Received] {
        sink.messages().filter { $0.headers["subject"]?.contains("REMINDER") == true }
    }

    private func state() async -> String {
        await agent.status().state
    }

    private func events(_ incident: String) async -> String {
        let reply = await agent.handle(ControlRequest(command: .events, incident: incident), from: ControlCaller(uid: 0, name: "root", mayChange: true))
        return (reply.events ?? []).map(\.reason).joined(separator: "\n")
    }

    /// The master is silent: beta takes over once alpha is dead for dead_after (2 s) and
    /// pages the incident once; a reminder follows every repeat_interval (10 s), each
    /// saying how long it has been open; an acknowledgement for 25 s silences them, and
    /// they resume as it ends.
    func testTakeoverPageThenAReminderEveryIntervalUntilAcknowledgedAndAfterTheAcknowledgementExpires() async throws {
        await advance(.milliseconds(1_900))
        XCTAssertEqual(sink.messages().count, 0, "no page before dead_after")
        var waited = 0
        while await state() != "active", waited < 20 {
            await advance(Self.tick)
            waited += 1
        }
        let tookOver = clock.now
        print("beta active \(tookOver) after the start (dead_after 2 s, tick 100 ms)")
        XCTAssertLessThanOrEqual(waited, 2, "beta serves at dead_after, within a tick")
        let pages = sink.messages()
        XCTAssertEqual(pages.count, 1, "one page: \(pages.map { $0.headers["subject"] ?? "" })")
        let page = try XCTUnwrap(pages.first)
        XCTAssertTrue(page.headers["subject"]?.contains("TAKEOVER: beta took over the service (e0-peer-lost)") ?? false,
                      page.headers["subject"] ?? "")

        // Reminders: the first 10 s after the incident opened, then every 10 s.
        await advance(.milliseconds(9_900))
        XCTAssertEqual(reminders().count, 0, "not before repeat_interval")
        await advance(.milliseconds(200))
        XCTAssertEqual(reminders().count, 1, "one after 10 s")
        await advance(.seconds(20))
        let sent = reminders()
        XCTAssertEqual(sent.count, 3, "one every 10 s")
        XCTAssertTrue(sent.last?.body.contains("open for 30 s") ?? false, sent.last?.body ?? "")

        // Acknowledged for 25 s: silence, then one reminder as it ends and every 10 s after.
        let ack = await agent.handle(ControlRequest(command: .ack, comment: "disk replaced", waitSeconds: 0, expiresSeconds: 25),
                                     from: ControlCaller(uid: 0, name: "root", mayChange: true))
        XCTAssertEqual(ack.outcome, .done, ack.message)
        await advance(.milliseconds(24_900))
        XCTAssertEqual(reminders().count, 3, "none while acknowledged")
        XCTAssertEqual(sink.messages().filter { $0.body.contains("disk replaced") }.count, 1, "the acknowledgement is sent once")
        await advance(.milliseconds(200))
        XCTAssertEqual(reminders().count, 4, "one as the acknowledgement ends")
        await advance(.seconds(10))
        XCTAssertEqual(reminders().count, 5, "then every 10 s again")
        let history = await events("e0-peer-lost")
        XCTAssertTrue(history.contains("the acknowledgement of incident e0-peer-lost expired; reminders resume"), history)
        XCTAssertTrue(history.contains("reminder 5"), history)
    }
}

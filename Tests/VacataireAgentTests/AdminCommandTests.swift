import Foundation
import VacataireTestSupport
import XCTest

/// The admin's commands against a real pair (PairFixture): what they print, their exit
/// codes, their refusals, and who may use the control socket.
final class AdminCommandTests: XCTestCase {
    private var pair: PairFixture?

    override func tearDown() {
        pair?.tearDown()
        pair = nil
    }

    private func makePair(control: [PairFixture.Node: String] = [:]) throws -> PairFixture {
        let made = try PairFixture(control: control)
        pair = made
        return made
    }

    func testStatusAndTheStartLogListWhatTheConfigurationLeavesUnsafe() async throws {
        let made = try PairFixture(notify: [.alpha: "{email: [], snmp: []}"])
        pair = made
        try await made.startPair()
        let status = try made.admin(.alpha, ["status"]).stdout
        XCTAssertTrue(status.contains("WARNING: notify: no email destination and no SNMP target: nobody will be paged"), status)
        XCTAssertTrue(made.log(.alpha).contains("configuration warning: notify:"), made.log(.alpha))
        // Beta pages: only the fixture's documentation mail addresses are warned there.
        let beta = try made.admin(.beta, ["status"]).stdout
        XCTAssertFalse(beta.contains("WARNING: notify:"), beta)
        XCTAssertTrue(beta.contains("WARNING: notify.email[0].from: `vacataire@example.org` holds the domain example.org"), beta)
    }

    func testASilentPeerShowsAsSilentWithWhatItLastSaid() async throws {
        let pair = try makePair()
        try await pair.startPair()
        pair.killAgent(.beta)
        try await pair.waitUntil("alpha calls beta silent", timeout: 10) {
            (try? pair.admin(.alpha, ["status"]).stdout.contains("peer beta: SILENT for")) == true
        }
        let status = try pair.admin(.alpha, ["status"]).stdout
        XCTAssertTrue(status.contains("(last seen standby, healthy, epoch"), status)
        XCTAssertFalse(status.contains("peer beta: standby"), "a silent peer's last words read as its state:\n\(status)")
    }

    func testAFailbackWhoseStartFailsSaysWhy() async throws {
        let pair = try makePair()
        try await pair.startPair()
        try pair.breakCheck(.alpha)
        try await pair.waitUntil("beta serves", timeout: 20) { await pair.serving(.beta) }
        try pair.repairCheck(.alpha)
        // Alpha's start now fails: the pair's service.sh behind a wrapper.
        let real = pair.directory.file("service-real.sh")
        try FileManager.default.moveItem(atPath: pair.directory.file("service.sh"), toPath: real)
        let wrapper = try pair.directory.write("service.sh", """
            #!/bin/sh
            [ "$1" = start ] && [ "$2" = alpha ] && { echo "port 8080 already in use" >&2; exit 1; }
            exec ./service-real.sh "$@"

            """)
        chmod(wrapper, 0o755)
        try await pair.waitUntil("alpha's checks pass again", timeout: 20) { pair.statusObject(.alpha)?["healthy"] as? Bool == true }
        let failback = try pair.admin(.alpha, ["failback"])
        XCTAssertNotEqual(failback.status, 0, failback.stdout)
        let said = failback.stdout + failback.stderr
        XCTAssertTrue(said.contains("not done: failed: service stopped (") && said.contains("port 8080 already in use"), said)
        XCTAssertTrue(said.contains("`vacataire ready`"), said)
        let betaServes = await pair.serving(.beta)
        XCTAssertTrue(betaServes, pair.logs)
    }

    /// `vacataire doctor` names a wrong key, an unreachable witness and a mail server that
    /// refuses, one line each, with what to do; exit 1.
    func testDoctorNamesAWrongKeyAnUnreachableWitnessAndARefusingMailServer() async throws {
        let port = try CheckFixtures.refusedPort()
        let notify = #"{email: [{url: "smtp://127.0.0.1:\#(port)", from: pager@shop.internal, to: [oncall@shop.internal], starttls: "off", timeout: 2s}]}"#
        let made = try PairFixture(unreachableWitness: true, notify: [.alpha: notify])
        pair = made
        try await made.startPair()
        let healthy = try made.admin(.beta, ["doctor"])
        XCTAssertTrue(healthy.stdout.contains("ok   peer alpha via 127.0.0.1:"), healthy.stdout)
        XCTAssertTrue(healthy.stdout.contains("ok   email"), healthy.stdout)
        // Beta gets another key: the pair's shared file rewritten, beta alone reloads it.
        chmod(try made.directory.write("peer.key", String(repeating: "5a", count: 32) + "\n"), 0o600)
        made.signal(.beta, SIGHUP)
        // Evidence, not a pause: alpha finds beta silent (its datagrams refused for their key).
        _ = try await made.waitUntil("alpha finds beta silent", timeout: PairFixture.deadAfter * 4) {
            (made.statusObject(.alpha)?["peer"] as? [String: Any])?["silent"] as? Bool == true
        }
        let doctor = try made.admin(.alpha, ["doctor"])
        print("[doctor] exit \(doctor.status):\n\(doctor.stdout)\(doctor.stderr)")
        XCTAssertEqual(doctor.status, 1, doctor.stdout + doctor.stderr)
        let lines = doctor.stdout.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.hasPrefix("FIX  peer beta via") && $0.contains("refused for their key") && $0.contains("same peer.key") }, doctor.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("FIX  witness tcp://127.0.0.1:") }, doctor.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("FIX  email") }, doctor.stdout)
    }

    func testStatusShowsBothNodesAndEventsTheHistory() async throws {
        let pair = try makePair()
        try await pair.startPair()
        try await pair.waitUntil("alpha is active and has heard beta at its epoch", timeout: 10) {
            pair.status(.alpha)?.state == "active" && ((pair.statusObject(.alpha)?["peer"] as? [String: Any])?["epoch"] as? Int) == 1
        }
        let alpha = try pair.admin(.alpha, ["status"])
        XCTAssertEqual(alpha.status, 0, alpha.stderr)
        XCTAssertTrue(alpha.stdout.hasPrefix("alpha (pair-test, configured master): ACTIVE, epoch 1, healthy"), alpha.stdout)
        XCTAssertTrue(alpha.stdout.contains("peer beta: standby, healthy, epoch 1"), alpha.stdout)
        XCTAssertTrue(alpha.stdout.contains("app"), "each check is listed\n\(alpha.stdout)")
        XCTAssertTrue(alpha.stdout.contains("none open"), alpha.stdout)

        let events = try pair.admin(.alpha, ["events", "--since", "1h"])
        XCTAssertEqual(events.status, 0, events.stderr)
        XCTAssertTrue(events.stdout.contains("taking-over -> active"), events.stdout)
        XCTAssertTrue(events.stdout.contains("start exited 0"), "actions are in the history\n\(events.stdout)")
        XCTAssertFalse(events.stderr.contains("older ones"), "the whole history fits: nothing is said to be left out")
        let newest = try pair.admin(.alpha, ["events", "--limit", "2"])
        XCTAssertEqual(newest.stdout.split(separator: "\n").count, 2, newest.stdout)
        XCTAssertTrue(newest.stderr.contains("the newest 2 event(s) only; older ones match too"), "never cut silently: \(newest.stderr)")
        let bad = try pair.admin(.alpha, ["events", "--since", "yesterday"])
        XCTAssertEqual(bad.status, 2, "a bad duration is a usage error")
        XCTAssertTrue(bad.stderr.contains("--since"), bad.stderr)
        let tooMany = try pair.admin(.alpha, ["events", "--limit", "0"])
        XCTAssertEqual(tooMany.status, 2)
        XCTAssertTrue(tooMany.stderr.contains("--limit: expected a number of events from 1 to 10000, found 0"), tooMany.stderr)
    }

    /// A history as long as `--limit` allows (10,000 events, about 2 MB of JSON) reaches the
    /// CLI whole: the reply is far larger than the socket's buffer, and the daemon closed
    /// the connection before the rest had gone (above about 1,300 events the CLI said it
    /// could not read the reply).
    func testTheLongestHistoryReachesTheCommandWhole() async throws {
        let pair = try makePair()
        try await pair.startPair()
        try await pair.waitUntil("alpha is active", timeout: 10) { pair.status(.alpha)?.state == "active" }
        let database = pair.directory.file("state-alpha/vacataire.sqlite")
        let insert = """
            .timeout 10000
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
            INSERT INTO events (time, category, kind, reason)
            SELECT strftime('%Y-%m-%d %H:%M:%f', 'now'), 'check', 'check-failed',
                   'check storm-' || i || ' healthy -> failing: http://198.51.100.1:8081/' || i || ': no complete answer within 100ms' FROM n;
            """
        let inserted = try Repository.run("/bin/sh", ["-c", "/usr/bin/sqlite3 '\(database)' <<'EOF'\n\(insert)\nEOF"])
        XCTAssertEqual(inserted.status, 0, "sqlite3 (Debian's sqlite3 package) could not add the events: \(inserted.stderr)")

        let events = try pair.admin(.alpha, ["events", "--json", "--limit", "10000"])
        XCTAssertEqual(events.status, 0, String(events.stderr.prefix(2000)))
        let listed = try JSONSerialization.jsonObject(with: Data(events.stdout.utf8)) as? [[String: Any]]
        XCTAssertEqual(listed?.count, 10000, "bytes received: \(events.stdout.utf8.count)")
        XCTAssertEqual(listed?.last?["reason"] as? String,
                       "check storm-10000 healthy -> failing: http://198.51.100.1:8081/10000: no complete answer within 100ms")
    }

    func testRefusalsSayWhyAndExitOne() async throws {
        let pair = try makePair()
        try await pair.startPair()
        try pair.breakCheck(.alpha)
        try await pair.waitUntil("alpha is failed", timeout: 15) { pair.status(.alpha)?.state == "failed" }
        try await pair.waitUntil("beta is active", timeout: 15) { pair.status(.beta)?.state == "active" }

        let failback = try pair.admin(.alpha, ["failback"])
        XCTAssertEqual(failback.status, 1, failback.stdout)
        XCTAssertTrue(failback.stdout.contains("refused: my checks are not healthy (app failing"), failback.stdout)
        XCTAssertTrue(failback.stdout.contains("--force"), "the refusal says what would allow it\n\(failback.stdout)")

        let ack = try pair.admin(.beta, ["ack", "e99"])
        XCTAssertEqual(ack.status, 1)
        XCTAssertTrue(ack.stdout.contains("refused: incident e99 is not open (open: e2"), ack.stdout)
        let notAnID = try pair.admin(.beta, ["ack", "yesterday"])
        XCTAssertEqual(notAnID.status, 1)
        XCTAssertTrue(notAnID.stdout.contains("is not an incident id"), notAnID.stdout)

        let maintenance = try pair.admin(.beta, ["maintenance", "on", "--comment", "kernel update"])
        XCTAssertEqual(maintenance.status, 0, maintenance.stdout + maintenance.stderr)
        let switchover = try pair.admin(.beta, ["switchover"])
        XCTAssertEqual(switchover.status, 1)
        XCTAssertTrue(switchover.stdout.contains("refused: maintenance is on"), switchover.stdout)
        XCTAssertEqual(try pair.admin(.beta, ["maintenance", "off"]).status, 0)
        XCTAssertTrue(pair.status(.beta)?.state == "active", "maintenance changed nothing but pausing")
    }

    func testAcknowledgementIsRecordedOnBothNodesAndNotified() async throws {
        let pair = try makePair()
        try await pair.startPair()
        try pair.breakCheck(.alpha)
        try await pair.waitUntil("beta is active", timeout: 15) { pair.status(.beta)?.state == "active" }

        let ack = try pair.admin(.beta, ["ack", "--comment", "disk replaced"])
        XCTAssertEqual(ack.status, 0, ack.stdout + ack.stderr)
        XCTAssertTrue(ack.stdout.contains("done: incident e2 acknowledged by root"), ack.stdout)
        let status = try pair.admin(.beta, ["status"]).stdout
        XCTAssertTrue(status.contains("acknowledged by root: disk replaced"), status)
        try await pair.waitUntil("alpha hears of the acknowledgement", timeout: 5) {
            (try? pair.admin(.alpha, ["events", "--incident", "e2"]).stdout.contains("acknowledged")) ?? false
        }
        let mail = try await pair.waitUntil("the acknowledgement is emailed", timeout: 10) {
            pair.sink.messages().contains { $0.raw.contains("acknowledged by root") }
        }
        print(String(format: "acknowledgement emailed %.2f s after the command", mail))
    }

    func testSwitchoverMovesTheServiceAndBack() async throws {
        let pair = try makePair()
        try await pair.startPair()
        let away = try pair.admin(.alpha, ["switchover"])
        XCTAssertEqual(away.status, 0, away.stdout + away.stderr)
        XCTAssertTrue(away.stdout.contains("done: beta serves"), away.stdout)
        try await pair.waitUntil("beta serves", timeout: 10) { await pair.serving(.beta) }
        try await pair.waitUntil("alpha stops", timeout: 10) { await !pair.serving(.alpha) }
        XCTAssertEqual(pair.status(.alpha)?.state, "standby", "a switchover leaves the old node standby, not failed")
        try await pair.waitUntil("beta is active", timeout: 10) { pair.status(.beta)?.state == "active" }

        let already = try pair.admin(.beta, ["switchover", "--to", "beta"])
        XCTAssertEqual(already.status, 1)
        XCTAssertTrue(already.stdout.contains("refused: beta already serves"), already.stdout)
        let back = try pair.admin(.beta, ["switchover", "--to", "alpha"])
        XCTAssertEqual(back.status, 0, back.stdout + back.stderr)
        try await pair.waitUntil("alpha serves again", timeout: 10) { await pair.serving(.alpha) }
    }

    func testNotifyTestThroughTheDaemon() async throws {
        let pair = try makePair()
        try await pair.startPair()
        let result = try pair.admin(.alpha, ["notify-test", "--via-daemon"])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, result.stdout)
        XCTAssertTrue(lines.allSatisfy { $0.hasSuffix(": ok") }, result.stdout)
        let mail = try pair.sink.waitForMessages(1)
        XCTAssertTrue(mail.contains { $0.body.contains("notification test requested by root through the running daemon") })
        let events = try pair.admin(.alpha, ["events"]).stdout
        XCTAssertTrue(events.contains("notification test requested by root"), events)
    }

    func testNoDaemonMeansExitThreeAndAPlainMessage() throws {
        let result = try Repository.runVacataire(["status", "--socket", "/nonexistent/vacataire.sock"])
        XCTAssertEqual(result.status, 3)
        XCTAssertTrue(result.stderr.contains("the vacataire daemon is not running (nothing listens on /nonexistent/vacataire.sock)"), result.stderr)
    }

    /// A listener that accepts and answers a byte every half second, never a whole line
    /// (a stuck or hostile daemon): `status` gives up on its own deadline with exit 3,
    /// instead of waiting as long as bytes trickle in.
    func testADaemonThatNeverFinishesItsReplyEndsTheCommandWithExitThree() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let socket = directory.file("drip.sock")
        let drip = """
            import socket, sys, time
            s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
            print("listening", flush=True)
            c, _ = s.accept()
            for _ in range(120):
                c.send(b"{"); time.sleep(0.5)
            """
        let server = try SpawnedProcess(
            name: "drip", executable: "/usr/bin/python3", arguments: ["-c", drip, socket],
            workDirectory: directory.path, install: "python3")
        defer { server.stop() }
        try server.wait(for: "listening") { server.output.contains("listening") }
        let result = try Repository.runVacataire(["status", "--socket", socket])
        XCTAssertEqual(result.status, 3, result.stdout + result.stderr)
        XCTAssertTrue(result.stderr.contains("no whole reply from the daemon within 10 s"), result.stderr)
    }

    /// A socket open to every local user (mode 0666) and a `control.group`: another user may
    /// read the status but not change state; a member of the group may, and is recorded as
    /// the author by the name the kernel gives, not by anything the client says.
    func testOnlyRootAndTheControlGroupMayChangeState() async throws {
        guard getuid() == 0 else {
            throw FixtureError("the control socket permission test must run as root (it runs the CLI as nobody with setpriv)")
        }
        let pair = try makePair(control: [
            .alpha: #"{socket: alpha.sock, group: users, mode: "0666"}"#,
            .beta: #"{socket: beta.sock, group: users, mode: "0660"}"#,
        ])
        chmod(pair.directory.path, 0o755)
        try await pair.startPair()
        try pair.breakCheck(.alpha)
        try await pair.waitUntil("beta is active", timeout: 15) { pair.status(.beta)?.state == "active" }
        let setpriv = "/usr/bin/setpriv"
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: setpriv), "needs setpriv: apt-get install util-linux")
        func asNobody(groups: String, _ arguments: [String]) throws -> CommandResult {
            try Repository.run(setpriv, ["--reuid=65534", "--regid=\(groups)", "--clear-groups", Repository.executable] + arguments)
        }

        let outsider = try asNobody(groups: "65534", ["status", "--socket", pair.directory.file("alpha.sock")])
        XCTAssertEqual(outsider.status, 0, "mode 0666: anyone may read the status\n\(outsider.stderr)")
        XCTAssertTrue(outsider.stdout.contains("alpha (pair-test"), outsider.stdout)
        let refused = try asNobody(groups: "65534", ["failback", "--force", "--socket", pair.directory.file("alpha.sock")])
        XCTAssertEqual(refused.status, 4, refused.stdout + refused.stderr)
        XCTAssertTrue(refused.stderr.contains("nobody may read the status but not failback: only root or a member of group users may change state"), refused.stderr)

        let locked = try asNobody(groups: "65534", ["status", "--socket", pair.directory.file("beta.sock")])
        XCTAssertEqual(locked.status, 3, "mode 0660: a user outside the group cannot even connect")
        XCTAssertTrue(locked.stderr.contains("permission denied"), locked.stderr)

        let member = try asNobody(groups: "100", ["ack", "--comment", "from the group", "--socket", pair.directory.file("beta.sock")])
        XCTAssertEqual(member.status, 0, member.stdout + member.stderr)
        XCTAssertTrue(member.stdout.contains("acknowledged by nobody"), "the author is the kernel's name for the caller\n\(member.stdout)")
        let events = try pair.admin(.beta, ["events"]).stdout
        XCTAssertTrue(events.contains("ack requested by nobody"), events)
    }
}

import Foundation
import VacataireTestSupport
import XCTest

/// Bad input on a real pair: numbers out of range on the control socket,
/// pages only for the admin (case 7), a half-closed client's reply (case 8), and the
/// descriptor attack of case 6 under a lowered descriptor limit.
final class ControlHardeningTests: XCTestCase {
    private var pair: PairFixture?

    override func tearDown() {
        pair?.tearDown()
        pair = nil
    }

    private func socket(_ pair: PairFixture, _ node: String = "alpha") -> String {
        pair.directory.file("state-\(node)/control.sock")
    }

    private func request(_ pair: PairFixture, _ json: String, halfClose: Bool = false) throws -> String {
        try LoopbackClient.unix(path: socket(pair), send: json + "\n", halfClose: halfClose)
    }

    /// How many of the connected `sockets` the agent has closed (or written to): those
    /// readable, at end of file or hung up. An idle client is sent nothing before that.
    private func closedByTheAgent(_ sockets: [Int32]) -> Int {
        var polled = sockets.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        guard poll(&polled, nfds_t(polled.count), 0) >= 0 else { return 0 }
        return polled.filter { $0.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 }.count
    }

    func testOutOfRangeNumbersAndUnknownChannelsAreRefusedAndTheDaemonLives() async throws {
        let pair = try PairFixture()
        self.pair = pair
        try await pair.startPair()

        let cli = try pair.admin(.alpha, ["ack", "--expires", "1e300s"])
        XCTAssertEqual(cli.status, 2, "a usage error\n\(cli.stdout)\(cli.stderr)")
        XCTAssertTrue(cli.stderr.contains("--expires: expected a duration from 1s to 365d"), cli.stderr)

        for (json, expected) in [
            (#"{"version":1,"command":"ack","expiresSeconds":1e300}"#, "expiresSeconds must be from 1 to"),
            (#"{"version":1,"command":"ack","expiresSeconds":-5}"#, "expiresSeconds must be from 1 to"),
            (#"{"version":1,"command":"events","sinceSeconds":-1e20}"#, "sinceSeconds must be from 0 to"),
            (#"{"version":1,"command":"events","sinceSeconds":1e300}"#, "sinceSeconds must be from 0 to"),
            (#"{"version":1,"command":"failback","waitSeconds":1e300}"#, "waitSeconds must be from 0 to 600"),
            (#"{"version":1,"command":"events","limit":0}"#, "limit must be from 1 to 10000"),
            (#"{"version":1,"command":"events","limit":9223372036854775807}"#, "limit must be from 1 to 10000"),
            (#"{"version":1,"command":"notify-test","channel":"pager"}"#, "channel must be one of email, snmp"),
        ] {
            let reply = try request(pair, json)
            XCTAssertTrue(reply.contains(#""outcome":"denied""#), "\(json): \(reply)")
            XCTAssertTrue(reply.contains(expected), "\(json): \(reply)")
        }
        XCTAssertTrue(pair.isAgentRunning(.alpha), "the daemon survives every one of them")
        XCTAssertEqual(pair.status(.alpha)?.state, "active")
        XCTAssertEqual(pair.sink.messages().filter { $0.raw.contains("TEST") || $0.raw.contains("test notification") }.count, 0,
                       "the refused notify-test sent nothing")
    }

    /// Case 8: `printf '...' | nc -N`: the client shuts its sending side after the request.
    func testAHalfClosedClientGetsItsReply() async throws {
        let pair = try PairFixture()
        self.pair = pair
        try await pair.startPair()
        for json in [#"{"version":1,"command":"status"}"# + "\n", #"{"version":1,"command":"status"}"#] {
            let reply = try LoopbackClient.unix(path: socket(pair), send: json, halfClose: true)
            XCTAssertTrue(reply.contains(#""outcome":"done""#), "with\(json.hasSuffix("\n") ? "" : "out") a newline: \(reply)")
            XCTAssertTrue(reply.contains(#""node":"alpha""#), reply)
        }
    }

    /// Case 7: with a socket every user may open, anyone may read the status, but only root
    /// or `control.group` may make the daemon send pages.
    func testNotifyTestThroughTheDaemonNeedsTheAdminsRights() async throws {
        guard getuid() == 0 else {
            throw FixtureError("this test must run as root (it runs the CLI as nobody with setpriv)")
        }
        let pair = try PairFixture(control: [
            .alpha: #"{socket: alpha.sock, group: users, mode: "0666"}"#,
            .beta: #"{socket: beta.sock, group: users, mode: "0660"}"#,
        ])
        self.pair = pair
        chmod(pair.directory.path, 0o755)
        try await pair.startPair()
        let before = pair.sink.messages().count
        let outsider = try Repository.run("/usr/bin/setpriv", [
            "--reuid=65534", "--regid=65534", "--clear-groups", Repository.executable,
            "notify-test", "--via-daemon", "--socket", pair.directory.file("alpha.sock"),
        ])
        XCTAssertEqual(outsider.status, 4, outsider.stdout + outsider.stderr)
        XCTAssertTrue(outsider.stderr.contains("nobody may read the status but not notify-test"), outsider.stderr)
        let status = try Repository.run("/usr/bin/setpriv", [
            "--reuid=65534", "--regid=65534", "--clear-groups", Repository.executable, "status", "--socket", pair.directory.file("alpha.sock"),
        ])
        XCTAssertEqual(status.status, 0, "reads stay open\n\(status.stderr)")
        // The daemon answers its socket in order: the admin's test mail, sent after nobody's
        // refused request, arrives alone.
        let admin = try pair.admin(.alpha, ["notify-test", "--via-daemon", "--channel", "email", "--socket", pair.directory.file("alpha.sock")])
        XCTAssertEqual(admin.status, 0, admin.stdout + admin.stderr)
        let mails = try pair.sink.waitForMessages(before + 1, timeout: 10)
        XCTAssertEqual(mails.count, before + 1, "no page was sent for nobody")
        XCTAssertTrue(mails.last?.raw.contains("requested by root") == true, mails.last?.raw ?? "")
    }

    /// Case 6: 700 idle clients on the control socket and 700 on the HTTP endpoint of an
    /// agent limited to 1,024 descriptors: `status` and `/health` still answer at once, the
    /// master's check failure still hands off (its stop action runs), the page goes out,
    /// and the two services are never both up once the handoff is done.
    func testIdleClientsCannotTakeTheDescriptorsTheFailoverNeeds() async throws {
        let prlimit = "/usr/bin/prlimit"
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: prlimit), "needs prlimit: apt-get install util-linux")
        let httpPort = try FreePort.tcp()
        let pair = try PairFixture(extraFor: [.alpha: "http: {port: \(httpPort)}\n"])
        self.pair = pair
        pair.agentPrefix = [prlimit, "--nofile=1024:1024", "--"]
        try await pair.startPair()
        let log = pair.log(.alpha)
        XCTAssertTrue(log.contains("descriptor limit 1024"), log)

        var limits = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits)
        limits.rlim_cur = max(limits.rlim_cur, min(limits.rlim_max, 16_384))
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits)
        var idleControl: [Int32] = []
        var idleHTTP: [Int32] = []
        defer { (idleControl + idleHTTP).forEach { close($0) } }
        // More clients than the agent has descriptors (1,400 > 1,024), and more than five
        // times what each listener holds (256). They connect as fast as they can: with the
        // HTTP endpoint's backlog of 64 this took 10 s (dropped SYNs, 1 s retransmissions),
        // with 256 it takes well under one.
        let clients = 700
        for _ in 0..<clients {
            idleControl.append(try LoopbackClient.connect(unixPath: socket(pair)))
            idleHTTP.append(try LoopbackClient.connect(port: httpPort))
        }
        // The agent has taken them all in once each full listener has closed the clients
        // beyond what it holds (the oldest waiting first): status is asked of full listeners.
        let held = try XCTUnwrap(log.firstMatch(of: /each listener holds at most (\d+) connections/).flatMap { Int($0.output.1) }, log)
        let full = await Wait.until(timeout: 10) { () async -> Bool in
            self.closedByTheAgent(idleControl) >= clients - held && self.closedByTheAgent(idleHTTP) >= clients - held
        }
        XCTAssertTrue(full, "each listener closed the \(clients - held) clients beyond its \(held)")

        var statusTimes: [Duration] = []
        var healthTimes: [Duration] = []
        for _ in 0..<5 {
            var start = ContinuousClock.now
            let reply = try request(pair, #"{"version":1,"command":"status"}"#)
            statusTimes.append(ContinuousClock.now - start)
            XCTAssertTrue(reply.contains(#""outcome":"done""#), reply)
            start = ContinuousClock.now
            let health = try LoopbackClient.http(port: httpPort, path: "/health")
            healthTimes.append(ContinuousClock.now - start)
            XCTAssertEqual(health.status, 200)
        }
        print("with \(clients) idle clients on the control socket and \(clients) on /health (agent limit 1024 descriptors): "
              + "status \(statusTimes.map { $0.formatted(.units(allowed: [.milliseconds], fractionalPart: .show(length: 1))) }), "
              + "/health \(healthTimes.map { $0.formatted(.units(allowed: [.milliseconds], fractionalPart: .show(length: 1))) })")
        // Each answered (the clients give up after 5 s): the times above are figures, not assertions.
        XCTAssertEqual(statusTimes.count, 5)
        XCTAssertEqual(healthTimes.count, 5)

        let mailsBefore = pair.sink.messages().count
        try pair.breakCheck(.alpha)
        try await pair.waitUntil("beta is active", timeout: 20) { pair.status(.beta)?.state == "active" }
        try await pair.waitUntil("alpha is failed", timeout: 20) { pair.status(.alpha)?.state == "failed" }
        // The handoff is done once alpha's stop action has ended. From then on only a start
        // action could bring alpha's service back, and alpha runs none while it stays failed:
        // its recorded state changes, to the end of the test, say it does.
        try await pair.waitUntil("alpha's stop action ended", timeout: 10) { pair.log(.alpha).contains("stop exited 0") }
        var (alpha, beta) = (await pair.serving(.alpha), await pair.serving(.beta))
        XCTAssertFalse(alpha && beta, "never both services once the handoff is done")
        XCTAssertTrue(beta, "beta serves")
        XCTAssertFalse(pair.allLogs(.alpha).contains("Too many open files"), pair.allLogs(.alpha))
        let mails = try pair.sink.waitForMessages(mailsBefore + 1, timeout: 15)
        XCTAssertTrue(mails.contains { $0.raw.contains("FAILOVER") }, "the failover page was delivered")
        XCTAssertTrue(pair.stateChanges(.alpha).last?.contains("-> failed") ?? false, "alpha stayed failed: \(pair.stateChanges(.alpha))")
        (alpha, beta) = (await pair.serving(.alpha), await pair.serving(.beta))
        XCTAssertFalse(alpha && beta, "never both services once the handoff is done")
        XCTAssertTrue(beta, "beta serves")
    }
}

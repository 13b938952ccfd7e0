import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import VacataireTestSupport
import XCTest

/// `vacataire init`: what it writes passes check-config as written, and a pair run from
/// it on loopback (alpha on 127.0.0.2, beta on 127.0.0.3) fails over and pages.
///
/// The pair's nodes each run a web server on CHECK_PORT, the URL init's check reads (as on
/// two identical servers); the actions start and stop the "service" on another port.
final class InitCommandTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("init")
    }

    override func tearDown() {
        for name in ["alpha", "beta", "web-alpha", "web-beta"] {
            _ = try? Repository.run("/bin/sh", ["-c", "cd '\(directory.path)' && ./service.sh stop \(name)"])
        }
        directory.remove()
    }

    private func initPair(servicePort: Int, checkPort: Int = 18081, smtpPort: Int = 25, trapPort: Int = 162, extra: [String] = []) throws -> CommandResult {
        // Each node binds its service to its own address; the command is the same on both.
        let address = #"$([ "$VACATAIRE_NODE" = alpha ] && echo 127.0.0.2 || echo 127.0.0.3)"#
        return try Repository.runVacataire([
            "init", "--cluster", "init-test",
            "--master", "alpha", "--master-address", "127.0.0.2:\(try FreePort.udp())",
            "--standby", "beta", "--standby-address", "127.0.0.3:\(try FreePort.udp())",
            "--start", #"./service.sh start "$VACATAIRE_NODE" \#(servicePort) "\#(address)""#,
            "--stop", #"./service.sh stop "$VACATAIRE_NODE""#,
            "--check-url", "http://127.0.0.1:\(checkPort)/",
            "--check-interval", "200ms",
            "--mail-to", "oncall@example.org", "--smtp", "smtp://127.0.0.1:\(smtpPort)",
            "--nms", "127.0.0.1:\(trapPort)",
            "--no-witness",
            "--state-dir", "state-%n", "--control-socket", "state-%n/control.sock",
            "--output-directory", directory.path,
        ] + extra)
    }

    func testInitWritesFilesThatCheckConfigAccepts() throws {
        let result = try initPair(servicePort: 18080)
        XCTAssertEqual(result.status, 0, result.stderr)
        for node in ["alpha", "beta"] {
            let check = try Repository.runVacataire(["check-config", directory.file("\(node).yaml")])
            XCTAssertEqual(check.status, 0, "\(node).yaml: \(check.stderr)")
            XCTAssertTrue(check.stdout.contains("failover: configured \(node == "alpha" ? "master" : "standby")"), check.stdout)
            let text = try String(contentsOfFile: directory.file("\(node).yaml"), encoding: .utf8)
            XCTAssertTrue(text.contains("# Le Vacataire: node \(node)"), "commented")
        }
        let key = try FileManager.default.attributesOfItem(atPath: directory.file("peer.key"))
        XCTAssertEqual((key[.posixPermissions] as? Int).map { $0 & 0o777 }, 0o600)
        XCTAssertEqual(try String(contentsOfFile: directory.file("peer.key"), encoding: .utf8).count, 65, "64 hex digits and a newline")

        let again = try initPair(servicePort: 18080)
        XCTAssertEqual(again.status, 1, "replaced a file without --force")
        XCTAssertTrue(again.stderr.contains("exists; vacataire init replaces nothing without --force"), again.stderr)
        let forced = try initPair(servicePort: 18080, extra: ["--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
    }

    /// `init --mode etcd`: one file per member, the first named with the highest priority;
    /// each passes check-config, which prints the lease's timings (the default ttl the
    /// shortest the timing rule allows with the stop timeout).
    func testInitWritesAnEtcdClusterThatCheckConfigAccepts() throws {
        func initCluster(_ extra: [String], nodes: String = "web-1=127.0.0.2,web-2=127.0.0.3,web-3") throws -> CommandResult {
            try Repository.runVacataire([
                "init", "--mode", "etcd", "--cluster", "shop", "--nodes", nodes, "--start", "true", "--stop", "true",
                "--check-url", "http://127.0.0.1:8080/", "--mail-to", "oncall@shop.test", "--smtp-starttls", "off",
                "--state-dir", "state-%n", "--control-socket", "state-%n/control.sock", "--output-directory", directory.path,
            ] + extra)
        }
        let result = try initCluster(["--etcd", "http://127.0.0.1:2379,http://127.0.0.2:2379"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.file("peer.key")), "no peer key in mode etcd")
        for (name, priority, host) in [("web-1", 30, "127.0.0.2"), ("web-2", 20, "127.0.0.3"), ("web-3", 10, "web-3")] {
            let check = try Repository.runVacataire(["check-config", directory.file("\(name).yaml")])
            XCTAssertEqual(check.status, 0, "\(name).yaml: \(check.stderr)")
            XCTAssertTrue(check.stdout.contains("failover: mode etcd at http://127.0.0.1:2379, http://127.0.0.2:2379, keys under /vacataire/shop/, priority \(priority)"), check.stdout)
            XCTAssertTrue(check.stdout.contains("lease: ttl 15s, renewed every 1s"), check.stdout)
            XCTAssertTrue(check.stdout.contains("failover.etcd.tls: etcd is reached without TLS"), "the plain endpoints are warned about: \(check.stdout)")
            let text = try String(contentsOfFile: directory.file("\(name).yaml"), encoding: .utf8)
            XCTAssertTrue(text.contains("url: \"http://\(host):8080/\""), "the check reads the node's own page: \(text)")
        }
        let one = try initCluster(["--etcd", "http://127.0.0.1:2379", "--force"], nodes: "web-1")
        XCTAssertEqual(one.status, 2)
        XCTAssertTrue(one.stderr.contains("--nodes: expected 2 to 9 nodes, found 1"), one.stderr)
        let mixed = try initCluster(["--etcd", "http://127.0.0.1:2379", "--master", "web-1", "--force"])
        XCTAssertTrue(mixed.stderr.contains("--master is for mode pair"), mixed.stderr)
        let noStore = try initCluster(["--force"])
        XCTAssertTrue(noStore.stderr.contains("--mode etcd needs --etcd"), noStore.stderr)
    }

    /// Config/etcd's three-node example passes check-config as shipped (its example
    /// addresses are warnings, which --strict refuses).
    func testTheEtcdExampleIsValid() throws {
        for name in ["web-1", "web-2", "web-3"] {
            let check = try Repository.runVacataire(["check-config", Repository.path("Config/etcd/\(name).yaml")])
            XCTAssertEqual(check.status, 0, "\(name).yaml: \(check.stderr)")
            XCTAssertTrue(check.stdout.contains("failover: mode etcd"), check.stdout)
        }
    }

    /// A newcomer's first try: only the required flags. Init refuses a pair that would page
    /// nobody or never take over a dead master, naming the flags that fix it; with them,
    /// the pair's files have no warning but the example addresses, and a plain relay works.
    func testInitRefusesAnUnsafePairAndWritesASafeOne() throws {
        let required = ["init", "--master", "web-1", "--master-address", "10.0.0.1", "--standby", "web-2", "--standby-address", "10.0.0.2",
                        "--start", "systemctl start nginx", "--stop", "systemctl stop nginx", "--check-url", "http://web/", "-o", directory.path]
        let bare = try Repository.runVacataire(required)
        XCTAssertNotEqual(bare.status, 0)
        XCTAssertTrue(bare.stderr.contains("nobody would be paged: give --mail-to ADDRESS and/or --nms HOST, or --no-pages"), bare.stderr)
        let noWitness = try Repository.runVacataire(required + ["--mail-to", "ops@shop.internal"])
        XCTAssertTrue(noWitness.stderr.contains("if web-1's machine dies web-2 will not take over: give --witness"), noWitness.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [], "nothing written")

        let safe = try Repository.runVacataire(required + [
            "--mail-to", "ops@shop.internal", "--smtp", "smtp://relay.shop.internal:25", "--smtp-starttls", "off",
            "--witness", "tcp://10.0.0.254:53",
        ])
        XCTAssertEqual(safe.status, 0, safe.stderr)
        XCTAssertTrue(safe.stdout.contains("vacataire notify-test"), safe.stdout)
        for node in ["web-1", "web-2"] {
            let text = try String(contentsOfFile: directory.file("\(node).yaml"), encoding: .utf8)
            XCTAssertTrue(text.contains(#"starttls: "off""#), text)
            XCTAssertFalse(text.contains("answer on the standby too"), "the check's comment is true to its scope")
            let check = try Repository.runVacataire(["check-config", "--strict", directory.file("\(node).yaml")])
            XCTAssertEqual(check.status, 0, "\(node).yaml: \(check.stdout)\(check.stderr)")
        }
    }

    func testInitRefusesBadFlagsNamingThem() throws {
        let same = try Repository.runVacataire(["init", "--master", "a", "--master-address", "h", "--standby", "a", "--standby-address", "i",
                                                 "--start", "x", "--stop", "y", "--check-url", "http://h/", "-o", directory.path])
        XCTAssertEqual(same.status, 2, same.stderr)
        XCTAssertTrue(same.stderr.contains("--master and --standby must name two different nodes"), same.stderr)
        let url = try Repository.runVacataire(["init", "--master", "a", "--master-address", "h", "--standby", "b", "--standby-address", "i",
                                                "--start", "x", "--stop", "y", "--check-url", "ftp://h/", "-o", directory.path])
        XCTAssertTrue(url.stderr.contains("--check-url: expected an http:// or https:// URL"), url.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [], "nothing written")
    }

    func testAPairFromInitFailsOver() throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let servicePort = try FreePort.tcp()
        let checkPort = try FreePort.tcp()
        let result = try initPair(servicePort: servicePort, checkPort: checkPort, smtpPort: sink.port)
        XCTAssertEqual(result.status, 0, result.stderr)
        let service = directory.file("service.sh")
        try FileManager.default.copyItem(atPath: Repository.path("Config/pair/service.sh"), toPath: service)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: service)
        for (name, address) in [("web-alpha", "127.0.0.2"), ("web-beta", "127.0.0.3")] {
            try shell("./service.sh start \(name) \(checkPort) \(address)")
        }

        var agents: [String: SpawnedProcess] = [:]
        defer { agents.values.forEach { $0.stop(grace: 5) } }
        for node in ["alpha", "beta"] {
            agents[node] = try SpawnedProcess(
                executable: Repository.executable, arguments: ["run", "--config", directory.file("\(node).yaml")],
                environment: ["VACATAIRE_TEMPLATES": ""],
                stdoutPath: directory.file("\(node).out"), stderrPath: directory.file("\(node).log"))
        }
        let logs = { ["alpha", "beta"].map { "\($0): " + ((try? String(contentsOfFile: self.directory.file("\($0).log"), encoding: .utf8)) ?? "") }.joined(separator: "\n") }

        try waitUntil("alpha serves", logs) { self.state("alpha") == "active" && self.page("127.0.0.2", servicePort) == "served by alpha" }
        try waitUntil("beta stands by", logs) { self.state("beta") == "standby" }

        // alpha's web server dies: its check fails 3 times, and it hands over to beta.
        try shell("./service.sh stop web-alpha")
        try waitUntil("beta took over", logs) { self.state("beta") == "active" && self.page("127.0.0.3", servicePort) == "served by beta" }
        try waitUntil("alpha failed", logs) { self.state("alpha") == "failed" }
        let pages = try sink.waitForMessages(1, timeout: 20)
        XCTAssertTrue(pages.contains { $0.recipients.contains("oncall@example.org") && $0.mailFrom == "vacataire@example.org" },
                      "\(pages.map(\.raw))")
    }

    private func shell(_ command: String) throws {
        let result = try Repository.run("/bin/sh", ["-c", "cd '\(directory.path)' && \(command)"])
        guard result.status == 0 else { throw FixtureError("\(command): \(result.stderr)") }
    }

    private func state(_ node: String) -> String? {
        guard let result = try? Repository.runVacataire(["status", "--json", "--config", directory.file("\(node).yaml")]), result.status == 0,
              let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        else { return nil }
        return object["state"] as? String
    }

    private func page(_ host: String, _ port: Int) -> String? {
        guard let result = try? Repository.run("/usr/bin/curl", ["-s", "--max-time", "1", "http://\(host):\(port)/"]), result.status == 0 else { return nil }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func waitUntil(_ what: String, _ logs: () -> String, timeout: TimeInterval = 40, _ condition: () -> Bool) throws {
        if Wait.until(timeout: timeout, every: 0.2, condition) { return }
        XCTFail("\(what): not within \(Int(timeout)) s\n\(logs())")
        throw FixtureError("gave up waiting: \(what)")
    }
}

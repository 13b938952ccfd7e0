import Foundation
import VacataireTestSupport
import XCTest

/// A newcomer's first hour with the installed package, on three namespace hosts:
///
/// - web-1 (198.51.100.1) and web-2 (198.51.100.2), the pair: each runs the installed
///   /usr/bin/vacataire with a /etc/vacataire, /var/lib/vacataire and /run/vacataire of its
///   own (its namespace's /etc/netns entry, and bind mounts made by `node()`'s wrapper);
/// - gw (198.51.100.254), the lab's lb host: the mail relay (a plain SMTP sink, no STARTTLS,
///   on port 25), the NMS (snmptrapd, SNMPv2c, port 162) and the witness (TCP 7400).
///
/// Every host's /etc/hosts names them (web-1.shop.internal, mail.shop.internal, ...), as an
/// operator's DNS would: the configuration holds no example value, so `check-config
/// --strict` has nothing to warn about.
final class NewcomerPair {
    static let domain = "shop.internal"
    static let servicePort = 8080
    static let witnessPort = 7400
    static let hosts: [(OperatorNetwork.Host, String)] = [(.alpha, "web-1"), (.beta, "web-2")]

    let network: OperatorNetwork
    let directory: TemporaryDirectory
    let sink: SMTPSink
    let traps: TrapReceiver
    private var servers: [SpawnedProcess] = []
    private var agents: [OperatorNetwork.Host: SpawnedProcess] = [:]
    /// The directories bound over /var/lib/vacataire and /run/vacataire, per host.
    private var roots: [OperatorNetwork.Host: String] = [:]

    init() throws {
        directory = try TemporaryDirectory("newcomer")
        network = try OperatorNetwork()
        sink = try SMTPSink()
        traps = try TrapReceiver(community: "public")
        for path in ["/var/lib/vacataire", "/run/vacataire"] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        let names = """
            127.0.0.1 localhost
            198.51.100.1 web-1.\(Self.domain) web-1
            198.51.100.2 web-2.\(Self.domain) web-2
            \(OperatorNetwork.lbAddress) gw.\(Self.domain) mail.\(Self.domain) nms.\(Self.domain)

            """
        for host in OperatorNetwork.Host.allCases {
            try FileManager.default.createDirectory(atPath: network.etc(host, "vacataire"), withIntermediateDirectories: true)
            try names.write(toFile: network.etc(host, "hosts"), atomically: true, encoding: .utf8)
            let root = directory.file("root-\(host.rawValue)")
            for sub in ["var", "run"] {
                try FileManager.default.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true)
            }
            roots[host] = root
        }
        for script in ["web_service.sh", "page_server.py"] {
            let target = directory.file(script)
            try FileManager.default.copyItem(atPath: Repository.path("Tests/Fixtures/operator_lab/\(script)"), toPath: target)
            chmod(target, 0o755)
        }
        let lb = OperatorNetwork.lbAddress
        let ports = try SpawnedProcess(
            name: "gw-ports", executable: "/usr/bin/python3",
            arguments: [
                Repository.path("Tests/Fixtures/operator_lab/lb_ports.py"), "--netns", network.path(.lb),
                "--witness", "\(lb):\(Self.witnessPort)",
                "--tcp", "\(lb):25=127.0.0.1:\(sink.port)",
                "--udp", "\(lb):162=127.0.0.1:\(traps.port)",
            ],
            workDirectory: directory.path, install: "python3")
        servers.append(ports)
        try ports.wait(for: "READY") { ports.output.contains("READY") }
    }

    func tearDown() {
        for agent in agents.values { agent.stop(grace: 5) }
        for server in servers.reversed() { server.stop() }
        network.remove()
        sink.stop()
        traps.stop()
        directory.remove()
        for path in ["/run/vacataire", "/var/lib/vacataire"] { try? FileManager.default.removeItem(atPath: path) }
    }

    /// The node's name on `host`.
    static func node(_ host: OperatorNetwork.Host) -> String {
        hosts.first { $0.0 == host }?.1 ?? host.rawValue
    }

    /// The command line that runs `arguments` on `host` as on its own machine: in its
    /// namespace, with its own state and runtime directories.
    func command(on host: OperatorNetwork.Host, _ arguments: [String]) -> [String] {
        let script = #"mount --bind "$0/var" /var/lib/vacataire && mount --bind "$0/run" /run/vacataire && exec "$@""#
        return network.command(in: host, ["/bin/sh", "-c", script, roots[host] ?? "/nonexistent"] + arguments)
    }

    /// Runs `vacataire ARGUMENTS` on `host`.
    func vacataire(on host: OperatorNetwork.Host, _ arguments: [String]) throws -> CommandResult {
        let full = command(on: host, ["/usr/bin/vacataire"] + arguments)
        return try Repository.run(full[0], Array(full.dropFirst()))
    }

    /// Installs what init wrote for `host`'s node as an operator copies it: the node's file
    /// as /etc/vacataire/vacataire.yaml, and the key beside it.
    func install(from pair: String, on host: OperatorNetwork.Host) throws {
        let etc = network.etc(host, "vacataire")
        try FileManager.default.copyItem(atPath: "\(pair)/\(Self.node(host)).yaml", toPath: "\(etc)/vacataire.yaml")
        try FileManager.default.copyItem(atPath: "\(pair)/peer.key", toPath: "\(etc)/peer.key")
        chmod("\(etc)/peer.key", 0o600)
    }

    /// `vacataire run` on `host`, as its unit starts it.
    func startAgent(on host: OperatorNetwork.Host) throws {
        let full = command(on: host, ["/usr/bin/vacataire", "run"])
        agents[host] = try SpawnedProcess(
            name: Self.node(host), executable: full[0], arguments: Array(full.dropFirst()), workDirectory: directory.path,
            install: "the package (dpkg --install vacataire_*.deb)")
    }

    /// The agent's log on `host` so far.
    func log(_ host: OperatorNetwork.Host) -> String {
        agents[host]?.output ?? ""
    }

    /// `vacataire status --json` on `host`, or nil when it does not answer.
    func status(_ host: OperatorNetwork.Host) -> [String: Any]? {
        guard let result = try? vacataire(on: host, ["status", "--json"]), result.status == 0 else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any]
    }

    /// What a client on gw gets from `host`'s service (nil: no answer).
    func page(from host: OperatorNetwork.Host) -> String? {
        let address = host == .alpha ? "198.51.100.1" : "198.51.100.2"
        let full = network.command(in: .lb, ["/usr/bin/curl", "-s", "--max-time", "1", "-o", "/dev/null", "-w", "%{http_code}",
                                             "http://\(address):\(Self.servicePort)/"])
        guard let result = try? Repository.run(full[0], Array(full.dropFirst())), result.status == 0 else { return nil }
        return result.stdout
    }

    /// The shell command of a service action, as init's --start and --stop take it (the
    /// same on both nodes: the agent names its node in $VACATAIRE_NODE).
    func serviceAction(_ verb: String) -> String {
        let port = verb == "start" ? " \(Self.servicePort)" : ""
        return #"cd \#(directory.path) && ./web_service.sh \#(verb) "$VACATAIRE_NODE"\#(port)"#
    }
}

extension DebianPackageTests {
    /// What a newcomer does with the installed package, from `vacataire init` to a pair that
    /// pages once and takes over when the master's machine is cut off the network.
    func checkANewcomersFirstHour() throws {
        let lab = try NewcomerPair()
        defer { lab.tearDown() }
        let domain = NewcomerPair.domain
        let pair = lab.directory.file("pair")
        let required = [
            "init", "--cluster", "shop", "--master", "web-1", "--master-address", "web-1.\(domain)",
            "--standby", "web-2", "--standby-address", "web-2.\(domain)",
            "--start", lab.serviceAction("start"), "--stop", lab.serviceAction("stop"),
            "--check-url", "http://127.0.0.1:\(NewcomerPair.servicePort)/", "--check-interval", "500ms", "-o", pair,
        ]
        // Only the required flags: refused, naming what makes the pair safe.
        let bare = try lab.vacataire(on: .alpha, required)
        XCTAssertNotEqual(bare.status, 0, bare.stdout)
        XCTAssertTrue(bare.stderr.contains("nobody would be paged: give --mail-to ADDRESS and/or --nms HOST, or --no-pages"), bare.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(pair)/peer.key"), "init wrote a key for a pair it refused")

        let made = try lab.vacataire(on: .alpha, required + [
            "--mail-to", "oncall@\(domain)", "--smtp", "smtp://mail.\(domain):25", "--smtp-starttls", "off",
            "--nms", "nms.\(domain)", "--witness", "tcp://gw.\(domain):\(NewcomerPair.witnessPort)",
        ])
        XCTAssertEqual(made.status, 0, made.stdout + made.stderr)
        XCTAssertTrue(made.stdout.contains("vacataire notify-test"), "init names the command that proves the pages:\n\(made.stdout)")
        for (host, node) in NewcomerPair.hosts {
            try lab.install(from: pair, on: host)
            let check = try lab.vacataire(on: host, ["check-config", "--strict", "/etc/vacataire/vacataire.yaml"])
            XCTAssertEqual(check.status, 0, "\(node): \(check.stdout)\(check.stderr)")
            XCTAssertTrue(check.stdout.hasPrefix("ok\n") && !check.stdout.contains("warning"), "\(node): \(check.stdout)")
        }

        // notify-test reaches the plain relay and the NMS.
        let test = try lab.vacataire(on: .alpha, ["notify-test"])
        XCTAssertEqual(test.status, 0, test.stdout + test.stderr)
        let tested = try lab.sink.waitForMessages(1, timeout: 20)
        XCTAssertEqual(tested.first?.headers["x-vacataire-event"], "test")
        XCTAssertEqual(tested.first?.tls, false)
        _ = try lab.traps.waitForNotifications(1, timeout: 20)

        for (host, _) in NewcomerPair.hosts { try lab.startAgent(on: host) }
        let logs = { NewcomerPair.hosts.map { "\($0.1):\n\(lab.log($0.0).suffix(3000))" }.joined(separator: "\n") }
        XCTAssertTrue(Wait.until(timeout: 40, every: 0.2) {
            lab.status(.alpha)?["state"] as? String == "active" && lab.status(.beta)?["state"] as? String == "standby"
                && lab.page(from: .alpha) == "200"
        }, "web-1 serves and web-2 stands by\n\(logs())")

        // doctor, from web-1: the peer with the key, the witness, the probe URL, every destination.
        let doctor = try lab.vacataire(on: .alpha, ["doctor"])
        XCTAssertEqual(doctor.status, 0, doctor.stdout + doctor.stderr)
        XCTAssertFalse(doctor.stdout.contains("FIX"), doctor.stdout)

        // web-1's machine is cut off the network: web-2 takes over and pages once.
        let before = Set(lab.sink.messages().map(\.raw))
        try lab.network.setPublicLink(.alpha, up: false)
        XCTAssertTrue(Wait.until(timeout: 40, every: 0.2) {
            lab.status(.beta)?["state"] as? String == "active" && lab.page(from: .beta) == "200"
        }, "web-2 took over\n\(logs())")
        let settled = Wait.until(timeout: 30, every: 0.5) {
            guard let status = lab.status(.beta) else { return false }
            return ["outboxPending", "heldBackNotices", "confirmationsAwaited"].allSatisfy { (status[$0] as? Int) == 0 }
                && lab.sink.messages().contains { !before.contains($0.raw) }
        }
        XCTAssertTrue(settled, "web-2 owes a notification\n\(logs())")
        let pages = lab.sink.messages().filter { !before.contains($0.raw) }
        XCTAssertEqual(pages.map { $0.headers["x-vacataire-event"] ?? "?" }, ["takeover"], pages.map(\.raw).joined(separator: "\n---\n"))
        XCTAssertTrue(pages.first?.headers["x-vacataire-node"] == "web-2", pages.map(\.raw).joined())
        let takeoverTraps = lab.traps.notifications().filter { $0.value("snmpTrapOID") == "OID: LE-VACATAIRE-MIB::vacTakeover" }
        XCTAssertEqual(takeoverTraps.count, 1, lab.traps.log)
    }
}

import Foundation

/// The pair as operators deploy it (issue 10, "What must show it"): three hosts in network
/// namespaces (`OperatorNetwork`), a real HAProxy, SMTP server and NMS on the load
/// balancer's host, and two `vacataire run` agents whose actions start and stop a real web
/// service, each checking that service with an `http` check of its exact page size.
///
/// - lb (198.51.100.254): HAProxy on port 80 following the agents' agent-check ports; the
///   witness (TCP 7400); SMTP on 587 (the `SMTPSink`, aiosmtpd with STARTTLS required and
///   AUTH, certificate for 198.51.100.254) and SNMP traps on UDP 162 (the `TrapReceiver`,
///   snmptrapd with the SNMPv3 authPriv user of both agents' engine ids). The sink and the
///   receiver listen on the test's loopback; `lb_ports.py` listens on lb's address and
///   relays to them. `sampler.py` GETs alpha's service, beta's service and HAProxy's
///   frontend from lb every 20 ms, and reads both agents' agent-check answers (`samples`).
/// - alpha (master, 198.51.100.1) and beta (standby, 198.51.100.2), peer link on the private
///   veth (203.0.113.1 — 203.0.113.2) only, each serving `page_server.py`'s 4096-byte page on
///   port 8080 while its agent has started it (`web_service.sh`), HTTP endpoint on 9411 and
///   agent-check on 9511 of its public address.
///
/// Everything is in one temporary directory (kept when `VACATAIRE_KEEP_LAB` is set);
/// `tearDown()` kills every process, deletes the namespaces and stops the servers.
public final class OperatorLab: @unchecked Sendable {
    /// A node of the pair.
    public enum Node: String, CaseIterable, Sendable {
        case alpha, beta

        public var peer: Node { self == .alpha ? .beta : .alpha }
        public var role: String { self == .alpha ? "master" : "standby" }
        public var host: OperatorNetwork.Host { self == .alpha ? .alpha : .beta }
        public var publicAddress: String { OperatorNetwork.publicAddress[host] ?? "" }
        public var privateAddress: String { OperatorNetwork.privateAddress[host] ?? "" }
        /// The agent's SNMP engine id, set in its configuration so that the NMS knows it
        /// before the agent first starts (Docs/snmp.md, "The engine id").
        public var engineID: String { self == .alpha ? "0x80007ed90500000000000000a1" : "0x80007ed90500000000000000b2" }
    }

    public static let servicePort = 8080
    public static let httpPort = 9411
    public static let agentCheckPort = 9511
    public static let peerPort = 7411
    public static let witnessPort = 7400
    public static let smtpPort = 587
    public static let trapPort = 162
    public static let frontendPort = 80
    public static let pageBytes = 4096
    public static let samplePeriodMilliseconds = 20

    /// Timings shared by both nodes (Docs/failover.md, "Timing constraints").
    public static let heartbeat = 0.1
    public static let deadAfter = 2.0
    public static let selfFenceAfter = 0.7
    public static let stopTimeout = 1.0
    public static let handoffTimeout = 2.0

    /// The event kinds that page (Docs/notifications.md: never held back).
    public static let pageKinds: Set<String> = ["failover", "takeover", "failback", "switchover", "peer-lost", "acknowledged", "reminder"]
    /// The event kinds that announce a role change.
    public static let roleChangeKinds: Set<String> = ["failover", "takeover", "failback", "switchover"]

    public let network: OperatorNetwork
    public let directory: TemporaryDirectory
    public let sink: SMTPSink
    public let traps: TrapReceiver
    public let samplesFile: String
    public let statsSocket: String
    private var servers: [SpawnedProcess] = []
    private var agents: [Node: SpawnedProcess] = [:]
    private(set) var starts: [Node: Int] = [:]
    private static let smtpPassword = "lab-smtp-secret"
    private static let snmpAuthPassword = "lab-auth-password"
    private static let snmpPrivPassword = "lab-priv-password"

    /// Builds the network, starts lb's servers and the samplers, and writes both nodes'
    /// files; no agent runs yet (`startPair()`). Throws a `FixtureError` that says what to
    /// install when something is missing.
    public init() throws {
        for (path, package) in [
            (HAProxyFixture.executable, "haproxy"), ("/usr/sbin/snmptrapd", "snmptrapd"), ("/usr/bin/python3", "python3"),
            ("/usr/bin/openssl", "openssl"),
        ] where !FileManager.default.isExecutableFile(atPath: path) {
            throw FixtureError("the operator lab needs \(path): apt-get install \(package)")
        }
        guard FileManager.default.isExecutableFile(atPath: Repository.executable) else {
            throw FixtureError("the operator lab runs the agent at \(Repository.executable): build it first (swift build --build-tests)")
        }
        directory = try TemporaryDirectory("operator-lab")
        samplesFile = directory.file("samples.txt")
        statsSocket = directory.file("haproxy.sock")
        var network: OperatorNetwork?
        var sink: SMTPSink?
        var traps: TrapReceiver?
        do {
            network = try OperatorNetwork()
            let certificate = try Self.certificate(in: directory)
            sink = try SMTPSink(arguments: [
                "--tls-cert", certificate.certificate, "--tls-key", certificate.key, "--require-starttls",
                "--auth", "vacataire:\(Self.smtpPassword)",
            ])
            traps = try TrapReceiver(users: Node.allCases.map {
                TrapReceiver.User(name: "vacataire", authPassword: Self.snmpAuthPassword, privPassword: Self.snmpPrivPassword, engineID: $0.engineID)
            })
        } catch {
            network?.remove()
            sink?.stop()
            traps?.stop()
            directory.remove()
            throw error
        }
        self.network = network!
        self.sink = sink!
        self.traps = traps!
        do {
            try writeFiles(certificate: directory.file("lb.pem"))
            try startLoadBalancerHost()
        } catch {
            tearDown()
            throw error
        }
    }

    deinit {
        tearDown()
    }

    // MARK: - lb's servers

    /// A self-signed certificate for the lb host's address (TestCertificate's is for 127.0.0.1).
    private static func certificate(in directory: TemporaryDirectory) throws -> (certificate: String, key: String) {
        let certificate = directory.file("lb.pem")
        let key = directory.file("lb.key")
        let result = try Repository.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-sha256", "-keyout", key, "-out", certificate,
            "-subj", "/CN=\(OperatorNetwork.lbAddress)", "-addext", "subjectAltName=IP:\(OperatorNetwork.lbAddress)",
        ])
        guard result.status == 0 else { throw FixtureError("openssl req failed: \(result.stdout)\(result.stderr)") }
        return (certificate, key)
    }

    private func startLoadBalancerHost() throws {
        let lb = OperatorNetwork.lbAddress
        let ports = try SpawnedProcess(
            name: "lb-ports", executable: "/usr/bin/python3",
            arguments: [
                Repository.path("Tests/Fixtures/operator_lab/lb_ports.py"), "--netns", network.path(.lb),
                "--witness", "\(lb):\(Self.witnessPort)",
                "--tcp", "\(lb):\(Self.smtpPort)=127.0.0.1:\(sink.port)",
                "--udp", "\(lb):\(Self.trapPort)=127.0.0.1:\(traps.port)",
            ],
            workDirectory: directory.path, install: "python3")
        servers.append(ports)
        try ports.wait(for: "READY") { ports.output.contains("READY") }

        let config = try directory.write("haproxy.cfg", haproxyConfig())
        let check = try Repository.run(HAProxyFixture.executable, ["-c", "-f", config])
        guard check.status == 0 else { throw FixtureError("HAProxy refuses \(config):\n\(check.stdout)\(check.stderr)") }
        let haproxy = try inLB("haproxy", [HAProxyFixture.executable, "-f", config, "-db"], install: "haproxy")
        let socket = statsSocket
        try haproxy.wait(for: "its stats socket") {
            (try? LoopbackClient.unix(path: socket, send: "show info\n"))?.contains("Name: HAProxy") == true
        }

        let sampler = try inLB("sampler", [
            "/usr/bin/python3", Repository.path("Tests/Fixtures/operator_lab/sampler.py"), samplesFile,
            String(Self.samplePeriodMilliseconds), "1200",
            "alpha=http://\(Node.alpha.publicAddress):\(Self.servicePort)/",
            "beta=http://\(Node.beta.publicAddress):\(Self.servicePort)/",
            "lb=http://\(lb):\(Self.frontendPort)/",
            "alpha-agent=agent://\(Node.alpha.publicAddress):\(Self.agentCheckPort)",
            "beta-agent=agent://\(Node.beta.publicAddress):\(Self.agentCheckPort)",
        ], install: "python3")
        try sampler.wait(for: "READY") { sampler.output.contains("READY") }
    }

    /// Starts `command` inside lb's namespace as a server of the lab.
    private func inLB(_ name: String, _ command: [String], install: String) throws -> SpawnedProcess {
        let full = network.command(in: .lb, command)
        let process = try SpawnedProcess(
            name: name, executable: full[0], arguments: Array(full.dropFirst()), workDirectory: directory.path, install: install)
        servers.append(process)
        return process
    }

    // MARK: - The nodes' files

    private func writeFiles(certificate: String) throws {
        for script in ["web_service.sh", "page_server.py"] {
            let target = directory.file(script)
            try FileManager.default.copyItem(atPath: Repository.path("Tests/Fixtures/operator_lab/\(script)"), toPath: target)
            chmod(target, 0o755)
        }
        try directory.writePeerKey()
        for (name, secret) in [("smtp.password", Self.smtpPassword), ("snmp-auth.password", Self.snmpAuthPassword), ("snmp-priv.password", Self.snmpPrivPassword)] {
            let path = try directory.write(name, secret + "\n")
            chmod(path, 0o600)
        }
        for node in Node.allCases {
            try directory.write("\(node.rawValue).yaml", config(node, certificate: certificate))
        }
    }

    public func configPath(_ node: Node) -> String {
        directory.file("\(node.rawValue).yaml")
    }

    // MARK: - Agents and services

    /// Starts `vacataire run` in the node's namespace; its standard error goes to a new log
    /// file (NODE.1.log, NODE.2.log, ...).
    public func start(_ node: Node) throws {
        let count = (starts[node] ?? 0) + 1
        starts[node] = count
        let command = network.command(in: node.host, [Repository.executable, "run", "--config", configPath(node)])
        agents[node] = try SpawnedProcess(
            executable: command[0], arguments: Array(command.dropFirst()),
            environment: ["VACATAIRE_TEMPLATES": Repository.path("Templates")],
            stdoutPath: directory.file("\(node.rawValue).\(count).stdout"),
            stderrPath: AgentLogs(directory).path(node.rawValue, start: count))
    }

    /// Stops the node's agent with SIGTERM (as systemd does), its service untouched, and
    /// returns its exit status.
    @discardableResult
    public func terminate(_ node: Node) -> Int32? {
        guard let agent = agents[node] else { return nil }
        agent.stop(grace: 5)
        return agent.terminationStatus
    }

    /// The node's machine crashes: every process in its namespace (agent, service) gets SIGKILL.
    public func crash(_ node: Node) {
        network.killEverything(in: node.host)
        agents[node]?.waitUntilExit()
    }

    public func isAgentRunning(_ node: Node) -> Bool {
        agents[node]?.isRunning ?? false
    }

    /// Makes the node's service serve a truncated page (1024 bytes) or the full one again.
    public func truncatePage(_ node: Node, _ truncated: Bool) throws {
        let marker = directory.file("\(node.rawValue).truncate")
        if truncated {
            try directory.write("\(node.rawValue).truncate", "truncated by the test\n")
        } else {
            try? FileManager.default.removeItem(atPath: marker)
        }
    }

    /// Starts the node's service by hand, as the operator would (`web_service.sh start`).
    public func startServiceByHand(_ node: Node) throws -> CommandResult {
        let command = network.command(in: node.host, [
            "/bin/sh", "-c", "cd '\(directory.path)' && ./web_service.sh start \(node.rawValue) \(Self.servicePort)",
        ])
        return try Repository.run(command[0], Array(command.dropFirst()))
    }

    /// Runs `vacataire ARGUMENTS --config NODE.yaml` (an admin command, over the control socket).
    public func admin(_ node: Node, _ arguments: [String]) throws -> CommandResult {
        try Repository.runVacataire(arguments + ["--config", configPath(node)])
    }

    /// Runs `vacataire ARGUMENTS --config NODE.yaml` inside the node's namespace (a command
    /// that talks to the network itself, such as `notify-test`).
    public func onNode(_ node: Node, _ arguments: [String]) throws -> CommandResult {
        let command = network.command(in: node.host, [Repository.executable] + arguments + ["--config", configPath(node)])
        return try Repository.run(command[0], Array(command.dropFirst()), environment: ["VACATAIRE_TEMPLATES": Repository.path("Templates")])
    }

    /// Starts both agents with no service running and waits until HAProxy serves alpha's
    /// page and beta stands by. Returns what went otherwise (empty when all went as
    /// documented); when alpha's agent never starts its service, the operator starts it by
    /// hand and the lab goes on, so that a scenario still measures what follows.
    public func startPair() throws -> [String] {
        var problems: [String] = []
        try start(.alpha)
        try start(.beta)
        // Served, or given up: a master whose checks fail at boot goes to `failed`.
        waitUntil(timeout: 12) { frontendServes(.alpha) || transitions(.alpha).contains { $0.contains("-> failed") } }
        if !waitUntil(timeout: 1, { frontendServes(.alpha) }) {
            problems.append(
                "alpha's agent did not start its service (HAProxy never served alpha's page); "
                    + "its transitions: \(transitions(.alpha).suffix(4)); beta's: \(transitions(.beta).suffix(4))")
            let started = try startServiceByHand(.alpha)
            if started.status != 0 { throw FixtureError("web_service.sh start alpha failed: \(started.stdout)\(started.stderr)") }
            // A master that found its checks failing at boot has failed: the operator fails
            // back once its service answers (forcing it if the agent refuses).
            if !waitUntil(timeout: 3, { frontendServes(.alpha) }) {
                usleep(1_000_000)
                var failback = try admin(.alpha, ["failback"])
                if failback.status != 0 {
                    problems.append("`vacataire failback` on alpha with its service started by hand failed: \(failback.stdout)\(failback.stderr)")
                    failback = try admin(.alpha, ["failback", "--force"])
                }
                if failback.status != 0 {
                    problems.append("`vacataire failback --force` on alpha failed: \(failback.stdout)\(failback.stderr)")
                }
            }
            guard waitUntil(timeout: 15, { frontendServes(.alpha) }) else {
                throw FixtureError("HAProxy does not serve alpha's page even with its service started by hand\n\(samples.timeline(since: .distantPast).suffix(3000))\n\(logs)")
            }
        }
        if !waitUntil(timeout: 10, { transitions(.alpha).contains { $0.contains("-> active") } }) {
            problems.append("alpha's agent never logged `-> active`: \(transitions(.alpha))")
        }
        if !waitUntil(timeout: 10, { transitions(.beta).contains { $0.contains("-> standby") } }) {
            problems.append("beta's agent never logged `-> standby`: \(transitions(.beta))")
        }
        waitForQuietNotifications(quiet: 2, timeout: 15)
        return problems
    }

    /// Kills every agent and service, stops lb's servers, deletes the namespaces and the files.
    public func tearDown() {
        for agent in agents.values {
            agent.signal(SIGKILL)
            agent.waitUntilExit()
        }
        agents = [:]
        for server in servers.reversed() { server.stop() }
        servers = []
        network.remove()
        sink.stop()
        traps.stop()
        if ProcessInfo.processInfo.environment["VACATAIRE_KEEP_LAB"] == nil {
            directory.remove()
        } else if FileManager.default.fileExists(atPath: directory.path) {
            print("operator lab files kept in \(directory.path)")
        }
    }
}

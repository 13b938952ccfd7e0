import Foundation

/// The namespace topology: the pair as operators deploy it.
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
extension PairFixture {
    /// The namespace topology's network, lb's servers and its fixed ports.
    final class Lab: @unchecked Sendable {
        static let servicePort = 8080
        static let httpPort = 9411
        static let agentCheckPort = 9511
        static let peerPort = 7411
        static let witnessPort = 7400
        static let smtpPort = 587
        static let trapPort = 162
        static let frontendPort = 80

        let network: OperatorNetwork
        let samplesFile: String
        let statsSocket: String
        var servers: [SpawnedProcess] = []

        init(network: OperatorNetwork, directory: TemporaryDirectory) {
            self.network = network
            samplesFile = directory.file("samples.txt")
            statsSocket = directory.file("haproxy.sock")
        }

        func tearDown() {
            for server in servers.reversed() { server.stop() }
            servers = []
            network.remove()
        }
    }

    /// The size of the page each node's service serves, which its `http` check expects.
    public static let pageBytes = 4096
    /// How often lb samples both services and HAProxy, in milliseconds.
    public static let samplePeriodMilliseconds = 20
    /// The port each node's service listens on in the namespace topology.
    public static let deployedServicePort = Lab.servicePort
    static let smtpPassword = "lab-smtp-secret"
    static let snmpAuthPassword = "lab-auth-password"
    static let snmpPrivPassword = "lab-priv-password"

    /// The three hosts, to cut and restore links; only in the namespace topology.
    public var network: OperatorNetwork {
        get throws {
            guard let lab else { throw FixtureError("the network exists only in the namespace topology (PairFixture.deployed())") }
            return lab.network
        }
    }

    /// Builds the three hosts, starts lb's servers and the samplers, and writes both nodes'
    /// files; no agent runs yet (`startDeployedPair()`). Throws a `FixtureError` that says
    /// what to install when something is missing.
    /// `addresses`: floating addresses (`198.51.100.100/24`, `2001:db8::100/64`) the pair
    /// moves on each node's `pub0`, the service probe reading the first; lb, the client on
    /// the same bridge, samples the service through it (`vip` among the samples' others).
    public static func deployed(addresses: [String] = []) throws -> PairFixture {
        for (path, package) in [
            (HAProxyFixture.executable, "haproxy"), ("/usr/sbin/snmptrapd", "snmptrapd"), ("/usr/bin/python3", "python3"),
            ("/usr/bin/openssl", "openssl"),
        ] where !FileManager.default.isExecutableFile(atPath: path) {
            throw FixtureError("the namespace pair needs \(path): apt-get install \(package)")
        }
        guard FileManager.default.isExecutableFile(atPath: Repository.executable) else {
            throw FixtureError("the namespace pair runs the agent at \(Repository.executable): build it first (swift build --build-tests)")
        }
        let directory = try TemporaryDirectory("operator-lab")
        var network: OperatorNetwork?
        var sink: SMTPSink?
        var traps: TrapReceiver?
        do {
            network = try OperatorNetwork()
            let certificate = try certificate(in: directory)
            sink = try SMTPSink(arguments: [
                "--tls-cert", certificate.certificate, "--tls-key", certificate.key, "--require-starttls",
                "--auth", "vacataire:\(smtpPassword)",
            ])
            traps = try TrapReceiver(users: Node.allCases.map {
                TrapReceiver.User(name: "vacataire", authPassword: snmpAuthPassword, privPassword: snmpPrivPassword, engineID: $0.engineID)
            })
        } catch {
            network?.remove()
            sink?.stop()
            traps?.stop()
            directory.remove()
            throw error
        }
        guard let network, let sink, let traps else { throw FixtureError("the namespace pair could not be built") }
        let pair = PairFixture(
            directory: directory, sink: sink, traps: traps, loopback: nil,
            lab: Lab(network: network, directory: directory))
        do {
            try pair.writeDeployedFiles(certificate: directory.file("lb.pem"), addresses: addresses)
            try pair.startLoadBalancerHost(addresses: addresses)
        } catch {
            pair.tearDown()
            throw error
        }
        return pair
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

    private func startLoadBalancerHost(addresses: [String]) throws {
        guard let lab else { return }
        let lb = OperatorNetwork.lbAddress
        let ports = try SpawnedProcess(
            name: "lb-ports", executable: "/usr/bin/python3",
            arguments: [
                Repository.path("Tests/Fixtures/operator_lab/lb_ports.py"), "--netns", lab.network.path(.lb),
                "--witness", "\(lb):\(Lab.witnessPort)",
                "--tcp", "\(lb):\(Lab.smtpPort)=127.0.0.1:\(sink.port)",
                "--udp", "\(lb):\(Lab.trapPort)=127.0.0.1:\(traps.port)",
            ],
            workDirectory: directory.path, install: "python3")
        lab.servers.append(ports)
        try ports.wait(for: "READY") { ports.output.contains("READY") }

        let config = try directory.write("haproxy.cfg", haproxyConfig())
        let check = try Repository.run(HAProxyFixture.executable, ["-c", "-f", config])
        guard check.status == 0 else { throw FixtureError("HAProxy refuses \(config):\n\(check.stdout)\(check.stderr)") }
        let haproxy = try inLB("haproxy", [HAProxyFixture.executable, "-f", config, "-db"], install: "haproxy")
        let socket = lab.statsSocket
        try haproxy.wait(for: "its stats socket") {
            (try? LoopbackClient.unix(path: socket, send: "show info\n"))?.contains("Name: HAProxy") == true
        }

        let sampler = try inLB("sampler", [
            "/usr/bin/python3", Repository.path("Tests/Fixtures/operator_lab/sampler.py"), lab.samplesFile,
            String(Self.samplePeriodMilliseconds), "1200",
            "alpha=http://\(Node.alpha.publicAddress):\(Lab.servicePort)/",
            "beta=http://\(Node.beta.publicAddress):\(Lab.servicePort)/",
            "lb=http://\(lb):\(Lab.frontendPort)/",
            "alpha-agent=agent://\(Node.alpha.publicAddress):\(Lab.agentCheckPort)",
            "beta-agent=agent://\(Node.beta.publicAddress):\(Lab.agentCheckPort)",
        ] + addresses.enumerated().map { index, address in
            let host = String(address.prefix { $0 != "/" })
            return "vip\(index == 0 ? "" : String(index + 1))=http://\(host.contains(":") ? "[\(host)]" : host):\(Lab.servicePort)/"
        }, install: "python3")
        try sampler.wait(for: "READY") { sampler.output.contains("READY") }
    }

    /// Starts `command` inside lb's namespace as a server of the lab.
    private func inLB(_ name: String, _ command: [String], install: String) throws -> SpawnedProcess {
        guard let lab else { throw FixtureError("lb exists only in the namespace topology") }
        let full = lab.network.command(in: .lb, command)
        let process = try SpawnedProcess(
            name: name, executable: full[0], arguments: Array(full.dropFirst()), workDirectory: directory.path, install: install)
        lab.servers.append(process)
        return process
    }

    // MARK: - The nodes' files

    private func writeDeployedFiles(certificate: String, addresses: [String]) throws {
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
            try directory.write("\(node.rawValue).yaml", deployedConfig(node, certificate: certificate, addresses: addresses))
        }
    }

    // MARK: - Hosts and services

    /// The node's machine crashes: every process in its namespace (agent, service) gets SIGKILL.
    public func crash(_ node: Node) {
        lab?.network.killEverything(in: node.host)
        agents[node]?.waitUntilExit()
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

    /// Makes the node's start action fail ("Disk quota exceeded") or work again.
    public func failStarts(_ node: Node, _ failing: Bool) throws {
        if failing {
            try directory.write("\(node.rawValue).quota", "starts fail: set by the test\n")
        } else {
            try? FileManager.default.removeItem(atPath: directory.file("\(node.rawValue).quota"))
        }
    }

    /// Starts the node's service by hand, as the operator would (`web_service.sh start`).
    public func startServiceByHand(_ node: Node) throws -> CommandResult {
        guard let lab else { throw FixtureError("startServiceByHand is for the namespace topology") }
        let command = lab.network.command(in: node.host, [
            "/bin/sh", "-c", "cd '\(directory.path)' && ./web_service.sh start \(node.rawValue) \(Lab.servicePort)",
        ])
        return try Repository.run(command[0], Array(command.dropFirst()))
    }

    /// Runs `vacataire ARGUMENTS --config NODE.yaml` inside the node's namespace (a command
    /// that talks to the network itself, such as `notify-test`).
    public func onNode(_ node: Node, _ arguments: [String]) throws -> CommandResult {
        guard let lab else { throw FixtureError("onNode is for the namespace topology") }
        let command = lab.network.command(in: node.host, [Repository.executable] + arguments + ["--config", configPath(node)])
        return try Repository.run(command[0], Array(command.dropFirst()), environment: ["VACATAIRE_TEMPLATES": Repository.path("Templates")])
    }

    /// Starts both agents with no service running and waits until HAProxy serves alpha's
    /// page and beta stands by. Returns what went otherwise (empty when all went as
    /// documented); when alpha's agent never starts its service, the operator starts it by
    /// hand and the pair goes on, so that a scenario still measures what follows.
    public func startDeployedPair() throws -> [String] {
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
        waitUntilNotificationsSettled(timeout: 15)
        return problems
    }
}

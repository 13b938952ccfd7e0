import Foundation
import Glibc
import Synchronization

/// Three nodes elect their server through a three-member etcd cluster (`failover.mode:
/// etcd`), each host in a network namespace of its own, all on one bridge:
///
/// ```
///   lb 198.51.100.254 (bridge br0): HAProxy on :80 following the agents' agent-check
///      ports, the SMTP sink (:25) and trap receiver (:162) relayed to the test's loopback,
///      the sampler (every node's service and HAProxy, every 20 ms)
///   alpha .1, beta .2, gamma .3: an agent each, serving page_server.py on :8080 while its
///      agent has started it; agent-check on :9511, HTTP endpoint on :9411
///   e1 .11, e2 .12, e3 .13: the etcd members (Debian's etcd-server), client port 2379
/// ```
///
/// Partitions are real: a host's link goes down, or blackhole routes cut it from some
/// addresses only. `tearDown()` kills everything in the namespaces and deletes them.
public final class LeaseLab: NotificationReceivers, @unchecked Sendable {
    public static let nodes = ["alpha", "beta", "gamma"]
    public static let members = ["e1", "e2", "e3"]
    public static let lbAddress = "198.51.100.254"
    static let servicePort = 8080
    static let httpPort = 9411
    static let agentCheckPort = 9511
    /// The lease's timings in the lab by default: tight, so that scenarios take seconds.
    public static let ttlSeconds = 5
    public static let stopTimeoutMilliseconds = 1_000

    /// This lab's lease timings: the ttl (nil: the default check-config derives), the
    /// renewal interval and the request timeout, in milliseconds.
    public let ttl: Int?
    public let renewMilliseconds: Int
    public let requestMilliseconds: Int
    /// The agent the nodes run (the debug build next to the tests unless told).
    public let executable: String

    public static func address(_ host: String) -> String {
        switch host {
        case "alpha": return "198.51.100.1"
        case "beta": return "198.51.100.2"
        case "gamma": return "198.51.100.3"
        case "e1": return "198.51.100.11"
        case "e2": return "198.51.100.12"
        case "e3": return "198.51.100.13"
        default: return lbAddress
        }
    }

    public let directory: TemporaryDirectory
    public let sink: SMTPSink
    public let traps: TrapReceiver
    let tag: String
    var servers: [SpawnedProcess] = []
    var etcd: [String: SpawnedProcess] = [:]
    var agents: [String: SpawnedProcess] = [:]
    var starts: [String: Int] = [:]
    public var samplesFile: String { directory.file("samples.txt") }
    var statsSocket: String { directory.file("haproxy.sock") }

    private static let counter = Mutex(0)

    /// Builds the hosts, starts etcd, lb's servers and the sampler, and writes the nodes'
    /// files; no agent runs yet (`startAgents()`).
    public init(ttl: Int? = LeaseLab.ttlSeconds, renewMilliseconds: Int = 500, requestMilliseconds: Int = 500,
                executable: String = Repository.executable) throws {
        self.ttl = ttl
        self.renewMilliseconds = renewMilliseconds
        self.requestMilliseconds = requestMilliseconds
        self.executable = executable
        guard getuid() == 0 else { throw FixtureError("the lease lab must run as root (it creates network namespaces)") }
        for (path, package) in [
            (EtcdServer.executable, "etcd-server"), (HAProxyFixture.executable, "haproxy"), ("/usr/sbin/snmptrapd", "snmptrapd"),
            ("/usr/bin/python3", "python3"), ("/usr/bin/curl", "curl"),
        ] where !FileManager.default.isExecutableFile(atPath: path) {
            throw FixtureError("the lease lab needs \(path): apt-get install \(package)")
        }
        tag = "\(getpid())-\(Self.counter.withLock { $0 += 1; return $0 })"
        directory = try TemporaryDirectory("lease-lab")
        sink = try SMTPSink()
        traps = try TrapReceiver(community: "public")
        do {
            try build()
            try startMembers()
            try startLoadBalancerHost()
            try writeNodeFiles()
        } catch {
            tearDown()
            throw error
        }
    }

    deinit {
        tearDown()
    }

    public func tearDown() {
        for agent in agents.values { agent.stop(grace: 0.5) }
        for host in ["lb"] + Self.nodes + Self.members { kill(everythingIn: host) }
        for server in servers { server.stop(grace: 0.5) }
        for member in etcd.values { member.stop(grace: 0.5) }
        for host in ["lb"] + Self.nodes + Self.members { _ = try? Repository.run(OperatorNetwork.ip, ["netns", "delete", namespace(host)]) }
        sink.stop()
        traps.stop()
    }

    // MARK: - The network

    public func namespace(_ host: String) -> String { "vle-\(host)-\(tag)" }

    func ip(_ arguments: [String], in host: String? = nil) throws {
        let full = host.map { ["netns", "exec", namespace($0), OperatorNetwork.ip] + arguments } ?? arguments
        let result = try Repository.run(OperatorNetwork.ip, full)
        guard result.status == 0 else { throw FixtureError("ip \(full.joined(separator: " ")) failed: \(result.stderr)") }
    }

    func build() throws {
        for host in ["lb"] + Self.nodes + Self.members {
            try ip(["netns", "add", namespace(host)])
            try ip(["link", "set", "lo", "up"], in: host)
        }
        try ip(["link", "add", "br0", "type", "bridge"], in: "lb")
        try ip(["addr", "add", "\(Self.lbAddress)/24", "dev", "br0"], in: "lb")
        try ip(["link", "set", "br0", "up"], in: "lb")
        for host in Self.nodes + Self.members {
            let port = "p-\(host)"
            try ip(["link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", namespace(host)], in: "lb")
            try ip(["link", "set", port, "master", "br0"], in: "lb")
            try ip(["link", "set", port, "up"], in: "lb")
            try ip(["addr", "add", "\(Self.address(host))/24", "dev", "eth0"], in: host)
            try ip(["link", "set", "eth0", "up"], in: host)
        }
    }

    /// The command line that runs `arguments` in `host`'s namespace.
    public func command(in host: String, _ arguments: [String]) -> [String] {
        [OperatorNetwork.ip, "netns", "exec", namespace(host)] + arguments
    }

    /// Cuts `host` from `targets` (or restores it): blackhole routes on its side, so its
    /// packets to them go nowhere and their answers to it never come back.
    public func cut(_ host: String, from targets: [String], _ cut: Bool = true) throws {
        for target in targets {
            try ip(["route", cut ? "add" : "del", "blackhole", "\(Self.address(target))/32"], in: host)
        }
    }

    func kill(everythingIn host: String) {
        _ = Wait.until(timeout: 2, every: 0.02) {
            guard let result = try? Repository.run(OperatorNetwork.ip, ["netns", "pids", namespace(host)]), result.status == 0 else { return true }
            let pids = result.stdout.split(whereSeparator: \.isNewline).compactMap { pid_t($0) }
            for pid in pids { Glibc.kill(pid, SIGKILL) }
            return pids.isEmpty
        }
    }

    // MARK: - etcd

    func startMembers() throws {
        for member in Self.members { try startMember(member, initial: true) }
        for member in Self.members {
            guard Wait.until(timeout: 30, every: 0.2, { memberHealthy(member) }) else {
                throw FixtureError("etcd member \(member) never became healthy:\n\(etcd[member]?.errors.suffix(2000) ?? "")")
            }
        }
    }

    /// Starts (or restarts, with its data) one member of the cluster.
    public func startMember(_ member: String, initial: Bool = false) throws {
        let cluster = Self.members.map { "\($0)=http://\(Self.address($0)):2380" }.joined(separator: ",")
        let address = Self.address(member)
        let full = command(in: member, [
            EtcdServer.executable, "--name", member, "--data-dir", directory.file("etcd-\(member)"),
            "--listen-client-urls", "http://\(address):2379", "--advertise-client-urls", "http://\(address):2379",
            "--listen-peer-urls", "http://\(address):2380", "--initial-advertise-peer-urls", "http://\(address):2380",
            "--initial-cluster", cluster, "--initial-cluster-state", "new", "--initial-cluster-token", "lab-\(tag)",
            "--heartbeat-interval", "100", "--election-timeout", "1000",
        ])
        etcd[member]?.stop(grace: 0.5)
        etcd[member] = try SpawnedProcess(
            name: "etcd-\(member)", executable: full[0], arguments: Array(full.dropFirst()), workDirectory: directory.path, install: "etcd-server")
    }

    /// SIGKILLs one member (its data stays for a restart).
    public func killMember(_ member: String) {
        etcd[member]?.signal(SIGKILL)
        _ = etcd[member]?.waitUntilExit()
    }

    public func memberHealthy(_ member: String) -> Bool {
        let full = command(in: "lb", ["/usr/bin/curl", "-s", "-m", "1", "http://\(Self.address(member)):2379/health"])
        return (try? Repository.run(full[0], Array(full.dropFirst())))?.stdout.contains(#""health":"true""#) == true
    }

    public var endpoints: [String] { Self.members.map { "http://\(Self.address($0)):2379" } }

    /// The member that is etcd's raft leader now (its status says whose id leads), if any.
    public func raftLeader() -> String? {
        Self.members.first { member in
            let full = command(in: "lb", ["/usr/bin/curl", "-s", "-m", "1", "-X", "POST", "-d", "{}", "http://\(Self.address(member)):2379/v3/maintenance/status"])
            guard let text = (try? Repository.run(full[0], Array(full.dropFirst())))?.stdout,
                  let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
                  let header = object["header"] as? [String: Any] else { return false }
            return (header["member_id"] as? String) != nil && (header["member_id"] as? String) == (object["leader"] as? String)
        }
    }

    // MARK: - lb

    func startLoadBalancerHost() throws {
        let lb = Self.lbAddress
        let ports = try inLB("lb-ports", [
            "/usr/bin/python3", Repository.path("Tests/Fixtures/operator_lab/lb_ports.py"), "--netns", "/run/netns/\(namespace("lb"))",
            "--witness", "\(lb):7400", "--tcp", "\(lb):25=127.0.0.1:\(sink.port)", "--udp", "\(lb):162=127.0.0.1:\(traps.port)",
        ], direct: true)
        try ports.wait(for: "READY") { ports.output.contains("READY") }
        let backend = Self.nodes.map {
            "server \($0) \(Self.address($0)):\(Self.servicePort) check inter 200ms fall 1 rise 1 agent-check agent-port \(Self.agentCheckPort) agent-inter 200ms"
        }
        let config = try directory.write("haproxy.cfg", HAProxyFixture.config(bind: "\(lb):80", backend: backend, statsSocket: statsSocket))
        let haproxy = try inLB("haproxy", [HAProxyFixture.executable, "-f", config, "-db"])
        let socket = statsSocket
        try haproxy.wait(for: "its stats socket") {
            (try? LoopbackClient.unix(path: socket, send: "show info\n"))?.contains("Name: HAProxy") == true
        }
        // ServiceSamples reads `alpha`, `beta` and `lb`; gamma comes among the others.
        let sampler = try inLB("sampler", [
            "/usr/bin/python3", Repository.path("Tests/Fixtures/operator_lab/sampler.py"), samplesFile, "20", "1800",
        ] + Self.nodes.map { "\($0)=http://\(Self.address($0)):\(Self.servicePort)/" } + ["lb=http://\(lb):80/"])
        try sampler.wait(for: "READY") { sampler.output.contains("READY") }
    }

    /// Starts `arguments` in lb's namespace (`direct`: the program enters it itself).
    private func inLB(_ name: String, _ arguments: [String], direct: Bool = false) throws -> SpawnedProcess {
        let full = direct ? arguments : command(in: "lb", arguments)
        let process = try SpawnedProcess(name: name, executable: full[0], arguments: Array(full.dropFirst()), workDirectory: directory.path, install: "python3")
        servers.append(process)
        return process
    }

    // MARK: - The nodes

    func writeNodeFiles() throws {
        for script in ["web_service.sh", "page_server.py"] {
            let target = directory.file(script)
            try FileManager.default.copyItem(atPath: Repository.path("Tests/Fixtures/operator_lab/\(script)"), toPath: target)
            chmod(target, 0o755)
        }
        for (index, node) in Self.nodes.enumerated() {
            try directory.write("\(node).yaml", config(node, priority: 30 - 10 * index))
        }
    }

    /// A node's configuration as an operator writes it from Config/etcd/: the same on every
    /// node but its name, addresses and priority (alpha 30, beta 20, gamma 10).
    public func config(_ node: String, priority: Int) -> String {
        let address = Self.address(node)
        return """
            node: {name: \(node), cluster: shop}
            state_dir: state-\(node)
            control: {socket: state-\(node)/control.sock}
            http: {address: \(address), port: \(Self.httpPort)}
            agent_check: {address: \(address), port: \(Self.agentCheckPort)}
            notify:
              email:
                - {name: oncall, url: "smtp://\(Self.lbAddress):25", from: vacataire-\(node)@example.org, to: [oncall@example.org], starttls: "off", timeout: 5s}
              snmp:
                - {name: nms, address: \(Self.lbAddress), port: 162, version: 2c, community: public}
            outbox: {retry_initial: 1s, retry_max: 2s}
            checks:
              - name: home-page
                kind: http
                url: http://127.0.0.1:\(Self.servicePort)/
                expect_status: 200
                expect_bytes: 4096
                interval: 200ms
                timeout: 200ms
                rise: 2
                fall: 2
            failover:
              mode: etcd
              etcd:
                endpoints: [\(endpoints.joined(separator: ", "))]
                \(ttl.map { "ttl: \($0)s" } ?? "# ttl: the default")
                renew_interval: \(renewMilliseconds)ms
                request_timeout: \(requestMilliseconds)ms
                priority: \(priority)
              verify_timeout: 5s
              actions:
                start: {command: "mkdir -p run && date +%s.%N >> run/\(node).starts && ./web_service.sh start \(node) \(Self.servicePort)", timeout: 5s}
                stop: {command: "./web_service.sh stop \(node)", timeout: \(Self.stopTimeoutMilliseconds)ms}

            """
    }

    public func configPath(_ node: String) -> String { directory.file("\(node).yaml") }

    /// When the node's start actions began, oldest first (its start command writes them).
    public func starts(_ node: String) -> [Date] {
        let text = (try? String(contentsOfFile: directory.file("run/\(node).starts"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { Double($0).map { Date(timeIntervalSince1970: $0) } }
    }

    /// A counter of the node's `/metrics` (read from lb), or nil.
    public func metric(_ node: String, _ name: String) -> Double? {
        let full = command(in: "lb", ["/usr/bin/curl", "-s", "-m", "1", "http://\(Self.address(node)):\(Self.httpPort)/metrics"])
        guard let text = (try? Repository.run(full[0], Array(full.dropFirst())))?.stdout else { return nil }
        let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// Starts a node's agent in its namespace.
    public func start(_ node: String) throws {
        let count = (starts[node] ?? 0) + 1
        starts[node] = count
        let full = command(in: node, [executable, "run", "--config", configPath(node)])
        agents[node] = try SpawnedProcess(
            executable: full[0], arguments: Array(full.dropFirst()),
            environment: ["VACATAIRE_TEMPLATES": Repository.path("Templates"), "PATH": PairFixture.servicePath],
            stdoutPath: directory.file("\(node).\(count).stdout"), stderrPath: AgentLogs(directory).path(node, start: count))
    }

    public func startAgents() throws {
        for node in Self.nodes { try start(node) }
    }

    /// The node's machine crashes: every process in its namespace (agent, service) gets SIGKILL.
    public func crash(_ node: String) {
        kill(everythingIn: node)
        _ = agents[node]?.waitUntilExit()
    }

    /// SIGTERM to the agent, as systemd stops it.
    public func terminate(_ node: String) {
        agents[node]?.stop(grace: 15)
    }

    /// Makes the node's service serve a truncated page (its http check fails) or the full one.
    public func truncatePage(_ node: String, _ truncated: Bool) throws {
        if truncated {
            try directory.write("\(node).truncate", "truncated by the test\n")
        } else {
            try? FileManager.default.removeItem(atPath: directory.file("\(node).truncate"))
        }
    }

    /// `vacataire ARGUMENTS --config NODE.yaml`, over the node's control socket.
    public func admin(_ node: String, _ arguments: [String]) throws -> CommandResult {
        try Repository.runVacataire(arguments + ["--config", configPath(node)])
    }

    /// The node's `vacataire status --json`, or nil when its agent does not answer.
    public func status(_ node: String) -> [String: Any]? {
        let socket = directory.file("state-\(node)/control.sock")
        guard let reply = try? LoopbackClient.unix(path: socket, send: #"{"version":1,"command":"status"}"# + "\n"),
              let object = (try? JSONSerialization.jsonObject(with: Data(reply.utf8))) as? [String: Any]
        else { return nil }
        return object["status"] as? [String: Any]
    }

    public func state(_ node: String) -> String? { status(node)?["state"] as? String }

    public func log(_ node: String) -> String { AgentLogs(directory).all(node, starts: starts[node] ?? 1) }

    public var logs: String {
        Self.nodes.map { "---- \($0)\n\(log($0).suffix(6000))" }.joined(separator: "\n")
    }

    // MARK: - What people and clients see

    public var samples: ServiceSamples { ServiceSamples(file: samplesFile) }

    /// Which nodes' services answered in a sample.
    public static func serving(_ sample: ServiceSamples.Sample) -> [String] {
        var names: [String] = []
        if sample.alpha.answers { names.append("alpha") }
        if sample.beta.answers { names.append("beta") }
        if sample.others["gamma"]?.answers == true { names.append("gamma") }
        return names
    }

    /// The node HAProxy's frontend served from in the latest sample, if any.
    public var frontendNode: String? {
        guard let last = samples.samples.last, last.frontend.answers else { return nil }
        return last.frontend.who
    }

    public typealias Mark = LabMark

    /// Waits until neither the sink nor the receiver got anything for `quiet` seconds.
    @discardableResult
    public func waitUntilNotificationsSettled(quiet: TimeInterval = 3, timeout: TimeInterval = 30) -> Bool {
        var last = (-1, -1)
        var since = Date()
        return Wait.until(timeout: timeout, every: 0.2) {
            let now = (sink.messages().count, traps.notifications().count)
            if now != last {
                last = now
                since = Date()
            }
            return Date().timeIntervalSince(since) >= quiet
        }
    }
}

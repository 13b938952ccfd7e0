import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Two real `vacataire run` daemons on loopback, alpha (configured master) and beta
/// (configured standby), each with the pair example's service (Config/pair/service.sh, a
/// python http.server saying "served by NAME") and exec check (app-check.sh, CRITICAL
/// while NAME.broken exists), paging a real SMTP sink and a real snmptrapd. With
/// `loadBalancer: true` each node also has its HTTP endpoint and agent-check port, for a
/// load balancer in front (`HAProxyFixture`) or a test that reads `/health` and `/metrics`.
/// The one pair harness on loopback; `OperatorLab` runs a pair in network namespaces.
///
/// Everything lives in one temporary directory: configurations, key, state, service pid
/// files and the agents' logs (one file per start: alpha.1.log, alpha.2.log, ...).
/// `tearDown()` kills both agents and both services, whatever state the test left.
public final class PairFixture: @unchecked Sendable {
    public enum Node: String, CaseIterable, Sendable {
        case alpha, beta

        public var peer: Node { self == .alpha ? .beta : .alpha }
        public var role: String { self == .alpha ? "master" : "standby" }
    }

    /// Timings shared by both nodes (Docs/failover.md, "Timing constraints"), stretched
    /// with `Repository.timeScale` for instrumented daemons (`make tsan`).
    public static let heartbeat = 0.1 * Repository.timeScale
    public static let deadAfter = 2.0 * Repository.timeScale
    public static let selfFenceAfter = 0.7 * Repository.timeScale
    public static let stopTimeout = 1.0 * Repository.timeScale
    public static let handoffTimeout = 2.0 * Repository.timeScale
    /// The `app` check's interval and timeout.
    public static let checkPeriod = Int(200 * Repository.timeScale)

    public let directory: TemporaryDirectory
    public let sink: SMTPSink
    public let traps: TrapReceiver
    /// A TCP port nobody listens on, used as the witness when `unreachableWitness`.
    public let witnessPort: Int?
    private let control: [Node: String]
    private let extra: String
    private let extraFor: [Node: String]
    private let notify: [Node: String]
    private let extraChecks: String
    private let peerPorts: [Node: Int]
    private let servicePorts: [Node: Int]
    /// Each node's HTTP endpoint and agent-check port, with `loadBalancer: true`.
    fileprivate let endpointPorts: [Node: (http: Int, agentCheck: Int)]
    fileprivate var agents: [Node: SpawnedProcess] = [:]
    private var starts: [Node: Int] = [:]
    private let session: URLSession
    /// A command the agents run under, such as `prlimit --nofile=512:512 --`.
    public var agentPrefix: [String] = []

    /// Writes the pair's files and starts the mail and trap receivers; no agent runs yet.
    /// `control` replaces a node's `control:` mapping (default: a socket in its state directory).
    /// `extra` is appended to both configurations (top-level sections such as `outbox:`),
    /// `extraFor` to one node's;
    /// `checks` to both `checks:` lists (entries starting with `  - `; NODE is the node's name).
    /// `notify` replaces a node's `notify:` mapping (default: the shared SMTP sink and trap receiver).
    public init(
        unreachableWitness: Bool = false, loadBalancer: Bool = false, control: [Node: String] = [:], extra: String = "", extraFor: [Node: String] = [:], checks: String = "",
        notify: [Node: String] = [:]
    ) throws {
        self.control = control
        self.extra = extra
        self.extraFor = extraFor
        extraChecks = checks
        self.notify = notify
        directory = try TemporaryDirectory("pair")
        do {
            sink = try SMTPSink()
            traps = try TrapReceiver()
            var peers: [Node: Int] = [:]
            var services: [Node: Int] = [:]
            var endpoints: [Node: (http: Int, agentCheck: Int)] = [:]
            for node in Node.allCases {
                peers[node] = try FreePort.udp()
                services[node] = try FreePort.tcp()
                if loadBalancer { endpoints[node] = (try FreePort.tcp(), try FreePort.tcp()) }
            }
            peerPorts = peers
            servicePorts = services
            endpointPorts = endpoints
            witnessPort = unreachableWitness ? try FreePort.tcp() : nil
        } catch {
            directory.remove()
            throw error
        }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 1
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
        do {
            try writeFiles()
        } catch {
            tearDown()
            throw error
        }
    }

    // MARK: - Files

    private func writeFiles() throws {
        for script in ["service.sh", "app-check.sh"] {
            try FileManager.default.copyItem(atPath: Repository.path("Config/pair/\(script)"), toPath: directory.file(script))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.file(script))
        }
        try directory.writePeerKey()
        for node in Node.allCases {
            try directory.write("\(node.rawValue).yaml", config(node))
        }
    }

    private func config(_ node: Node) -> String {
        let guardLines = witnessPort.map { "  witness: tcp://127.0.0.1:\($0)\n" } ?? "  no_witness: takeover\n"
        return """
            node: {name: \(node.rawValue), cluster: pair-test}
            state_dir: state-\(node.rawValue)
            control: \(control[node] ?? "{socket: state-\(node.rawValue)/control.sock}")
            \(endpointPorts[node].map { "http: {address: 127.0.0.1, port: \($0.http)}\nagent_check: {address: 127.0.0.1, port: \($0.agentCheck)}" } ?? "")
            notify: \(notify[node] ?? defaultNotify)
            checks:
              - name: app
                kind: exec
                # A marker file stands for whatever the node needs: a node check.
                scope: node
                command: [./app-check.sh, \(node.rawValue)]
                interval: \(Self.checkPeriod)ms
                timeout: \(Self.checkPeriod)ms
                rise: 2
                fall: 2
            \(extraChecks.replacingOccurrences(of: "NODE", with: node.rawValue))
            failover:
              role: \(node.role)
              peer: {name: \(node.peer.rawValue), addresses: ["127.0.0.1:\(port(peer: node.peer))"]}
              listen: {address: 127.0.0.1, port: \(port(peer: node))}
              keys: [{id: 1, file: peer.key}]
              heartbeat_interval: \(Int(Self.heartbeat * 1000))ms
              dead_after: \(Int(Self.deadAfter * 1000))ms
              self_fence_after: \(Int(Self.selfFenceAfter * 1000))ms
              handoff_timeout: \(Int(Self.handoffTimeout * 1000))ms
              handoff_retries: 2
              actions:
                start: {command: "./service.sh start \(node.rawValue) \(port(service: node))", timeout: 5s}
                stop: {command: "./service.sh stop \(node.rawValue)", timeout: \(Int(Self.stopTimeout * 1000))ms}
              service_probe: http://127.0.0.1:\(port(service: node.peer))/

            """ + guardLines + extra + (extraFor[node] ?? "")
    }

    private var defaultNotify: String {
        #"{email: [{url: "smtp://127.0.0.1:\#(sink.port)", from: vacataire@example.org, to: [oncall@example.org], starttls: "off", timeout: 5s}], "#
            + #"snmp: [{address: 127.0.0.1, port: \#(traps.port), community: public}]}"#
    }

    private func port(peer node: Node) -> Int { peerPorts[node] ?? 0 }
    fileprivate func port(service node: Node) -> Int { servicePorts[node] ?? 0 }

    // MARK: - Agents

    /// Starts `vacataire run --config NODE.yaml`; its standard error goes to a new log file.
    /// `environment` adds variables (a `VACATAIRE_FAILPOINT`).
    public func start(_ node: Node, environment: [String: String] = [:]) throws {
        let count = (starts[node] ?? 0) + 1
        starts[node] = count
        let run = [Repository.executable, "run", "--config", directory.file("\(node.rawValue).yaml")]
        let command = agentPrefix + run
        agents[node] = try SpawnedProcess(
            executable: command[0],
            arguments: Array(command.dropFirst()),
            environment: ["VACATAIRE_TEMPLATES": Repository.path("Templates")].merging(environment) { $1 },
            stdoutPath: directory.file("\(node.rawValue).\(count).stdout"),
            stderrPath: AgentLogs(directory).path(node.rawValue, start: count)
        )
    }

    /// Stops the agent with SIGTERM (as systemd does) and returns its exit status.
    @discardableResult
    public func terminate(_ node: Node) -> Int32? {
        guard let agent = agents[node] else { return nil }
        agent.stop(grace: 5)
        return agent.terminationStatus
    }

    /// Kills the agent with SIGKILL, as a crashed machine would stop it.
    public func killAgent(_ node: Node) {
        guard let agent = agents[node] else { return }
        agent.signal(SIGKILL)
        agent.waitUntilExit()
    }

    /// Kills the node's service (SIGKILL to the pid in run/NODE.pid), as a crashed machine would.
    public func killService(_ node: Node) {
        let pidFile = directory.file("run/\(node.rawValue).pid")
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1
        else { return }
        kill(pid, SIGKILL)
    }

    /// Sends `signal` to the node's agent (SIGHUP: reload the configuration).
    public func signal(_ node: Node, _ signal: Int32) {
        agents[node]?.signal(signal)
    }

    public func isAgentRunning(_ node: Node) -> Bool {
        agents[node]?.isRunning ?? false
    }

    /// Runs `vacataire ARGUMENTS --config NODE.yaml` (an admin command) to its end.
    public func admin(_ node: Node, _ arguments: [String]) throws -> CommandResult {
        try Repository.runVacataire(arguments + ["--config", directory.file("\(node.rawValue).yaml")])
    }

    /// `vacataire status --json` of the node's daemon: its state, role and epoch, or nil
    /// when the daemon does not answer.
    public func status(_ node: Node) -> (state: String, role: String, epoch: Int)? {
        guard let result = try? admin(node, ["status", "--json"]), result.status == 0,
              let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
              let state = object["state"] as? String, let role = object["role"] as? String,
              let epoch = object["epoch"] as? Int
        else { return nil }
        return (state, role, epoch)
    }

    /// Makes the node's critical check fail (`touch NODE.broken`).
    public func breakCheck(_ node: Node) throws {
        try directory.write("\(node.rawValue).broken", "broken by a test\n")
    }

    /// Repairs the node's critical check (`rm NODE.broken`).
    public func repairCheck(_ node: Node) throws {
        try FileManager.default.removeItem(atPath: directory.file("\(node.rawValue).broken"))
    }

    /// Kills both agents and both services, then stops the receivers and removes the files.
    public func tearDown() {
        for agent in agents.values {
            agent.signal(SIGKILL)
            agent.waitUntilExit()
        }
        for node in Node.allCases {
            killService(node)
        }
        session.invalidateAndCancel()
        sink.stop()
        traps.stop()
        if ProcessInfo.processInfo.environment["VACATAIRE_KEEP_PAIR"] == nil {
            directory.remove()
        } else {
            print("pair files kept in \(directory.path)")
        }
    }

    // MARK: - Observations

    /// Whether an HTTP GET of the node's service port answers "served by NODE".
    public func serving(_ node: Node) async -> Bool {
        guard let url = URL(string: "http://127.0.0.1:\(port(service: node))/") else { return false }
        guard let (data, response) = try? await session.data(from: url),
              (response as? HTTPURLResponse)?.statusCode == 200
        else { return false }
        return String(decoding: data, as: UTF8.self).contains("served by \(node.rawValue)")
    }

    /// The node's standard error since its latest start.
    public func log(_ node: Node) -> String {
        AgentLogs(directory).latest(node.rawValue, starts: starts[node] ?? 1)
    }

    /// Every log of the node, oldest start first.
    public func allLogs(_ node: Node) -> String {
        AgentLogs(directory).all(node.rawValue, starts: starts[node] ?? 1)
    }

    /// The log lines of the node's transitions (`FROM -> TO: reason`), since its latest start.
    public func transitions(_ node: Node) -> [String] {
        AgentLogs.transitions(in: log(node))
    }

    /// The latest epoch the node's log mentions ("... at epoch 2", "epoch 2"), since its latest start.
    public func epoch(_ node: Node) -> Int? {
        let matches = log(node).matches(of: /epoch (\d+)/)
        return matches.last.flatMap { Int($0.output.1) }
    }

    /// Both agents' logs, for failure messages.
    public var logs: String {
        Node.allCases.map { "--- \($0.rawValue) ---\n\(allLogs($0))" }.joined(separator: "\n")
    }

    /// Polls `condition` every 50 ms until it holds and returns the time it took; throws
    /// with both agents' logs when `timeout` seconds pass first.
    @discardableResult
    public func waitUntil(_ what: String, timeout: TimeInterval, _ condition: () async -> Bool) async throws -> TimeInterval {
        let started = Date()
        guard await Wait.until(timeout: timeout, condition) else {
            throw FixtureError("not within \(timeout) s: \(what)\n\(logs)")
        }
        return Date().timeIntervalSince(started)
    }

    /// Starts both agents and waits until alpha serves and beta is a ready standby.
    public func startPair() async throws {
        try start(.alpha)
        try start(.beta)
        try await waitUntil("alpha serves", timeout: 15) { await serving(.alpha) }
        try await waitUntil("beta is standby", timeout: 15) { transitions(.beta).contains { $0.contains("-> standby") } }
        try await waitUntil("alpha is active", timeout: 15) { transitions(.alpha).contains { $0.contains("-> active") } }
    }
}

// MARK: - Load balancer endpoints (`loadBalancer: true`)

extension PairFixture {
    /// The port the node's service listens on when it runs.
    public func servicePort(_ node: Node) -> Int { port(service: node) }

    /// The node's HTTP endpoint (`/health`, `/status`, `/metrics`); 0 without `loadBalancer`.
    public func httpPort(_ node: Node) -> Int { endpointPorts[node]?.http ?? 0 }

    /// The node's HAProxy agent-check port; 0 without `loadBalancer`.
    public func agentCheckPort(_ node: Node) -> Int { endpointPorts[node]?.agentCheck ?? 0 }

    /// `GET path` on the node's HTTP endpoint.
    public func get(_ node: Node, _ path: String) throws -> LoopbackClient.HTTPResponse {
        try LoopbackClient.http(port: httpPort(node), path: path)
    }

    /// Waits until the node's `/health` answers `status` with `word` ("200 active").
    public func waitForHealth(_ node: Node, status: Int, word: String, timeout: TimeInterval = 20) throws {
        var last = "no answer"
        try waitFor("\(node.rawValue)'s /health to answer \(status) \(word)", timeout: timeout) {
            guard let response = try? get(node, "/health") else { return false }
            last = "\(response.status) \(response.body.trimmingCharacters(in: .whitespacesAndNewlines))"
            return last == "\(status) \(word)"
        } otherwise: {
            "last answer: \(last)"
        }
    }

    /// Waits until the node's check is healthy (or failing), as its `/status` shows it.
    public func waitForCheck(_ node: Node, healthy: Bool, timeout: TimeInterval = 20) throws {
        try waitFor("\(node.rawValue)'s check to be \(healthy ? "healthy" : "failing")", timeout: timeout) {
            guard let response = try? get(node, "/status") else { return false }
            return response.body.contains(#""health":"\#(healthy ? "healthy" : "failing")""#)
        }
    }

    /// Polls `condition` every 50 ms, without async; throws with both agents' logs (and
    /// `detail`) when time runs out or an agent exits.
    public func waitFor(
        _ what: String, timeout: TimeInterval = 20, until condition: () throws -> Bool, otherwise detail: () -> String = { "" }
    ) throws {
        var exited: (Node, Int32)?
        let held = try Wait.until(timeout: timeout) {
            if try condition() { return true }
            exited = Node.allCases.lazy.compactMap { node in self.agents[node]?.terminationStatus.map { (node, $0) } }.first
            return exited != nil
        }
        if let (node, status) = exited {
            throw FixtureError("agent \(node.rawValue) exited (status \(status)) while waiting for \(what):\n\(logs)")
        }
        guard held else {
            throw FixtureError("timed out after \(timeout) s waiting for \(what); \(detail())\n\(logs)")
        }
    }

    /// Starts both agents and waits until alpha's `/health` says active and beta's standby.
    public func startBehindALoadBalancer() throws {
        try start(.alpha)
        try start(.beta)
        try waitForHealth(.alpha, status: 200, word: "active")
        try waitForHealth(.beta, status: 503, word: "standby")
    }
}

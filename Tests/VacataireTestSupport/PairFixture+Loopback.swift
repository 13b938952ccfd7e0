import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The loopback topology: both agents on this host, free ports, the pair example's service
/// and exec check (a marker file breaks it), optional load balancer endpoints.
extension PairFixture {
    /// What a loopback pair was given, and the ports it took.
    struct Loopback {
        let control: [Node: String]
        let extra: String
        let extraFor: [Node: String]
        let notify: [Node: String]
        let extraChecks: String
        /// Each node's own service lines under `failover:` (replacing the script's `actions:`).
        let service: [Node: String]
        /// The failover timings and key, replacing `failoverTimingLines`.
        let timings: String?
        let peerPorts: [Node: Int]
        let servicePorts: [Node: Int]
        /// Each node's HTTP endpoint and agent-check port, with `loadBalancer: true`.
        let endpointPorts: [Node: (http: Int, agentCheck: Int)]
        /// A TCP port nobody listens on, used as the witness when `unreachableWitness`.
        let witnessPort: Int?
        let session: URLSession

        func tearDown(_ pair: PairFixture) {
            for node in Node.allCases { pair.killService(node) }
            session.invalidateAndCancel()
        }
    }

    /// The `app` check's interval and timeout.
    public static let checkPeriod = Int(200 * Repository.timeScale)

    /// Writes a loopback pair's files and starts the mail and trap receivers; no agent runs yet.
    /// `control` replaces a node's `control:` mapping (default: a socket in its state directory).
    /// `extra` is appended to both configurations (top-level sections such as `outbox:`),
    /// `extraFor` to one node's;
    /// `checks` to both `checks:` lists (entries starting with `  - `; NODE is the node's
    /// name, SERVICEPORT its service's port).
    /// `notify` replaces a node's `notify:` mapping (default: the shared SMTP sink and trap receiver).
    /// `service` replaces a node's `actions:` (lines indented as under `failover:`, such as
    /// `resources:` of OCF agents), and `timings` the failover timing lines (with the key),
    /// for a service slower to stop than the script; `servicePorts` the ports such a
    /// service listens on (free ones by default).
    public convenience init(
        unreachableWitness: Bool = false, loadBalancer: Bool = false, control: [Node: String] = [:], extra: String = "", extraFor: [Node: String] = [:], checks: String = "",
        notify: [Node: String] = [:], service: [Node: String] = [:], timings: String? = nil, servicePorts: [Node: Int] = [:]
    ) throws {
        let directory = try TemporaryDirectory("pair")
        let sink: SMTPSink
        let traps: TrapReceiver
        let setup: Loopback
        do {
            sink = try SMTPSink()
            traps = try TrapReceiver()
            var peers: [Node: Int] = [:]
            var services: [Node: Int] = [:]
            var endpoints: [Node: (http: Int, agentCheck: Int)] = [:]
            for node in Node.allCases {
                peers[node] = try FreePort.udp()
                services[node] = try servicePorts[node] ?? FreePort.tcp()
                if loadBalancer { endpoints[node] = (try FreePort.tcp(), try FreePort.tcp()) }
            }
            let configuration = URLSessionConfiguration.ephemeral
            configuration.timeoutIntervalForRequest = 1
            configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
            setup = Loopback(
                control: control, extra: extra, extraFor: extraFor, notify: notify, extraChecks: checks, service: service, timings: timings, peerPorts: peers,
                servicePorts: services, endpointPorts: endpoints, witnessPort: unreachableWitness ? try FreePort.tcp() : nil,
                session: URLSession(configuration: configuration))
        } catch {
            directory.remove()
            throw error
        }
        self.init(directory: directory, sink: sink, traps: traps, loopback: setup, lab: nil)
        do {
            try writeLoopbackFiles()
        } catch {
            tearDown()
            throw error
        }
    }

    /// A TCP port nobody listens on, used as the witness with `unreachableWitness`.
    public var witnessPort: Int? { loopback?.witnessPort }

    // MARK: - Files

    private func writeLoopbackFiles() throws {
        for script in ["service.sh", "app-check.sh"] {
            try FileManager.default.copyItem(atPath: Repository.path("Config/pair/\(script)"), toPath: directory.file(script))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.file(script))
        }
        try directory.writePeerKey()
        for node in Node.allCases {
            try directory.write("\(node.rawValue).yaml", loopbackConfig(node))
        }
    }

    private func loopbackConfig(_ node: Node) -> String {
        guard let setup = loopback else { return "" }
        let guardLines = setup.witnessPort.map { "  witness: tcp://127.0.0.1:\($0)\n" } ?? "  no_witness: takeover\n"
        return """
            node: {name: \(node.rawValue), cluster: pair-test}
            state_dir: state-\(node.rawValue)
            control: \(setup.control[node] ?? "{socket: state-\(node.rawValue)/control.sock}")
            \(setup.endpointPorts[node].map { "http: {address: 127.0.0.1, port: \($0.http)}\nagent_check: {address: 127.0.0.1, port: \($0.agentCheck)}" } ?? "")
            notify: \(setup.notify[node] ?? defaultNotify)
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
            \(setup.extraChecks.replacingOccurrences(of: "NODE", with: node.rawValue).replacingOccurrences(of: "SERVICEPORT", with: "\(servicePort(node))"))
            failover:
              role: \(node.role)
              peer: {name: \(node.peer.rawValue), addresses: ["127.0.0.1:\(setup.peerPorts[node.peer] ?? 0)"]}
              listen: {address: 127.0.0.1, port: \(setup.peerPorts[node] ?? 0)}
            \(setup.timings ?? Self.failoverTimingLines)
            \(setup.service[node] ?? scriptActions(node))
              service_probe: http://127.0.0.1:\(servicePort(node.peer))/
              drain: \(setup.endpointPorts.isEmpty ? "100ms" : "1s")  # without a load balancer there is nothing to drain from

            """ + guardLines + setup.extra + (setup.extraFor[node] ?? "")
    }

    /// The pair example's service script as the node's start and stop actions.
    private func scriptActions(_ node: Node) -> String {
        """
          actions:
            start: {command: "./service.sh start \(node.rawValue) \(servicePort(node))", timeout: 5s}
            stop: {command: "./service.sh stop \(node.rawValue)", timeout: \(Int(Self.stopTimeout * 1000))ms}
        """
    }

    private var defaultNotify: String {
        #"{email: [{url: "smtp://127.0.0.1:\#(sink.port)", from: vacataire@example.org, to: [oncall@example.org], starttls: "off", timeout: 5s}], "#
            + #"snmp: [{address: 127.0.0.1, port: \#(traps.port), community: public}]}"#
    }

    // MARK: - The service and its check

    /// Kills the node's service (SIGKILL to the pid in run/NODE.pid), as a crashed machine would.
    public func killService(_ node: Node) {
        let pidFile = directory.file("run/\(node.rawValue).pid")
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1
        else { return }
        kill(pid, SIGKILL)
    }

    /// Makes the node's critical check fail (`touch NODE.broken`).
    public func breakCheck(_ node: Node) throws {
        try directory.write("\(node.rawValue).broken", "broken by a test\n")
    }

    /// Repairs the node's critical check (`rm NODE.broken`).
    public func repairCheck(_ node: Node) throws {
        try FileManager.default.removeItem(atPath: directory.file("\(node.rawValue).broken"))
    }

    /// Whether an HTTP GET of the node's service port answers "served by NODE".
    public func serving(_ node: Node) async -> Bool {
        guard let session = loopback?.session, let url = URL(string: "http://127.0.0.1:\(servicePort(node))/") else { return false }
        guard let (data, response) = try? await session.data(from: url),
              (response as? HTTPURLResponse)?.statusCode == 200
        else { return false }
        return String(decoding: data, as: UTF8.self).contains("served by \(node.rawValue)")
    }

    /// Starts both agents and waits until alpha serves and beta is a ready standby.
    public func startPair() async throws {
        try start(.alpha)
        try start(.beta)
        try await waitUntil("alpha serves", timeout: 15) { await serving(.alpha) }
        try await waitUntil("beta is standby", timeout: 15) { transitions(.beta).contains { $0.contains("-> standby") } }
        try await waitUntil("alpha is active", timeout: 15) { transitions(.alpha).contains { $0.contains("-> active") } }
    }

    // MARK: - Load balancer endpoints (`loadBalancer: true`)

    /// The port the node's service listens on when it runs.
    public func servicePort(_ node: Node) -> Int { loopback?.servicePorts[node] ?? Lab.servicePort }

    /// The node's HTTP endpoint (`/health`, `/status`, `/metrics`); 0 without `loadBalancer`.
    public func httpPort(_ node: Node) -> Int { loopback.map { $0.endpointPorts[node]?.http ?? 0 } ?? Lab.httpPort }

    /// The node's HAProxy agent-check port; 0 without `loadBalancer`.
    public func agentCheckPort(_ node: Node) -> Int { loopback.map { $0.endpointPorts[node]?.agentCheck ?? 0 } ?? Lab.agentCheckPort }

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

    /// Starts both agents and waits until alpha's `/health` says active and beta's standby.
    public func startBehindALoadBalancer() throws {
        try start(.alpha)
        try start(.beta)
        try waitForHealth(.alpha, status: 200, word: "active")
        try waitForHealth(.beta, status: 503, word: "standby")
    }
}

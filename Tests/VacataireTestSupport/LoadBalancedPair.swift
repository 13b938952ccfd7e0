import Foundation

/// The pair example (Config/pair) run for real on free loopback ports, with each node's
/// HTTP endpoint and agent-check port on: alpha (master) and beta (standby) agents, each
/// starting `service.sh`'s HTTP server ("served by NAME") when it becomes active.
///
/// Everything lives in one temporary directory; `stop()` ends both agents and both
/// services and removes it. Tests call it from `tearDown`, also after a failure.
public final class LoadBalancedPair: @unchecked Sendable {
    /// One node's ports and files.
    public struct Node: Sendable {
        public var name: String
        public var peerPort: Int
        public var servicePort: Int
        public var httpPort: Int
        public var agentCheckPort: Int
        public var config: String
    }

    public let directory: TemporaryDirectory
    public let alpha: Node
    public let beta: Node
    private var agents: [String: SpawnedProcess] = [:]

    /// Writes the key, the scripts and both configurations; `start()` runs the agents.
    public init() throws {
        directory = try TemporaryDirectory("vacataire-lb")
        for script in ["service.sh", "app-check.sh"] {
            let target = directory.file(script)
            try FileManager.default.copyItem(atPath: Repository.path("Config/pair/\(script)"), toPath: target)
            chmod(target, 0o755)
        }
        try directory.writePeerKey()
        let directory = directory
        func node(_ name: String) throws -> Node {
            Node(name: name, peerPort: try FreePort.udp(), servicePort: try FreePort.tcp(), httpPort: try FreePort.tcp(),
                 agentCheckPort: try FreePort.tcp(), config: directory.file("\(name).yaml"))
        }
        alpha = try node("alpha")
        beta = try node("beta")
        try directory.write("alpha.yaml", Self.config(alpha, peer: beta, role: "master"))
        try directory.write("beta.yaml", Self.config(beta, peer: alpha, role: "standby"))
    }

    deinit {
        stop()
    }

    /// `milliseconds`, stretched with `Repository.timeScale` for instrumented daemons.
    static func scaled(_ milliseconds: Double) -> String {
        "\(Int(milliseconds * Repository.timeScale))ms"
    }

    static func config(_ node: Node, peer: Node, role: String) -> String {
        """
        node: {name: \(node.name), cluster: lb-test}
        state_dir: state-\(node.name)
        control: {socket: state-\(node.name)/control.sock}
        http: {address: 127.0.0.1, port: \(node.httpPort)}
        agent_check: {address: 127.0.0.1, port: \(node.agentCheckPort)}
        checks:
          - name: app
            kind: exec
            scope: node
            command: [./app-check.sh, \(node.name)]
            interval: \(scaled(300))
            timeout: \(scaled(300))
            rise: 2
            fall: 2
        failover:
          role: \(role)
          peer: {name: \(peer.name), addresses: ["127.0.0.1:\(peer.peerPort)"]}
          listen: {address: 127.0.0.1, port: \(node.peerPort)}
          keys: [{id: 1, file: peer.key}]
          heartbeat_interval: \(scaled(200))
          dead_after: \(scaled(3000))
          self_fence_after: \(scaled(1000))
          handoff_timeout: \(scaled(3000))
          handoff_retries: 2
          actions:
            start: {command: "./service.sh start \(node.name) \(node.servicePort)", timeout: 5s}
            stop: {command: "./service.sh stop \(node.name)", timeout: \(scaled(1500))}
          service_probe: http://127.0.0.1:\(peer.servicePort)/
          no_witness: takeover

        """
    }

    /// Starts both agents and waits until alpha serves and beta stands by.
    public func start() throws {
        try startAgent(alpha)
        try startAgent(beta)
        try waitForHealth(alpha, status: 200, word: "active")
        try waitForHealth(beta, status: 503, word: "standby")
    }

    public func startAgent(_ node: Node) throws {
        agents[node.name] = try SpawnedProcess(
            name: "agent-\(node.name)", executable: Repository.executable, arguments: ["run", "--config", node.config],
            workDirectory: directory.path, install: "(build the package first: swift build)")
    }

    /// Marks `node`'s check failing (`NAME.broken`) or passing again.
    public func setBroken(_ node: Node, _ broken: Bool) throws {
        let path = directory.file("\(node.name).broken")
        if broken {
            try directory.write("\(node.name).broken", "broken by the test\n")
        } else {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// Runs `vacataire ARGUMENTS --config NODE` (failback, status, ...).
    public func admin(_ node: Node, _ arguments: [String]) throws -> CommandResult {
        try Repository.runVacataire(arguments + ["--config", node.config])
    }

    /// `GET path` on `node`'s HTTP endpoint.
    public func get(_ node: Node, _ path: String) throws -> LoopbackClient.HTTPResponse {
        try LoopbackClient.http(port: node.httpPort, path: path)
    }

    /// Waits until `node`'s `/health` answers `status` with `word`.
    public func waitForHealth(_ node: Node, status: Int, word: String, timeout: TimeInterval = 20) throws {
        var last = "no answer"
        try waitFor("\(node.name)'s /health to answer \(status) \(word)", timeout: timeout) {
            guard let response = try? get(node, "/health") else { return false }
            last = "\(response.status) \(response.body.trimmingCharacters(in: .whitespacesAndNewlines))"
            return last == "\(status) \(word)"
        } otherwise: {
            "last answer: \(last)"
        }
    }

    /// Waits until `node`'s check `name` is healthy, as `/status` shows it.
    public func waitForCheck(_ node: Node, healthy: Bool, timeout: TimeInterval = 20) throws {
        try waitFor("\(node.name)'s check to be \(healthy ? "healthy" : "failing")", timeout: timeout) {
            guard let response = try? get(node, "/status") else { return false }
            return response.body.contains(#""health":"\#(healthy ? "healthy" : "failing")""#)
        }
    }

    /// Polls `condition` every 50 ms; throws with the agents' logs when time runs out.
    public func waitFor(
        _ what: String, timeout: TimeInterval = 20, until condition: () throws -> Bool, otherwise detail: () -> String = { "" }
    ) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            for (name, agent) in agents {
                if let status = agent.terminationStatus {
                    throw FixtureError("agent \(name) exited (status \(status)) while waiting for \(what):\n\(agent.errors)")
                }
            }
            usleep(50_000)
        }
        throw FixtureError("timed out after \(timeout) s waiting for \(what); \(detail())\n\(logs())")
    }

    /// Both agents' output, for failure messages.
    public func logs() -> String {
        agents.sorted { $0.key < $1.key }.map { "--- \($0.key) ---\n\($0.value.output)\($0.value.errors)" }.joined(separator: "\n")
    }

    /// Stops both agents (SIGTERM), then both services, and removes the directory.
    public func stop() {
        for agent in agents.values { agent.stop() }
        agents = [:]
        for node in [alpha, beta] {
            let stopper = try? SpawnedProcess(
                executable: "/bin/sh", arguments: ["-c", "cd '\(directory.path)' && ./service.sh stop \(node.name)"],
                stdoutPath: "/dev/null", stderrPath: "/dev/null")
            stopper?.waitUntilExit()
        }
        directory.remove()
    }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The one pair harness: two real `vacataire run` daemons, alpha (configured master) and
/// beta (configured standby), paging a real SMTP server (aiosmtpd, `SMTPSink`) and a real
/// NMS (snmptrapd, `TrapReceiver`), on one of two topologies (`Hosts`):
///
/// - `.loopback` (`init(unreachableWitness:loadBalancer:...)`, PairFixture+Loopback.swift):
///   both agents on this host's loopback with free ports, each with the pair example's
///   service (Config/pair/service.sh) and exec check (app-check.sh, CRITICAL while
///   NAME.broken exists); with `loadBalancer: true`, each node's HTTP endpoint and
///   agent-check port too, for an `HAProxyFixture` or a test that reads `/health`.
/// - `.namespaces` (`PairFixture.deployed()`, PairFixture+Namespaces.swift): the pair as
///   operators deploy it, on three network-namespace hosts (`OperatorNetwork`) with HAProxy,
///   the witness, SMTP (STARTTLS and AUTH) and SNMPv3 on lb, and on each node a web service
///   the agent starts and stops, checked by an `http` check of its exact page size; lb
///   samples both services and HAProxy every 20 ms (PairFixture+Observations.swift).
///
/// Everything lives in one temporary directory: configurations, key, state, and the agents'
/// logs (one file per start: alpha.1.log, alpha.2.log, ...). `tearDown()` kills both agents
/// and both services, whatever state the test left (`VACATAIRE_KEEP_PAIR` keeps the files).
public final class PairFixture: NotificationReceivers, @unchecked Sendable {
    public enum Hosts: Sendable {
        case loopback, namespaces
    }

    public enum Node: String, CaseIterable, Sendable {
        case alpha, beta

        public var peer: Node { self == .alpha ? .beta : .alpha }
        public var role: String { self == .alpha ? "master" : "standby" }
        /// The node's host in the namespace topology.
        public var host: OperatorNetwork.Host { self == .alpha ? .alpha : .beta }
        public var publicAddress: String { OperatorNetwork.publicAddress[host] ?? "" }
        public var privateAddress: String { OperatorNetwork.privateAddress[host] ?? "" }
        /// The agent's SNMP engine id in the namespace topology, set in its configuration so
        /// that the NMS knows it before the agent first starts (Docs/snmp.md, "The engine id").
        public var engineID: String { self == .alpha ? "0x80007ed90500000000000000a1" : "0x80007ed90500000000000000b2" }
    }

    /// Timings shared by both nodes (Docs/failover.md, "Timing constraints"), stretched
    /// with `Repository.timeScale` for instrumented daemons (`make tsan`).
    public static let heartbeat = 0.1 * Repository.timeScale
    public static let deadAfter = 2.0 * Repository.timeScale
    public static let selfFenceAfter = 0.7 * Repository.timeScale
    public static let stopTimeout = 1.0 * Repository.timeScale
    public static let handoffTimeout = 2.0 * Repository.timeScale

    /// The event kinds that page (Docs/notifications.md: never held back).
    public static let pageKinds: Set<String> = ["failover", "takeover", "failback", "switchover", "peer-lost", "acknowledged", "reminder", "drill-failed"]
    /// The event kinds that announce a role change.
    public static let roleChangeKinds: Set<String> = ["failover", "takeover", "failback", "switchover"]

    /// The `failover:` timing keys both topologies share (and the key), indented under `failover:`.
    static var failoverTimingLines: String {
        """
          keys: [{id: 1, file: peer.key}]
          heartbeat_interval: \(Int(heartbeat * 1000))ms
          dead_after: \(Int(deadAfter * 1000))ms
          self_fence_after: \(Int(selfFenceAfter * 1000))ms
          handoff_timeout: \(Int(handoffTimeout * 1000))ms
          handoff_retries: 2
        """
    }

    /// Which topology this pair runs on: the one whose setup it holds.
    public var hosts: Hosts { lab == nil ? .loopback : .namespaces }
    public let directory: TemporaryDirectory
    public let sink: SMTPSink
    public let traps: TrapReceiver
    /// A command the agents run under, such as `prlimit --nofile=512:512 --`.
    public var agentPrefix: [String] = []
    /// What the loopback topology was given (nil in namespaces).
    let loopback: Loopback?
    /// The namespace topology's hosts and lb's servers (nil on loopback).
    let lab: Lab?
    var agents: [Node: SpawnedProcess] = [:]
    var starts: [Node: Int] = [:]

    init(directory: TemporaryDirectory, sink: SMTPSink, traps: TrapReceiver, loopback: Loopback?, lab: Lab?) {
        self.directory = directory
        self.sink = sink
        self.traps = traps
        self.loopback = loopback
        self.lab = lab
    }

    deinit {
        if hosts == .namespaces { tearDown() }
    }

    public func configPath(_ node: Node) -> String {
        directory.file("\(node.rawValue).yaml")
    }

    // MARK: - Agents

    /// The PATH systemd gives a service (and so the agent, its actions and its checks), not
    /// the test runner's: a developer's PATH may put shims (pyenv's, say) before /usr/bin.
    public static let servicePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Starts `vacataire run --config NODE.yaml` (in the node's namespace on that topology);
    /// its standard error goes to a new log file. `environment` adds variables (a
    /// `VACATAIRE_FAILPOINT`).
    public func start(_ node: Node, environment: [String: String] = [:]) throws {
        let count = (starts[node] ?? 0) + 1
        starts[node] = count
        // A benchmark runs the build it measures (VACATAIRE_AGENT, the release binary).
        let agent = ProcessInfo.processInfo.environment["VACATAIRE_AGENT"] ?? Repository.executable
        var command = agentPrefix + [agent, "run", "--config", configPath(node)]
        if let lab { command = lab.network.command(in: node.host, command) }
        agents[node] = try SpawnedProcess(
            executable: command[0],
            arguments: Array(command.dropFirst()),
            environment: ["VACATAIRE_TEMPLATES": Repository.path("Templates"), "PATH": Self.servicePath].merging(environment) { $1 },
            stdoutPath: directory.file("\(node.rawValue).\(count).stdout"),
            stderrPath: AgentLogs(directory).path(node.rawValue, start: count)
        )
    }

    /// The environment that runs an agent with its wall clock `seconds` off (libfaketime;
    /// the monotonic clock stays true), for `start(_:environment:)`.
    public static func clockOff(seconds: Int) throws -> [String: String] {
        let library = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
        guard FileManager.default.fileExists(atPath: library) else {
            throw FixtureError("a clock that is off needs libfaketime (\(library)): apt-get install faketime")
        }
        return ["LD_PRELOAD": library, "FAKETIME": "\(seconds >= 0 ? "+" : "")\(seconds)s", "FAKETIME_DONT_FAKE_MONOTONIC": "1"]
    }

    /// Stops the agent with SIGTERM (as systemd does), its service untouched, and returns
    /// its exit status; SIGKILL after `grace` seconds (systemd's TimeoutStopSec).
    @discardableResult
    public func terminate(_ node: Node, grace: TimeInterval = 5) -> Int32? {
        guard let agent = agents[node] else { return nil }
        agent.stop(grace: grace)
        return agent.terminationStatus
    }

    /// Kills the agent with SIGKILL, as a crashed machine would stop it.
    public func killAgent(_ node: Node) {
        guard let agent = agents[node] else { return }
        agent.signal(SIGKILL)
        agent.waitUntilExit()
    }

    /// Sends `signal` to the node's agent (SIGHUP: reload the configuration).
    public func signal(_ node: Node, _ signal: Int32) {
        agents[node]?.signal(signal)
    }

    public func isAgentRunning(_ node: Node) -> Bool {
        agents[node]?.isRunning ?? false
    }

    /// Runs `vacataire ARGUMENTS --config NODE.yaml` (an admin command, over the control
    /// socket) to its end.
    public func admin(_ node: Node, _ arguments: [String]) throws -> CommandResult {
        try Repository.runVacataire(arguments + ["--config", configPath(node)])
    }

    /// `vacataire status --json` of the node's daemon: its state, role and epoch, or nil
    /// when the daemon does not answer.
    public func status(_ node: Node) -> (state: String, role: String, epoch: Int)? {
        guard let object = statusObject(node),
              let state = object["state"] as? String, let role = object["role"] as? String,
              let epoch = object["epoch"] as? Int
        else { return nil }
        return (state, role, epoch)
    }

    /// What `vacataire status --json` prints (the agent's `AgentStatus`), or nil when the
    /// daemon does not answer. Asked over the control socket from this process: waits poll
    /// it every 50 ms, and a debug `vacataire` per poll cost each waiting test about 40 % of
    /// a core, which the agents under test then lacked.
    public func statusObject(_ node: Node) -> [String: Any]? {
        guard let reply = try? LoopbackClient.unix(path: controlSocket(node), send: #"{"version":1,"command":"status"}"# + "\n"),
              let object = (try? JSONSerialization.jsonObject(with: Data(reply.utf8))) as? [String: Any]
        else { return nil }
        return object["status"] as? [String: Any]
    }

    /// The node's control socket, as its configuration names it (relative to the pair's directory).
    public func controlSocket(_ node: Node) -> String {
        let mapping = loopback?.control[node] ?? ""
        let path = mapping.firstMatch(of: /socket:\s*([^,}\s]+)/).map { String($0.output.1) } ?? "state-\(node.rawValue)/control.sock"
        return path.hasPrefix("/") ? path : directory.file(path)
    }

    // MARK: - Logs

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

    /// The node's transitions from all its logs, oldest start first.
    public func allTransitions(_ node: Node) -> [String] {
        AgentLogs.transitions(in: allLogs(node))
    }

    /// The node's state changes (`active -> quiescing: ...`; not a check's, nor a new reason
    /// for the same state), from all its logs.
    public func stateChanges(_ node: Node) -> [String] {
        allTransitions(node).filter { line in
            guard let match = line.firstMatch(of: #/\] ([a-z-]+) -> ([a-z-]+): /#) else { return false }
            return match.output.1 != match.output.2
        }
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

    // MARK: - Waiting

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

    // MARK: - Tear-down

    /// Kills both agents and both services (on namespaces: everything in the hosts, and lb's
    /// servers), stops the receivers and removes the files. Safe to call twice.
    public func tearDown() {
        for agent in agents.values {
            agent.signal(SIGKILL)
            agent.waitUntilExit()
        }
        agents = [:]
        loopback?.tearDown(self)
        lab?.tearDown()
        sink.stop()
        traps.stop()
        if ProcessInfo.processInfo.environment["VACATAIRE_KEEP_PAIR"] == nil {
            directory.remove()
        } else if FileManager.default.fileExists(atPath: directory.path) {
            print("pair files kept in \(directory.path)")
        }
    }
}

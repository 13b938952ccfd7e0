import Foundation
import XCTest
@testable import VacataireCore

/// The `failover:` section: a valid master and standby on loopback, and every way to get it wrong.
final class FailoverConfigTests: XCTestCase, ConfigProblemChecks {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "failover-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("0123456789abcdef0123456789abcdef".utf8).write(to: URL(fileURLWithPath: directory + "/peer.key"))
        try Data("fedcba9876543210fedcba9876543210".utf8).write(to: URL(fileURLWithPath: directory + "/old.key"))
        chmod(directory + "/peer.key", 0o600)
        chmod(directory + "/old.key", 0o400)
        try Data("0123456789abcdef0123456789abcdef".utf8).write(to: URL(fileURLWithPath: directory + "/shared.key"))
        chmod(directory + "/shared.key", 0o644)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A master's whole configuration file; `failover` replaces the section's body lines.
    func document(_ failover: String) -> String {
        """
        node:
          name: alpha
          cluster: web
        failover:
        \(failover.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
        """
    }

    static let master = """
        role: master
        peer:
          name: beta
          addresses: ["127.0.0.1:7412", "[::1]:7412"]
        listen:
          address: 127.0.0.1
          port: 7411
        keys:
          - id: 2026
            file: peer.key
        active_key: 2026
        heartbeat_interval: 200ms
        dead_after: 3s
        self_fence_after: 1s
        handoff_timeout: 5s
        handoff_retries: 2
        actions:
          start: {command: "systemctl start web", timeout: 10s}
          stop: {command: "systemctl stop web", timeout: 1s}
          status: {command: "systemctl is-active web", timeout: 2s}
        witness: tcp://127.0.0.1:9
        service_probe: http://127.0.0.1:8082/health
        """

    func parse(_ failover: String) throws(ConfigErrors) -> Config {
        try Config.parse(document(failover), file: directory + "/master.yaml")
    }



    func replacing(_ old: String, with new: String) -> String {
        Self.master.replacingOccurrences(of: old, with: new)
    }

    // MARK: - Valid

    func testAValidMasterSection() throws {
        let config = try parse(Self.master)
        let failover = try XCTUnwrap(config.failover)
        XCTAssertEqual(failover.role, .master)
        XCTAssertEqual(failover.peer.name, "beta")
        XCTAssertEqual(failover.peer.addresses.map(\.description), ["127.0.0.1:7412", "[::1]:7412"])
        XCTAssertEqual(failover.listen.description, "127.0.0.1:7411")
        XCTAssertEqual(failover.keys, [FailoverConfig.KeyFile(id: 2026, file: directory + "/peer.key")])
        XCTAssertEqual(failover.activeKey, 2026)
        XCTAssertEqual(failover.heartbeatInterval, ConfigDuration(seconds: 0.2))
        XCTAssertEqual(failover.stop, FailoverConfig.ActionCommand(command: "systemctl stop web", timeout: ConfigDuration(seconds: 1)))
        XCTAssertEqual(failover.witness?.description, "tcp://127.0.0.1:9")
        XCTAssertEqual(failover.serviceProbe?.absoluteString, "http://127.0.0.1:8082/health")
        let settings = failover.settings(nodeName: "alpha")
        XCTAssertEqual(settings.deadAfter, .seconds(3))
        XCTAssertEqual(settings.heartbeatInterval, .milliseconds(200))
        XCTAssertEqual(settings.peerName, "beta")
        XCTAssertTrue(settings.hasWitness && settings.hasServiceProbe && !settings.hasFence)
    }

    func testNoFailoverSectionIsAllowed() throws {
        let config = try Config.parse("node: {name: alpha, cluster: web}\n", file: directory + "/x.yaml")
        XCTAssertNil(config.failover)
    }

    func testDefaultsAndAStandbyWithoutWitness() throws {
        let config = try parse("""
            role: standby
            peer: {name: beta, addresses: ["192.0.2.10"]}
            keys: [{id: 1, file: peer.key}]
            actions:
              start: {command: "start-web"}
              stop: {command: "stop-web"}
            no_witness: stay
            """)
        let failover = try XCTUnwrap(config.failover)
        XCTAssertEqual(failover.peer.addresses.first?.port, Port(7411))
        XCTAssertEqual(failover.listen.port, Port(7411))
        XCTAssertEqual(failover.activeKey, 1, "a single key is the active one")
        XCTAssertEqual(failover.noWitness, .stay)
        XCTAssertNil(failover.witness)
        XCTAssertEqual(failover.handoffRetries, 2)
        XCTAssertEqual(failover.settings(nodeName: "alpha").noWitnessPolicy, .stay)
    }

    func testHTTPWitnessAndFence() throws {
        let config = try parse(replacing("witness: tcp://127.0.0.1:9", with: "witness: http://192.0.2.1/ping\nfence: {command: \"ipmitool power off\", timeout: 5s}"))
        XCTAssertEqual(config.failover?.witness, .http(try XCTUnwrap(URL(string: "http://192.0.2.1/ping"))))
        XCTAssertEqual(config.failover?.fence?.timeout, ConfigDuration(seconds: 5))
    }

    // MARK: - Missing keys

    func testMissingRequiredKeys() {
        assertProblem(replacing("role: master\n", with: ""), key: "failover.role", contains: "missing")
        assertProblem(replacing("peer:\n  name: beta\n  addresses: [\"127.0.0.1:7412\", \"[::1]:7412\"]\n", with: ""), key: "failover.peer", contains: "missing")
        assertProblem(replacing("  name: beta\n", with: ""), key: "failover.peer.name", contains: "missing")
        assertProblem(replacing("keys:\n  - id: 2026\n    file: peer.key\n", with: ""), key: "failover.keys", contains: "missing")
        assertProblem(replacing("  start: {command: \"systemctl start web\", timeout: 10s}\n", with: ""), key: "failover.actions.start", contains: "missing")
        assertProblem(replacing("stop: {command: \"systemctl stop web\", timeout: 1s}", with: "stop: {timeout: 1s}"), key: "failover.actions.stop.command", contains: "missing")
        let noActions = Self.master.components(separatedBy: "\n").filter { !$0.contains("actions:") && !$0.contains("command:") }.joined(separator: "\n")
        assertProblem(noActions, key: "failover.actions", contains: "missing")
    }

    func testNoWitnessNeedsAnExplicitPolicy() {
        assertProblem(replacing("witness: tcp://127.0.0.1:9\n", with: ""), key: "failover.no_witness", contains: "choose `stay`")
        assertProblem(Self.master + "\nno_witness: takeover", key: "failover.no_witness", contains: "only applies when no `witness`")
        assertProblem(replacing("witness: tcp://127.0.0.1:9\n", with: "no_witness: sometimes\n"), key: "failover.no_witness", contains: "one of: stay, takeover")
    }

    func testAWitnessAloneIsNotAGuard() {
        assertProblem(replacing("service_probe: http://127.0.0.1:8082/health", with: ""), key: "failover.witness", contains: "service_probe")
    }

    // MARK: - Bad values

    func testBadValuesNameTheirKey() {
        assertProblem(replacing("role: master", with: "role: primary"), key: "failover.role", contains: "one of: master, standby")
        assertProblem(replacing("\"127.0.0.1:7412\", ", with: "\"127.0.0.1:99999\", "), key: "failover.peer.addresses", contains: "HOST:PORT")
        assertProblem(replacing("active_key: 2026", with: "active_key: 2025"), key: "failover.active_key", contains: "not one of")
        assertProblem(replacing("file: peer.key", with: "file: missing.key"), key: "failover.keys[0].file", contains: "cannot read")
        assertProblem(replacing("file: peer.key", with: "file: shared.key"), key: "failover.keys[0].file", contains: "has mode 0644; others may read it")
        assertProblem(replacing("witness: tcp://127.0.0.1:9", with: "witness: ftp://x"), key: "failover.witness", contains: "tcp://HOST:PORT")
        assertProblem(replacing("service_probe: http://127.0.0.1:8082/health", with: "service_probe: 127.0.0.1:8082"), key: "failover.service_probe", contains: "http://")
        assertProblem(replacing("handoff_retries: 2", with: "handoff_retries: 11"), key: "failover.handoff_retries", contains: "0 to 10")
        assertProblem(replacing("port: 7411", with: "port: 0"), key: "failover.listen.port", contains: "port number")
        assertProblem(Self.master + "\nheartbeat: 1s", key: "failover.heartbeat", contains: "unknown key")
    }

    func testDuplicateKeyIdsAndSeveralKeysNeedAnActiveOne() {
        let two = replacing("    file: peer.key\n", with: "    file: peer.key\n  - id: 2025\n    file: old.key\n")
        XCTAssertEqual(problems(two), [], "several keys with one active is key rotation")
        assertProblem(two.replacingOccurrences(of: "active_key: 2026\n", with: ""), key: "failover.active_key", contains: "several keys")
        let duplicate = replacing("    file: peer.key\n", with: "    file: peer.key\n  - id: 2026\n    file: old.key\n")
        assertProblem(duplicate, key: "failover.keys", contains: "unique")
    }

    // MARK: - Impossible timings

    func testHeartbeatBelowFiftyMilliseconds() {
        assertProblem(replacing("heartbeat_interval: 200ms", with: "heartbeat_interval: 20ms"), key: "failover.heartbeat_interval", contains: "at least 50ms")
        XCTAssertEqual(problems(replacing("heartbeat_interval: 200ms", with: "heartbeat_interval: 50ms")), [])
    }

    func testDeadAfterNotAboveTheHeartbeat() {
        assertProblem(replacing("dead_after: 3s", with: "dead_after: 200ms"), key: "failover.dead_after", contains: "never mistakes a late heartbeat")
        assertProblem(replacing("dead_after: 3s", with: "dead_after: 100ms"), key: "failover.dead_after", contains: "at least 400 ms")
    }

    func testSelfFencePlusStopMustEndBeforeDeadAfter() {
        assertProblem(replacing("self_fence_after: 1s", with: "self_fence_after: 2s"), key: "failover.self_fence_after", contains: "must be less than dead_after")
        assertProblem(replacing("timeout: 1s}", with: "timeout: 2500ms}"), key: "failover.self_fence_after", contains: "actions.stop.timeout (2.5s)")
        assertProblem(replacing("self_fence_after: 1s", with: "self_fence_after: 100ms"), key: "failover.self_fence_after", contains: "never fences itself")
        assertProblem(replacing("self_fence_after: 1s", with: "self_fence_after: 300ms"), key: "failover.self_fence_after", contains: "at least 350 ms")
    }

    func testHandoffWindowMustOutlastTheStart() {
        assertProblem(replacing("handoff_timeout: 5s", with: "handoff_timeout: 3s"), key: "failover.handoff_timeout", contains: "actions.start.timeout (10s)")
        assertProblem(replacing("handoff_timeout: 5s", with: "handoff_timeout: 100ms"), key: "failover.handoff_timeout", contains: "more than heartbeat_interval")
        assertProblem(replacing("handoff_timeout: 5s", with: "handoff_timeout: 5s\nverify_timeout: 6s"), key: "failover.verify_timeout", contains: "must fit in handoff_timeout")
        // verify_timeout unwritten: its default cannot be the culprit the message names.
        let tight = replacing("handoff_timeout: 5s", with: "handoff_timeout: 500ms").replacingOccurrences(of: "timeout: 10s}", with: "timeout: 1s}")
        assertProblem(tight, key: "failover.handoff_timeout", contains: "leaves less than 1s after actions.start.timeout (1s) for the started service to pass its checks (verify_timeout)")
        XCTAssertFalse(problems(tight).contains { $0.key == "failover.verify_timeout" }, "\(problems(tight))")
    }

    func testZeroActionTimeout() {
        assertProblem(replacing("timeout: 10s}", with: "timeout: 0s}"), key: "failover.actions.start.timeout", contains: "must be at least 100ms, found 0s")
    }

    func testProblemsCarryTheFileAndLine() {
        let found = problems(replacing("dead_after: 3s", with: "dead_after: 100ms"))
        let problem = found.first { $0.key == "failover.dead_after" }
        XCTAssertEqual(problem?.line, 17)
        XCTAssertTrue(problem?.file.hasSuffix("master.yaml") == true)
    }

    /// A reload keeps what shapes the machine and the sockets, applies the rest, and says which.
    func testAReloadAppliesActionsAndKeysAndKeepsTimingsAndChecksUntilARestart() throws {
        let running = try parse(Self.master)
        var edited = Self.master
            .replacingOccurrences(of: "systemctl start web", with: "systemctl start web2")
            .replacingOccurrences(of: "heartbeat_interval: 200ms", with: "heartbeat_interval: 300ms")
            .replacingOccurrences(of: "file: peer.key", with: "file: old.key")
        var fresh = try parse(edited)
        var plan = ReloadPlan(running: running, runningFailover: try XCTUnwrap(running.failover),
                              fresh: fresh, freshFailover: try XCTUnwrap(fresh.failover))
        XCTAssertEqual(plan.failover.start.program, .shell("systemctl start web2"), "actions apply at once")
        XCTAssertEqual(plan.failover.heartbeatInterval, running.failover?.heartbeatInterval, "timings wait for a restart")
        XCTAssertTrue(plan.keysChanged)
        XCTAssertEqual(plan.applied, ["notifications, templates and outbox retries", "actions"])
        XCTAssertEqual(plan.needsRestart, ["failover roles and timings"])

        edited = Self.master.replacingOccurrences(of: "witness: tcp://127.0.0.1:9", with: "witness: tcp://127.0.0.1:10")
        fresh = try Config.parse(document(edited) + "\nchecks:\n  - {name: memory, kind: memory}\n", file: directory + "/master.yaml")
        plan = ReloadPlan(running: running, runningFailover: try XCTUnwrap(running.failover),
                          fresh: fresh, freshFailover: try XCTUnwrap(fresh.failover))
        XCTAssertEqual(plan.failover.witness, fresh.failover?.witness, "with the same timings, the guard applies")
        XCTAssertNotEqual(plan.failover.witness, running.failover?.witness)
        XCTAssertFalse(plan.keysChanged)
        XCTAssertEqual(plan.applied, ["notifications, templates and outbox retries", "actions", "split-brain guard"])
        XCTAssertEqual(plan.needsRestart, ["checks"])
        XCTAssertEqual(plan.config.checks, running.checks, "checks keep running as they were")
        XCTAssertNil(plan.refusal)
    }

    /// The other node's file (its name, role and peer) sent to this node by SIGHUP: nothing
    /// of it applies, least of all its actions, and the refusal names each difference.
    func testAReloadWithAnotherNodesFileIsRefusedWhole() throws {
        let running = try parse(Self.master)
        let other = document(Self.master
            .replacingOccurrences(of: "role: master", with: "role: standby")
            .replacingOccurrences(of: "name: beta", with: "name: alpha"))
            .replacingOccurrences(of: "  name: alpha\n  cluster", with: "  name: beta\n  cluster")
        let fresh = try Config.parse(other, file: directory + "/standby.yaml")
        let plan = ReloadPlan(running: running, runningFailover: try XCTUnwrap(running.failover),
                              fresh: fresh, freshFailover: try XCTUnwrap(fresh.failover))
        XCTAssertEqual(plan.refusal, "the file describes another node (node `beta`, not `alpha`, role standby, not master, "
            + "peer `alpha`, not `beta`); nothing of it applies: to change who this node is, restart it with that file")
    }
}

/// The loopback pair of Docs/failover.md parses as written.
final class FailoverConfigExampleTests: XCTestCase {
    func testTheDocumentedLoopbackPairIsValid() throws {
        let directory = NSTemporaryDirectory() + "failover-example-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("0123456789abcdef0123456789abcdef".utf8).write(to: URL(fileURLWithPath: directory + "/peer.key"))
        chmod(directory + "/peer.key", 0o600)
        let master = """
            node: {name: alpha, cluster: web}
            state_dir: state-alpha
            failover:
              role: master
              peer: {name: beta, addresses: ["127.0.0.1:7412"]}
              listen: {address: 127.0.0.1, port: 7411}
              keys: [{id: 1, file: peer.key}]
              heartbeat_interval: 200ms
              dead_after: 3s
              self_fence_after: 1s
              handoff_timeout: 5s
              handoff_retries: 2
              actions:
                start: {command: "./service.sh start alpha 8081", timeout: 5s}
                stop: {command: "./service.sh stop alpha", timeout: 1500ms}
              witness: tcp://127.0.0.1:8099          # e.g. the load balancer
              service_probe: http://127.0.0.1:8082/  # beta's service
            """
        let standby = master
            .replacingOccurrences(of: "name: alpha, cluster", with: "name: beta, cluster")
            .replacingOccurrences(of: "state-alpha", with: "state-beta")
            .replacingOccurrences(of: "role: master", with: "role: standby")
            .replacingOccurrences(of: "{name: beta, addresses: [\"127.0.0.1:7412\"]}", with: "{name: alpha, addresses: [\"127.0.0.1:7411\"]}")
            .replacingOccurrences(of: "port: 7411}", with: "port: 7412}")
            .replacingOccurrences(of: "8082/", with: "8081/")
        let alpha = try Config.parse(master, file: directory + "/master.yaml")
        let beta = try Config.parse(standby, file: directory + "/standby.yaml")
        XCTAssertEqual(alpha.failover?.role, .master)
        XCTAssertEqual(beta.failover?.role, .standby)
        XCTAssertEqual(beta.failover?.listen.port, Port(7412))
        XCTAssertEqual(beta.failover?.peer.addresses.first?.description, "127.0.0.1:7411")
        XCTAssertEqual(beta.failover?.serviceProbe?.port, 8081)
    }
}

import Foundation
import VacataireTestSupport
import XCTest

/// The split-brain guard with real cuts: two `vacataire run` agents in network namespaces
/// (NetworkLab), a witness on the "public" network, the peer link on a private veth. The
/// services' processes are sampled every 20 ms: at no sampled instant may both run.
final class PartitionTests: XCTestCase {
    private var lab: NetworkLab?
    private var directory: TemporaryDirectory!
    private var agents: [String: SpawnedProcess] = [:]
    private var witness: SpawnedProcess?

    /// Heartbeats every 100 ms, dead after 3 s; an isolated active node self-fences after
    /// 1 s and stops within 1 s, well before its peer may take over.
    private let deadAfter = 3.0

    override func setUpWithError() throws {
        lab = try NetworkLab()
        directory = try TemporaryDirectory("partition")
        for script in ["service.sh", "app-check.sh"] {
            try FileManager.default.copyItem(atPath: Repository.path("Config/pair/\(script)"), toPath: directory.file(script))
        }
        try directory.writePeerKey()
        let witnessPort = 7499
        witness = try SpawnedProcess(
            executable: "/usr/bin/python3",
            arguments: ["-c", """
                import socket
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("\(NetworkLab.witnessAddress)", \(witnessPort))); s.listen(64)
                while True:
                    c, _ = s.accept(); c.close()
                """],
            stdoutPath: directory.file("witness.out"), stderrPath: directory.file("witness.err"))
        for (node, peer, role) in [("alpha", "beta", "master"), ("beta", "alpha", "standby")] {
            try directory.write("\(node).yaml", config(node: node, peer: peer, role: role, witnessPort: witnessPort))
        }
    }

    override func tearDown() {
        for agent in agents.values { agent.stop(grace: 1) }
        for node in ["alpha", "beta"] {
            if let pid = servicePID(node) { kill(pid, SIGKILL) }
        }
        witness?.stop(grace: 0.2)
        lab?.remove()
        directory?.remove()
    }

    private func config(node: String, peer: String, role: String, witnessPort: Int) -> String {
        """
        node: {name: \(node), cluster: lab}
        state_dir: state-\(node)
        control: {socket: state-\(node)/control.sock}
        notify: {email: [], snmp: []}
        failover:
          role: \(role)
          peer: {name: \(peer), addresses: ["\(NetworkLab.privateAddress[peer] ?? ""):7411"]}
          listen: {address: \(NetworkLab.privateAddress[node] ?? ""), port: 7411}
          keys: [{id: 1, file: peer.key}]
          heartbeat_interval: 100ms
          dead_after: \(Int(deadAfter))s
          self_fence_after: 1s
          handoff_timeout: 2s
          handoff_retries: 1
          actions:
            start: {command: "./service.sh start \(node) 8080 0.0.0.0", timeout: 3s}
            stop: {command: "./service.sh stop \(node)", timeout: 1s}
          witness: tcp://\(NetworkLab.witnessAddress):\(witnessPort)
          service_probe: http://\(NetworkLab.publicAddress[peer] ?? ""):8080/

        """
    }

    // MARK: - Helpers

    private func network() throws -> NetworkLab {
        try XCTUnwrap(lab, "the network lab was not built")
    }

    private func start(_ node: String) throws {
        let command = try network().command(in: node, [Repository.executable, "run", "--config", directory.file("\(node).yaml"), "--log-level", "debug"])
        agents[node] = try SpawnedProcess(
            executable: command[0], arguments: Array(command.dropFirst()),
            stdoutPath: directory.file("\(node).stdout"), stderrPath: directory.file("\(node).log"))
    }

    private func log(_ node: String) -> String {
        (try? String(contentsOfFile: directory.file("\(node).log"), encoding: .utf8)) ?? ""
    }

    /// The pid of the node's running service (a zombie does not count), if any.
    private func servicePID(_ node: String) -> pid_t? {
        guard let text = try? String(contentsOfFile: directory.file("run/\(node).pid"), encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        let state = stat.split(separator: ")").last?.split(separator: " ").first
        return state == "Z" ? nil : pid
    }

    private func serving(_ node: String) -> Bool {
        servicePID(node) != nil
    }

    /// Samples both services every 20 ms for `seconds`; fails the test at the first
    /// instant both run. Returns early when `until` holds (checked after each sample).
    private func sampleNeverBoth(for seconds: Double, until: () -> Bool = { false }, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(seconds)
        var samples = 0
        while Date() < deadline {
            samples += 1
            if serving("alpha"), serving("beta") {
                XCTFail("both services run at once (sample \(samples))\n--- alpha\n\(log("alpha"))\n--- beta\n\(log("beta"))", file: file, line: line)
                return
            }
            if until() { break }
            usleep(20_000)
        }
        print("sampled both services \(samples) times: never both running")
    }

    private func waitUntil(_ what: String, timeout: Double, _ condition: () -> Bool, file: StaticString = #filePath, line: UInt = #line) {
        if Wait.until(timeout: timeout, condition) { return }
        XCTFail("\(what) did not happen within \(timeout) s\n--- alpha\n\(log("alpha"))\n--- beta\n\(log("beta"))", file: file, line: line)
    }

    private func startPairWithAlphaServing() throws {
        try start("alpha")
        try start("beta")
        waitUntil("alpha serving", timeout: 15) { serving("alpha") && log("alpha").contains("-> active") }
        waitUntil("beta standing by", timeout: 10) { log("beta").contains("-> standby") }
        XCTAssertFalse(serving("beta"))
    }

    // MARK: - Tests

    /// The peer link is cut but both still reach the witness, and the master's service
    /// still answers the "load balancer": the standby must not take over.
    func testCutPeerLinkWithBothReachingTheWitnessKeepsOneService() throws {
        try startPairWithAlphaServing()
        try network().setPrivateLink(up: false)
        sampleNeverBoth(for: deadAfter * 2 + 1)
        XCTAssertTrue(serving("alpha"), "the master, still reaching its witness, keeps serving\n\(log("alpha"))")
        XCTAssertFalse(serving("beta"), "the standby must not take over while alpha's service answers\n\(log("beta"))")
        let events = try Repository.runVacataire(["events", "--socket", directory.file("state-beta/control.sock")]).stdout
        XCTAssertTrue(events.contains("peer lost"), "the standby records a peer-lost incident\n\(events)")
        XCTAssertTrue(events.contains("service still answers") || events.contains("not taking over"), "the guard's refusal is recorded\n\(events)")
    }

    /// The master is cut off entirely (peer link and public network): it hears neither its
    /// peer nor the witness, fences itself; then the standby, which still reaches the
    /// witness and no longer reaches the master's service, takes over. Never both.
    func testIsolatedMasterFencesItselfBeforeTheStandbyTakesOver() throws {
        try startPairWithAlphaServing()
        let cut = Date()
        try network().setPrivateLink(up: false)
        try network().setPublicLink("alpha", up: false)
        sampleNeverBoth(for: deadAfter * 4) { serving("beta") && log("beta").contains("-> active") }
        let tookOver = Date().timeIntervalSince(cut)
        XCTAssertFalse(serving("alpha"), "the isolated master stopped its service\n\(log("alpha"))")
        XCTAssertTrue(serving("beta"), "the standby took over\n\(log("beta"))")
        XCTAssertTrue(log("alpha").contains("self-fencing"), log("alpha"))
        print(String(format: "standby serving %.2f s after the cut (dead_after %.0f s)", tookOver, deadAfter))
        sampleNeverBoth(for: 1)
    }

    /// Only the standby loses the witness (its public link is cut) and the peer link:
    /// it cannot tell a dead master from its own isolation, so it must not take over.
    func testIsolatedStandbyDoesNotTakeOver() throws {
        try startPairWithAlphaServing()
        try network().setPrivateLink(up: false)
        try network().setPublicLink("beta", up: false)
        sampleNeverBoth(for: deadAfter * 2 + 1)
        XCTAssertTrue(serving("alpha"), "the master keeps serving\n\(log("alpha"))")
        XCTAssertFalse(serving("beta"), "the isolated standby must not take over\n\(log("beta"))")
    }
}

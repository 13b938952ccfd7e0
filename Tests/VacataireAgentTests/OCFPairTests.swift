import Foundation
import VacataireTestSupport
import XCTest

/// A loopback pair whose service is Debian's nginx, started and stopped by Pacemaker's
/// `ocf:heartbeat:nginx` agent (`failover.resources`) and checked by the agent's monitor
/// (`kind: ocf`): nginx killed on the master fails over like any failing service check,
/// and `vacataire failback` brings it back. What people see is asserted: which node's page
/// answers, and one page and one trap per incident.
final class OCFPairTests: XCTestCase {
    private var pair: PairFixture?
    private var sites: [PairFixture.Node: NginxSite] = [:]
    private var sitesDirectory: TemporaryDirectory?

    override func tearDown() {
        pair?.tearDown()
        for site in sites.values { site.crash() }
        sitesDirectory?.remove()
        pair = nil
        sites = [:]
    }

    /// nginx stops in one to two seconds (the agent waits a second after its signal): the
    /// timings leave room for a stop of 5 s and a start undone within the handoff window.
    static let timings = """
          keys: [{id: 1, file: peer.key}]
          heartbeat_interval: \(Int(PairFixture.heartbeat * 1000))ms
          dead_after: \(Int(6_000 * Repository.timeScale))ms
          self_fence_after: \(Int(PairFixture.selfFenceAfter * 1000))ms
          handoff_timeout: \(Int(8_000 * Repository.timeScale))ms
          handoff_retries: 2
        """

    private func makePair() throws -> PairFixture {
        try DebianTool.ocfNginx.require(for: "a pair driving nginx through ocf:heartbeat:nginx")
        try DebianTool.nginx.require(for: "a pair driving nginx through ocf:heartbeat:nginx")
        let directory = try TemporaryDirectory("ocf-pair-sites")
        sitesDirectory = directory
        // The sites live beside the pair: written once its ports are known.
        var service: [PairFixture.Node: String] = [:]
        let stopTimeout = Int(5_000 * Repository.timeScale)
        let ports = try PairFixture.Node.allCases.reduce(into: [PairFixture.Node: Int]()) { $0[$1] = try FreePort.tcp() }
        for node in PairFixture.Node.allCases {
            let site = try NginxSite(in: directory.path, name: node.rawValue, port: ports[node] ?? 0, page: "served by \(node.rawValue)\n")
            sites[node] = site
            service[node] = """
                  resources:
                    - name: web
                      ocf: heartbeat:nginx
                      params: \(site.params)
                      start_timeout: \(stopTimeout)ms
                      stop_timeout: \(stopTimeout)ms
                """
        }
        let checks = """
              - name: web
                kind: ocf
                resource: web
                interval: \(Int(1_500 * Repository.timeScale))ms
                timeout: \(Int(1_500 * Repository.timeScale))ms
                rise: 2
                fall: 2
            """
        let made = try PairFixture(checks: checks, service: service, timings: Self.timings, servicePorts: ports)
        pair = made
        return made
    }

    func testNginxKilledOnTheMasterFailsOverAndFailsBack() async throws {
        let pair = try makePair()
        try await pair.startPair()
        let alphaSite = try XCTUnwrap(sites[.alpha])
        XCTAssertTrue(alphaSite.running, "the agent started alpha's nginx")
        let betaServesBefore = await pair.serving(.beta)
        XCTAssertFalse(betaServesBefore, "the standby's nginx is stopped\n\(pair.logs)")

        // alpha's nginx dies: the agent's monitor answers 7, the check fails, beta takes over.
        alphaSite.crash()
        let took = try await pair.waitUntil("beta serves", timeout: 40 * Repository.timeScale) { await pair.serving(.beta) }
        print("failover: beta's nginx served \(String(format: "%.2f", took)) s after alpha's was killed")
        try await pair.waitUntil("alpha is failed", timeout: 20 * Repository.timeScale) {
            pair.transitions(.alpha).contains { $0.contains("quiescing -> failed") }
        }
        let alphaServes = await pair.serving(.alpha)
        XCTAssertFalse(alphaServes, pair.logs)
        XCTAssertTrue(pair.log(.alpha).contains("OCF_NOT_RUNNING: not running"), "alpha's check names the agent's code\n\(pair.logs)")
        XCTAssertTrue(pair.log(.beta).contains("start: 1 resource(s) started in order (web)"), pair.logs)

        let failover = try await waitForMail(pair, subjectContaining: "FAILOVER")
        XCTAssertEqual(failover.headers["subject"], "[pair-test] FAILOVER e2: beta is now active")
        XCTAssertTrue(failover.body.contains("ocf:heartbeat:nginx (web) monitor exited 7 (OCF_NOT_RUNNING: not running)"), failover.body)
        let failoverTrap = try await waitForTrap(pair, oid: "vacFailover")
        XCTAssertEqual(failoverTrap.value("vacNodeName"), "STRING: beta")

        // Repaired (nothing to repair: the agent starts nginx anew), failed back by the admin.
        let result = try pair.admin(.alpha, ["failback"])
        XCTAssertEqual(result.status, 0, "\(result.stdout)\(result.stderr)\n\(pair.logs)")
        try await pair.waitUntil("alpha serves again", timeout: 40 * Repository.timeScale) { await pair.serving(.alpha) }
        try await pair.waitUntil("beta's nginx stops", timeout: 20 * Repository.timeScale) { await !pair.serving(.beta) }
        try await pair.waitUntil("beta is standby", timeout: 20 * Repository.timeScale) {
            pair.transitions(.beta).contains { $0.contains("quiescing -> standby") }
        }
        XCTAssertFalse(try XCTUnwrap(sites[.beta]).running, "the agent's stop left beta's nginx running\n\(pair.logs)")
        _ = try await waitForMail(pair, subjectContaining: "FAILBACK")
        _ = try await waitForTrap(pair, oid: "vacFailback")

        // One page and one trap per role change, from the node that serves.
        XCTAssertTrue(pair.waitUntilNotificationsSettled(), pair.logs)
        let subjects = pair.sink.messages().compactMap { $0.headers["subject"] }
        XCTAssertEqual(subjects.filter { $0.contains("FAILOVER") }.count, 1, "\(subjects)")
        XCTAssertEqual(subjects.filter { $0.contains("FAILBACK") }.count, 1, "\(subjects)")
        XCTAssertEqual(subjects.filter { ["TAKEOVER", "PEER LOST", "NOBODY"].contains(where: $0.contains) }, [], "\(subjects)")
        let trapOIDs = pair.traps.notifications().compactMap { $0.value("snmpTrapOID") }
        XCTAssertEqual(trapOIDs.filter { $0.hasSuffix("::vacFailover") }.count, 1, "\(trapOIDs)")
        XCTAssertEqual(trapOIDs.filter { $0.hasSuffix("::vacFailback") }.count, 1, "\(trapOIDs)")
    }

    private func waitForMail(_ pair: PairFixture, subjectContaining text: String) async throws -> SMTPSink.Received {
        var found: SMTPSink.Received?
        try await pair.waitUntil("an email whose subject contains \(text)", timeout: 15) {
            found = pair.sink.messages().first { $0.headers["subject"]?.contains(text) == true }
            return found != nil
        }
        return try XCTUnwrap(found)
    }

    private func waitForTrap(_ pair: PairFixture, oid: String) async throws -> TrapReceiver.Received {
        var found: TrapReceiver.Received?
        try await pair.waitUntil("a trap \(oid)", timeout: 15) {
            found = pair.traps.notifications().first { $0.value("snmpTrapOID") == "OID: LE-VACATAIRE-MIB::\(oid)" }
            return found != nil
        }
        return try XCTUnwrap(found)
    }
}

import Foundation
import VacataireTestSupport
import XCTest

/// A real HAProxy in front of a real pair (PairFixture: Config/pair's agents and services): after a
/// failover and after a failback, HAProxy routes to the node that serves, whether it learns
/// the role from `/health` (`option httpchk`) or from the agent-check port.
final class LoadBalancerTests: XCTestCase {
    private var pair: PairFixture?
    private var haproxy: HAProxyFixture?

    override func tearDown() {
        haproxy?.stop()
        pair?.tearDown()
        haproxy = nil
        pair = nil
    }

    func testHAProxyWithHTTPCheckFollowsFailoverAndFailback() throws {
        try failoverAndFailback(through: .httpCheck)
    }

    func testHAProxyWithAgentCheckFollowsFailoverAndFailback() throws {
        try failoverAndFailback(through: .agentCheck)
        // The agent's answers, with their `#` description, are what HAProxy went by. HAProxy
        // routes to alpha as soon as its service passed its checks (`up (taking-over)`, make
        // before break); the words settle once beta has stopped.
        let haproxy = try XCTUnwrap(haproxy)
        try XCTUnwrap(pair).waitFor("HAProxy to see the settled words") {
            let stats = try haproxy.serverStats()
            return stats["alpha"]?["last_agt"] == "via agent : up (active)" && stats["beta"]?["last_agt"] == "via agent : down (standby)"
        } otherwise: { "\((try? haproxy.serverStats()) ?? [:])" }
        let stats = try haproxy.serverStats()
        XCTAssertEqual(stats["alpha"]?["last_agt"], "via agent : up (active)", "\(stats["alpha"] ?? [:])")
        XCTAssertEqual(stats["beta"]?["last_agt"], "via agent : down (standby)", "\(stats["beta"] ?? [:])")
        XCTAssertEqual(stats["beta"]?["status"], "DOWN (agent)")
    }

    func testHAProxyAgentCheckPutsANodeInMaintenanceOnlyWhenItsServiceIsOff() throws {
        let pair = try PairFixture(loadBalancer: true)
        self.pair = pair
        try pair.startBehindALoadBalancer()
        let haproxy = try HAProxyFixture(pair: pair, mode: .agentCheck)
        self.haproxy = haproxy
        try waitUntilRouted(to: .alpha, other: .beta, haproxy, pair)

        // The standby in maintenance: its service is off, HAProxy shows it in maintenance.
        let standby = try pair.admin(.beta, ["maintenance", "on"])
        XCTAssertEqual(standby.status, 0, standby.stdout + standby.stderr)
        try pair.waitFor("HAProxy to show beta in maintenance") {
            try haproxy.serverStats()["beta"]?["status"]?.hasPrefix("MAINT") == true
        } otherwise: { "\((try? haproxy.serverStats()) ?? [:])" }

        // The active in maintenance keeps its service, so HAProxy keeps routing to it.
        let active = try pair.admin(.alpha, ["maintenance", "on"])
        XCTAssertEqual(active.status, 0, active.stdout + active.stderr)
        // What HAProxy's agent check reads from alpha now (every 200 ms): still up.
        let answer = try LoopbackClient.exchange(port: pair.agentCheckPort(.alpha))
        XCTAssertTrue(answer.hasPrefix("up"), "alpha in maintenance tells the load balancer: \(answer)")
        XCTAssertEqual(try haproxy.serverStats()["alpha"]?["status"], "UP")
        XCTAssertEqual(haproxy.request().body, "served by alpha")

        // Out of maintenance: `up ready` takes beta out of HAProxy's maintenance, as down.
        _ = try pair.admin(.beta, ["maintenance", "off"])
        try pair.waitFor("HAProxy to take beta out of maintenance") {
            try haproxy.serverStats()["beta"]?["status"]?.hasPrefix("DOWN") == true
        } otherwise: { "\((try? haproxy.serverStats()) ?? [:])" }
    }

    // MARK: - The scenario

    private func failoverAndFailback(through mode: HAProxyFixture.Mode) throws {
        let pair = try PairFixture(loadBalancer: true)
        self.pair = pair
        try pair.startBehindALoadBalancer()
        let haproxy = try HAProxyFixture(pair: pair, mode: mode)
        self.haproxy = haproxy
        try waitUntilRouted(to: .alpha, other: .beta, haproxy, pair)

        // Failover: alpha's check fails, beta takes over, HAProxy follows.
        try pair.breakCheck(.alpha)
        try waitUntilRouted(to: .beta, other: .alpha, haproxy, pair)

        // Failback: alpha repaired, its check healthy again, the admin fails back.
        try pair.repairCheck(.alpha)
        try pair.waitForCheck(.alpha, healthy: true)
        // Make before break: alpha drained and stopped its service once beta's passed its checks.
        try pair.waitForHealth(.alpha, status: 503, word: "failed")
        let failback = try pair.admin(.alpha, ["failback"])
        XCTAssertEqual(failback.status, 0, "failback: \(failback.stdout)\(failback.stderr)\n\(pair.logs)")
        try waitUntilRouted(to: .alpha, other: .beta, haproxy, pair)
    }

    /// Waits until HAProxy shows `serving` up and `other` down (`DOWN`, or `DOWN (agent)`
    /// when the agent said so), and three requests in a row
    /// through its frontend answer "served by SERVING".
    private func waitUntilRouted(
        to serving: PairFixture.Node, other: PairFixture.Node, _ haproxy: HAProxyFixture, _ pair: PairFixture
    ) throws {
        var lastAnswers: [String] = []
        try pair.waitFor("HAProxy to route to \(serving.rawValue) only", timeout: 30) {
            let stats = try haproxy.serverStats()
            guard stats[serving.rawValue]?["status"] == "UP", stats[other.rawValue]?["status"]?.hasPrefix("DOWN") == true else {
                lastAnswers = ["stats: \(serving.rawValue) \(stats[serving.rawValue]?["status"] ?? "?"), \(other.rawValue) \(stats[other.rawValue]?["status"] ?? "?")"]
                return false
            }
            lastAnswers = (0..<3).map { _ in haproxy.request().body }
            return lastAnswers.allSatisfy { $0 == "served by \(serving.rawValue)" }
        } otherwise: {
            "last: \(lastAnswers)"
        }
    }
}

import Foundation
import Logging
@testable import VacataireCore
import VacataireTestSupport
import XCTest

@testable import VacataireAgent

/// The HTTP endpoint and the agent-check port over real sockets: in-process against a fixed
/// answer for the protocol's edges, and on a real pair for `/health`, `/status` and
/// `/metrics` moving with a failover.
final class HTTPEndpointTests: XCTestCase {
    private var pair: PairFixture?

    override func tearDown() {
        pair?.tearDown()
        pair = nil
    }

    // MARK: - The protocol, against a fixed answer

    struct FixedSource: LoadBalancerSource {
        var verdict: ServingVerdict
        func servingVerdict() async -> ServingVerdict { verdict }
        func status() async -> AgentStatus {
            AgentStatus(
                node: "alpha", cluster: "test", configuredRole: "master", state: "active", role: "active", epoch: 7,
                healthy: true, lastReason: "active: serving at epoch 7",
                peer: AgentStatus.Peer(name: "beta", role: "standby", healthy: true, epoch: 7, lastHeardSeconds: 0.1, addresses: []),
                checks: [], incidents: [], peerRejections: [:], outboxPending: 0, outboxExpired: 0)
        }
        func metricsText() async -> String { "# TYPE vacataire_epoch gauge\nvacataire_epoch 7.0\n" }
    }

    private static let loopbackAnyPort = FailoverConfig.Endpoint(host: HostAddress(host: "127.0.0.1"), port: Port(0))

    private func endpoint(_ verdict: ServingVerdict) async throws -> (HTTPEndpoint, Task<Void, Never>, Int) {
        let endpoint = try await HTTPEndpoint.bind(Self.loopbackAnyPort, source: FixedSource(verdict: verdict), logger: Logger(label: "test"))
        let task = Task { await endpoint.run() }
        let port = try XCTUnwrap(Int(endpoint.address.split(separator: ":").last ?? ""))
        return (endpoint, task, port)
    }

    private func stop(_ endpoint: HTTPEndpoint, _ task: Task<Void, Never>) async {
        await endpoint.close()
        task.cancel()
        await task.value
    }

    func testHealthIs200OnlyWhenActiveAndHealthy() async throws {
        let active = ServingVerdict(state: .active, role: .active, healthy: true)
        let (server, task, port) = try await endpoint(active)
        let response = try LoopbackClient.http(port: port, path: "/health")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.body, "active\n")
        XCTAssertEqual(response.headers["content-type"], "text/plain; charset=utf-8")
        XCTAssertEqual(response.headers["connection"], "close")
        await stop(server, task)

        for (verdict, word) in [
            (ServingVerdict(state: .standby, role: .standby, healthy: true), "standby"),
            (ServingVerdict(state: .quiescing, role: .standby, healthy: true, up: false), "quiescing"),
            (ServingVerdict(state: .failed, role: .failed, healthy: true), "failed"),
            (ServingVerdict(state: .maintenance, role: .standby, healthy: true), "maintenance"),
        ] {
            let (server, task, port) = try await endpoint(verdict)
            let response = try LoopbackClient.http(port: port, path: "/health?from=haproxy")
            XCTAssertEqual(response.status, 503, word)
            XCTAssertEqual(response.body, "\(word)\n")
            await stop(server, task)
        }
    }

    func testStatusMetricsAndRefusals() async throws {
        let (server, task, port) = try await endpoint(ServingVerdict(state: .active, role: .active, healthy: true))

        let status = try LoopbackClient.http(port: port, path: "/status")
        XCTAssertEqual(status.status, 200)
        XCTAssertEqual(status.headers["content-type"], "application/json")
        let decoded = try JSONDecoder.control.decode(AgentStatus.self, from: Data(status.body.utf8))
        XCTAssertEqual(decoded.epoch, 7)
        XCTAssertEqual(decoded.peer.name, "beta")

        let metrics = try LoopbackClient.http(port: port, path: "/metrics")
        XCTAssertEqual(metrics.status, 200)
        XCTAssertEqual(metrics.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertEqual(try PrometheusText(metrics.body).value("vacataire_epoch"), 7)

        let head = try LoopbackClient.http(port: port, method: "HEAD", path: "/health")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.body, "")
        XCTAssertEqual(head.headers["content-length"], "7")

        let post = try LoopbackClient.http(port: port, method: "POST", path: "/health", body: "x")
        XCTAssertEqual(post.status, 405)
        XCTAssertEqual(post.headers["allow"], "GET, HEAD")

        XCTAssertEqual(try LoopbackClient.http(port: port, path: "/").status, 404)
        XCTAssertEqual(try LoopbackClient.http(port: port, path: "/healthz").status, 404)
        XCTAssertEqual(try LoopbackClient.http(port: port, path: "/" + String(repeating: "a", count: 2000)).status, 414)
        let large = try LoopbackClient.http(port: port, method: "GET", path: "/health", body: String(repeating: "b", count: 10_000))
        XCTAssertEqual(large.status, 413)

        // Not HTTP at all: NIO's parser answers 400 and closes.
        let garbage = try LoopbackClient.exchange(port: port, send: "\u{1}\u{2}\u{3} nonsense\r\n\r\n")
        XCTAssertTrue(garbage.hasPrefix("HTTP/1.1 400"), garbage)
        await stop(server, task)
    }

    func testAgentCheckAnswersOneLineAndCloses() async throws {
        for (verdict, line) in [
            (ServingVerdict(state: .active, role: .active, healthy: true), "up ready #active\n"),
            (ServingVerdict(state: .standby, role: .standby, healthy: true), "down ready #standby\n"),
            // Better a sick master than no master: in rotation until its peer serves.
            (ServingVerdict(state: .active, role: .active, healthy: false), "up ready #unhealthy\n"),
            (ServingVerdict(state: .takingOver, role: .active, healthy: false, up: false), "down ready #taking-over\n"),
            (ServingVerdict(state: .maintenance, role: .standby, healthy: true), "maint #maintenance\n"),
            (ServingVerdict(state: .maintenance, role: .active, healthy: true), "up ready #active\n"),
        ] {
            let responder = try await AgentCheckResponder.bind(
                Self.loopbackAnyPort, source: FixedSource(verdict: verdict), logger: Logger(label: "test"))
            let task = Task { await responder.run() }
            let port = try XCTUnwrap(Int(responder.address.split(separator: ":").last ?? ""))
            XCTAssertEqual(try LoopbackClient.exchange(port: port), line)
            await responder.close()
            task.cancel()
            await task.value
        }
    }

    func testServingVerdictFollowsTheStateAndTheService() {
        XCTAssertEqual(ServingVerdict(state: .active, role: .active, healthy: nil).word, "unhealthy")
        for state in [FailoverStateName.starting, .takingOver, .quiescing] {
            let verdict = ServingVerdict(state: state, role: .active, healthy: true, up: false)
            XCTAssertFalse(verdict.serving, state.rawValue)
            XCTAssertEqual(verdict.httpStatus, 503)
            XCTAssertEqual(verdict.word, state.rawValue)
        }
        // Make before break: what the machine says is up stays in rotation.
        XCTAssertTrue(ServingVerdict(state: .takingOver, role: .active, healthy: true, up: true).serving)
        XCTAssertTrue(ServingVerdict(state: .quiescing, role: .standby, healthy: true, up: true).serving)
        let sick = ServingVerdict(state: .handingOff, role: .active, healthy: false, up: true)
        XCTAssertTrue(sick.serving, "better a sick master than no master")
        XCTAssertEqual(sick.word, "unhealthy")
        let maintained = ServingVerdict(state: .maintenance, role: .active, healthy: true)
        XCTAssertTrue(maintained.serving)
        XCTAssertEqual(maintained.httpStatus, 200)
        XCTAssertFalse(ServingVerdict(state: .maintenance, role: .active, healthy: false).serving)
    }

    // MARK: - On a real pair

    func testHealthStatusAndMetricsFollowAFailover() throws {
        let pair = try PairFixture(loadBalancer: true)
        self.pair = pair
        try pair.startBehindALoadBalancer()  // alpha /health 200 active, beta 503 standby

        let alphaStatus = try JSONDecoder.control.decode(AgentStatus.self, from: Data(try pair.get(.alpha, "/status").body.utf8))
        XCTAssertEqual(alphaStatus.node, "alpha")
        XCTAssertEqual(alphaStatus.state, "active")
        let cliStatus = try pair.admin(.alpha, ["status", "--json"])
        XCTAssertEqual(cliStatus.status, 0, cliStatus.stderr)
        let cliDecoded = try JSONDecoder.control.decode(AgentStatus.self, from: Data(cliStatus.stdout.utf8))
        XCTAssertEqual(cliDecoded.node, alphaStatus.node)
        XCTAssertEqual(cliDecoded.epoch, alphaStatus.epoch)

        let before = try metrics(.beta)
        XCTAssertEqual(before.types["vacataire_transitions_total"], "counter")
        XCTAssertEqual(before.types["vacataire_role"], "gauge")
        XCTAssertEqual(before.value("vacataire_role", ["role": "standby"]), 1)
        XCTAssertEqual(before.value("vacataire_role", ["role": "active"]), 0)
        XCTAssertEqual(before.value("vacataire_check_healthy", ["check": "app"]), 1)
        XCTAssertNotNil(before.value("vacataire_check_duration_seconds", ["check": "app"]))
        XCTAssertLessThan(try XCTUnwrap(before.value("vacataire_peer_last_heard_seconds")), 3)
        XCTAssertEqual(before.value("vacataire_notifications_total", ["result": "sent"]), 0)
        XCTAssertEqual(before.value("vacataire_peer_rejected_datagrams_total", ["reason": "bad-mac"]), 0)
        XCTAssertEqual(before.types["vacataire_peer_heartbeat_copies_total"], "counter")
        XCTAssertNotNil(before.value("vacataire_peer_heartbeat_copies_total"), "heartbeats repeated for a late agent: 0 or more")
        let received = try XCTUnwrap(before.value("vacataire_peer_datagrams_total", ["direction": "received"]))
        XCTAssertGreaterThan(received, 0, "beta heard alpha's heartbeats")
        XCTAssertGreaterThan(try XCTUnwrap(before.value("vacataire_peer_datagrams_total", ["direction": "sent"])), 0)
        let transitionsBefore = try XCTUnwrap(before.value("vacataire_transitions_total"))
        let epochBefore = try XCTUnwrap(before.value("vacataire_epoch"))

        try pair.breakCheck(.alpha)
        try pair.waitForHealth(.beta, status: 200, word: "active")
        try pair.waitForHealth(.alpha, status: 503, word: "failed")

        let after = try metrics(.beta)
        XCTAssertGreaterThan(try XCTUnwrap(after.value("vacataire_peer_datagrams_total", ["direction": "received"])), received,
                             "a counter that grows between scrapes")
        XCTAssertGreaterThan(try XCTUnwrap(after.value("vacataire_transitions_total")), transitionsBefore)
        XCTAssertGreaterThan(try XCTUnwrap(after.value("vacataire_epoch")), epochBefore)
        XCTAssertEqual(after.value("vacataire_role", ["role": "active"]), 1)
        XCTAssertEqual(after.value("vacataire_state", ["state": "active"]), 1)
        let alpha = try metrics(.alpha)
        XCTAssertEqual(alpha.value("vacataire_check_healthy", ["check": "app"]), 0)
        XCTAssertEqual(alpha.value("vacataire_healthy"), 0)
        XCTAssertEqual(alpha.value("vacataire_role", ["role": "failed"]), 1)
    }

    /// `/metrics` of `node`, parsed strictly.
    private func metrics(_ node: PairFixture.Node) throws -> PrometheusText {
        let response = try XCTUnwrap(pair).get(node, "/metrics")
        XCTAssertEqual(response.status, 200)
        return try PrometheusText(response.body)
    }
}

import Foundation
import VacataireTestSupport
import XCTest

/// A stop action that fails leaves a service that may still run: it escalates to the fence
/// command of the peer that needs the service off (Docs/failover.md, "When a stop fails").
final class FailedStopFenceTests: XCTestCase {
    private var pair: PairFixture?

    override func tearDown() {
        pair?.tearDown()
        pair = nil
    }

    /// Makes `service.sh stop NAME` fail while `stop-fails-NAME` exists, as a hung unit would.
    private func letStopFail(_ pair: PairFixture, _ node: PairFixture.Node) throws {
        let path = pair.directory.file("service.sh")
        let script = try String(contentsOfFile: path, encoding: .utf8)
        let failing = "set -eu\n[ \"$1\" = stop ] && [ -f \"stop-fails-$2\" ] && { echo \"cannot stop $2\" >&2; exit 1; }\n"
        try script.replacingOccurrences(of: "set -eu\n", with: failing).write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        _ = FileManager.default.createFile(atPath: pair.directory.file("stop-fails-\(node.rawValue)"), contents: nil)
    }

    /// Alpha fails over to beta and is repaired; beta's stop will fail.
    private func failOverThenLetBetaNotStop(_ pair: PairFixture) async throws {
        try await pair.startPair()
        try pair.breakCheck(.alpha)
        try await pair.waitUntil("beta serves", timeout: 20) { await pair.serving(.beta) && pair.status(.alpha)?.state == "failed" }
        try pair.repairCheck(.alpha)
        try await pair.waitUntil("alpha is healthy", timeout: 10) {
            ((try? pair.admin(.alpha, ["status"]).stdout) ?? "").contains("FAILED, epoch 2, healthy")
        }
        try letStopFail(pair, .beta)
    }

    func testAFailbackWhoseStandbyCannotStopFencesItAndOnlyTheMasterServes() async throws {
        // Alpha's fence command kills beta's service for good (here through its pid file).
        let fence = #"  fence: {command: "kill -9 $(cat run/beta.pid) && rm -f run/beta.pid", timeout: 2s}"# + "\n"
        let pair = try PairFixture(extraFor: [.alpha: fence])
        self.pair = pair
        try await failOverThenLetBetaNotStop(pair)

        let failback = try pair.admin(.alpha, ["failback"])
        XCTAssertEqual(failback.status, 0, failback.stdout + failback.stderr)
        try await pair.waitUntil("alpha is active", timeout: 20) { pair.status(.alpha)?.state == "active" }
        XCTAssertTrue(pair.log(.beta).contains("stop actions failed"), pair.log(.beta))
        XCTAssertTrue(pair.log(.alpha).contains("fencing it before serving alone"), pair.log(.alpha))
        try await pair.waitUntil("beta's service is off", timeout: 5) { !(await pair.serving(.beta)) }
        let alphaServes = await pair.serving(.alpha)
        XCTAssertTrue(alphaServes)
        XCTAssertNotEqual(pair.status(.beta)?.state, "active")
        // One page from beta: its stop failed and its service may still run; alpha's fence ended that.
        try await pair.waitUntil("beta's page arrives", timeout: 10) {
            pair.sink.messages().contains { $0.body.contains("stop actions failed") }
        }
    }

    func testWithoutAFenceCommandTheFailbackIsAbandonedAndTheServiceThatRunsStays() async throws {
        let pair = try PairFixture()
        self.pair = pair
        try await failOverThenLetBetaNotStop(pair)

        _ = try pair.admin(.alpha, ["failback"])
        try await pair.waitUntil("alpha gives the failback up", timeout: 20) { pair.log(.alpha).contains("no fence command is configured") }
        try await pair.waitUntil("alpha's service is off again", timeout: 10) { !(await pair.serving(.alpha)) }
        let betaServes = await pair.serving(.beta)
        XCTAssertTrue(betaServes, "beta's service still runs; the load balancer keeps one")
    }
}

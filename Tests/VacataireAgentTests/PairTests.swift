import Foundation
import VacataireTestSupport
import XCTest

/// Two real `vacataire run` processes on loopback (PairFixture): handoff, takeover after a
/// crash, a restarted failed master and its failback, and the witness guard. Real services, real peer
/// datagrams, real SMTP and SNMP receivers. Deadlines are generous; measured times are printed,
/// never asserted against a speed.
final class PairTests: XCTestCase {
    private var pair: PairFixture?

    override func tearDown() {
        pair?.tearDown()
        pair = nil
    }

    private func makePair(unreachableWitness: Bool = false) throws -> PairFixture {
        let made = try PairFixture(unreachableWitness: unreachableWitness)
        pair = made
        return made
    }

    // MARK: - (a) handoff

    func testFailingCheckOnMasterHandsTheServiceToStandby() async throws {
        let pair = try makePair()
        try await pair.startPair()
        try await handOff(pair)
    }

    /// Breaks alpha's check and checks the whole handoff: service, epochs, email and trap.
    private func handOff(_ pair: PairFixture) async throws {
        try pair.breakCheck(.alpha)
        let took = try await pair.waitUntil("beta serves", timeout: 20) { await pair.serving(.beta) }
        try await pair.waitUntil("alpha is failed", timeout: 15) {
            pair.transitions(.alpha).contains { $0.contains("-> failed") }
        }
        print("handoff: beta served \(String(format: "%.2f", took)) s after alpha.broken appeared")
        let alphaServes = await pair.serving(.alpha)
        let betaServes = await pair.serving(.beta)
        XCTAssertFalse(alphaServes, "alpha's service still answers\n\(pair.logs)")
        XCTAssertTrue(betaServes, "beta's service stopped answering\n\(pair.logs)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: pair.directory.file("run/alpha.pid")), "alpha's service pid file remains")
        XCTAssertTrue(FileManager.default.fileExists(atPath: pair.directory.file("run/beta.pid")), "beta's service has no pid file")

        try await pair.waitUntil("beta is active", timeout: 10) {
            pair.transitions(.beta).contains { $0.contains("taking-over -> active: active: took over from alpha at epoch 2") }
        }
        // alpha steps down on beta's handoff-done or on its first heartbeat as active at epoch 2, whichever comes first.
        XCTAssertTrue(pair.transitions(.alpha).contains { $0.contains("handing-off -> quiescing: ") && $0.contains("epoch 2") }, pair.logs)
        XCTAssertTrue(pair.transitions(.alpha).contains { $0.contains("quiescing -> failed: failed: service stopped") }, pair.logs)
        XCTAssertEqual(pair.epoch(.alpha), 2, pair.logs)
        XCTAssertEqual(pair.epoch(.beta), 2, pair.logs)

        // The role change is paged once, by beta (the node that ends up serving).
        let mail = try await waitForMail(pair, subjectContaining: "FAILOVER")
        XCTAssertEqual(mail.headers["subject"], "[pair-test] FAILOVER e2: beta is now active")
        XCTAssertTrue(mail.body.contains("Node:      beta"), mail.body)
        XCTAssertTrue(mail.body.contains("Event:     failover"), mail.body)
        XCTAssertTrue(mail.body.contains("Incident:  e2"), mail.body)
        XCTAssertTrue(mail.body.contains("took over: alpha is failing"), mail.body)
        let trap = try await waitForTrap(pair, oid: "vacFailover")
        XCTAssertEqual(trap.value("vacNodeName"), "STRING: beta")
        XCTAssertEqual(trap.value("vacEventKind"), "STRING: failover")
        XCTAssertEqual(pair.sink.messages().filter { $0.headers["subject"]?.contains("FAILOVER") == true }.count, 1,
                       "one page per role change: \(pair.sink.messages().map { $0.headers["subject"] ?? "" })")
    }

    // MARK: - (b) crashed master

    func testStandbyTakesOverFromACrashedMaster() async throws {
        let pair = try makePair()
        try await pair.startPair()
        pair.killAgent(.alpha)
        pair.killService(.alpha)
        let deadline = PairFixture.deadAfter + 8
        let took = try await pair.waitUntil("beta serves after alpha's crash", timeout: deadline) { await pair.serving(.beta) }
        print("takeover: beta served \(String(format: "%.2f", took)) s after kill -9 of alpha (dead_after \(PairFixture.deadAfter) s)")
        let alphaServes = await pair.serving(.alpha)
        XCTAssertFalse(alphaServes)
        try await pair.waitUntil("beta is active", timeout: 10) {
            pair.transitions(.beta).contains { $0.contains("taking-over -> active: active: took over from silent alpha at epoch 2") }
        }
        XCTAssertTrue(pair.transitions(.beta).contains {
            $0.contains("standby -> taking-over: taking over: no heartbeat from alpha") && $0.contains("alpha's service does not answer")
        }, pair.logs)

        let mail = try await waitForMail(pair, subjectContaining: "TAKEOVER")
        // The takeover belongs to the incident of the lost peer (epoch 1), one thread.
        XCTAssertEqual(mail.headers["subject"], "[pair-test] TAKEOVER: beta took over the service (e1-peer-lost)")
        XCTAssertTrue(mail.body.contains("Event:     takeover"), mail.body)
        XCTAssertTrue(mail.body.contains("Incident:  e1-peer-lost"), mail.body)
        let trap = try await waitForTrap(pair, oid: "vacTakeover")
        XCTAssertEqual(trap.value("vacNodeName"), "STRING: beta")
        XCTAssertEqual(trap.value("vacEventKind"), "STRING: takeover")
    }

    // MARK: - (c) restarted failed master

    func testRestartedFailedMasterStaysFailedUntilFailback() async throws {
        let pair = try makePair()
        try await pair.startPair()
        try await handOff(pair)
        XCTAssertEqual(pair.terminate(.alpha), 0, "SIGTERM ends the agent cleanly\n\(pair.logs)")
        XCTAssertTrue(pair.log(.alpha).contains("agent stopped in state failed (role failed, epoch 2)"), pair.logs)
        try pair.repairCheck(.alpha)  // repaired, yet no failback
        try pair.start(.alpha)
        try await pair.waitUntil("alpha decides after its restart", timeout: 15) {
            pair.transitions(.alpha).contains { $0.contains("-> failed: failed: I had failed before the restart") }
        }
        // It has decided (staying failed is the machine's rule, FailoverMachineTests): what
        // both nodes do follows from that decision.
        let alphaServes = await pair.serving(.alpha)
        let betaServes = await pair.serving(.beta)
        XCTAssertFalse(alphaServes, "a restarted failed master took its service back\n\(pair.logs)")
        XCTAssertTrue(betaServes, pair.logs)
        XCTAssertTrue(pair.isAgentRunning(.alpha), pair.logs)
        XCTAssertFalse(pair.transitions(.alpha).contains { $0.contains("-> active") || $0.contains("-> taking-over") }, pair.logs)
        XCTAssertFalse(pair.transitions(.beta).contains { $0.contains("active -> ") }, "beta left active\n\(pair.logs)")
        try await failBack(pair)
    }

    /// `vacataire failback` on the repaired, failed alpha: alpha serves again, beta stops.
    private func failBack(_ pair: PairFixture) async throws {
        try await pair.waitUntil("alpha's check is healthy", timeout: 10) {
            pair.log(.alpha).contains("check app failing -> healthy") || pair.log(.alpha).contains("check app pending -> healthy")
        }
        let result = try pair.admin(.alpha, ["failback"])
        XCTAssertEqual(result.status, 0, "\(result.stdout)\(result.stderr)\n\(pair.logs)")
        let took = try await pair.waitUntil("alpha serves again", timeout: 15) { await pair.serving(.alpha) }
        try await pair.waitUntil("beta's service stops", timeout: 10) { await !pair.serving(.beta) }
        print("failback: alpha served \(String(format: "%.2f", took)) s after `vacataire failback` returned")
        try await pair.waitUntil("alpha is active", timeout: 10) {
            pair.transitions(.alpha).contains { $0.contains("taking-over -> active: active: failback by ") }
        }
        XCTAssertTrue(pair.transitions(.beta).contains { $0.contains("quiescing -> standby") }, pair.logs)
        // beta quiesces at epoch 3; alpha starts at 3, or at 4 when a heartbeat of beta's at 3 came
        // before the quiesce-done (both are above every epoch at which beta was active). The
        // daemons' own status must agree on it once beta has heard alpha at that epoch.
        try await pair.waitUntil("both daemons report the same epoch, alpha active", timeout: 10) {
            guard let alpha = pair.status(.alpha), let beta = pair.status(.beta) else { return false }
            return alpha.state == "active" && beta.state == "standby" && alpha.epoch == beta.epoch && alpha.epoch >= 3
        }
        let epoch = try XCTUnwrap(pair.epoch(.alpha))
        XCTAssertTrue(pair.transitions(.alpha).contains { $0.contains("active: failback by ") && $0.contains("at epoch \(epoch)") }, pair.logs)
        XCTAssertFalse(FileManager.default.fileExists(atPath: pair.directory.file("run/beta.pid")), "beta's service pid file remains")

        let mail = try await waitForMail(pair, subjectContaining: "FAILBACK")
        XCTAssertTrue(mail.headers["subject"]?.hasPrefix("[pair-test] FAILBACK: service back on alpha") == true, "\(mail.headers)")
        let trap = try await waitForTrap(pair, oid: "vacFailback")
        XCTAssertEqual(trap.value("vacNodeName"), "STRING: alpha")
    }

    // MARK: - (c') power loss and a failed standby made ready

    /// Both machines lose power: agents and services die together and come back together.
    /// alpha, active before, starts its service anew (it is simply not running yet) and
    /// serves; nobody is paged for a restart.
    func testPowerLossOfBothNodesTheMasterServesAgainWithoutAPage() async throws {
        let pair = try makePair()
        try await pair.startPair()
        XCTAssertTrue(pair.waitUntilNotificationsSettled(), pair.logs)
        let pagesBefore = pages(pair)
        for node in PairFixture.Node.allCases {
            pair.killAgent(node)
            pair.killService(node)
        }
        try pair.start(.alpha)
        try pair.start(.beta)
        let took = try await pair.waitUntil("alpha serves again", timeout: 20) { await pair.serving(.alpha) }
        print("power loss: alpha served \(String(format: "%.2f", took)) s after both agents started again")
        try await pair.waitUntil("alpha resumed", timeout: 10) {
            pair.transitions(.alpha).contains { $0.contains("taking-over -> active: active: resumed my service after a restart") }
        }
        try await pair.waitUntil("beta is standby", timeout: 10) { pair.status(.beta)?.state == "standby" }
        XCTAssertTrue(pair.waitUntilNotificationsSettled(), pair.logs)
        let betaServes = await pair.serving(.beta)
        XCTAssertFalse(betaServes, pair.logs)
        XCTAssertEqual(pages(pair), pagesBefore, "a restart alone pages nobody\n\(pair.logs)")
    }

    /// beta's start fails when alpha hands off (its directory is a file): beta is failed,
    /// alpha keeps serving. Repaired, `vacataire ready` makes beta standby again without
    /// moving the service, and the next failure of alpha hands off to it.
    func testReadyReturnsARepairedFailedStandbyWithoutMovingTheService() async throws {
        let pair = try makePair()
        try await pair.startPair()
        let blocker = try pair.directory.write("www-beta", "not a directory: beta's start fails\n")
        try pair.breakCheck(.alpha)
        try await pair.waitUntil("beta is failed", timeout: 30) { pair.status(.beta)?.state == "failed" }
        let alphaKept = await pair.serving(.alpha)
        XCTAssertTrue(alphaKept, "better a sick master than no master\n\(pair.logs)")
        try FileManager.default.removeItem(atPath: blocker)
        try pair.repairCheck(.alpha)
        try await pair.waitUntil("alpha's checks pass again", timeout: 15) {
            (pair.statusObject(.alpha)?["healthy"] as? Bool) == true
        }
        let statusText = try pair.admin(.beta, ["status"]).stdout
        XCTAssertTrue(statusText.contains("vacataire ready"), "status tells when to use ready\n\(statusText)")
        let ready = try pair.admin(.beta, ["ready"])
        XCTAssertEqual(ready.status, 0, "\(ready.stdout)\(ready.stderr)\n\(pair.logs)")
        XCTAssertTrue(ready.stdout.contains("done: beta is standby at epoch"), ready.stdout)
        try await pair.waitUntil("beta is standby", timeout: 10) { pair.status(.beta)?.state == "standby" }
        let alphaServes = await pair.serving(.alpha)
        XCTAssertTrue(alphaServes, "ready moved nothing\n\(pair.logs)")
        XCTAssertEqual(pair.status(.alpha)?.state, "active", pair.logs)
        let again = try pair.admin(.beta, ["ready"])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stdout.contains("only a failed node is made ready; this node is standby"), again.stdout)
        // Protected again: alpha's next failure hands off to beta.
        try pair.breakCheck(.alpha)
        try await pair.waitUntil("beta serves", timeout: 30) { await pair.serving(.beta) }
    }

    // MARK: - SIGTERM in the middle of a handoff

    /// `systemctl stop` on the master while it hands off (beta's start takes 3 s): alpha's
    /// agent finishes the handoff, stops its service, and only then exits. One node serves.
    func testSIGTERMToTheMasterDuringAHandoffStopsItsServiceBeforeExiting() async throws {
        let pair = try makePair()
        let log = try await sigtermDuringAHandoff(pair, to: .alpha, phase: "handing-off")
        XCTAssertTrue(pair.transitions(.alpha).contains { $0.contains("quiescing -> failed") }, log)
        XCTAssertTrue(log.contains("agent stopped in state failed"), log)
        await assertOnlyBetaServes(pair, "alpha's agent left its service running after a handoff")
    }

    /// `systemctl stop` on the standby while it takes over (its start takes 3 s): beta's
    /// agent finishes the take-over (start, verify, confirm), alpha stops on the
    /// confirmation, then beta exits, its service left running. One node serves.
    func testSIGTERMToTheStandbyDuringItsTakeOverFinishesIt() async throws {
        let pair = try makePair()
        let log = try await sigtermDuringAHandoff(pair, to: .beta, phase: "taking-over")
        XCTAssertTrue(pair.transitions(.beta).contains { $0.contains("taking-over -> active") }, log)
        try await pair.waitUntil("alpha's service stops", timeout: 15) { await !pair.serving(.alpha) }
        let betaServes = await pair.serving(.beta)
        XCTAssertTrue(betaServes, pair.logs)
    }

    /// `systemctl stop` on the master while its stop runs after the handoff (its stop takes
    /// 0.7 s of its 1 s timeout): the agent waits for the stop, then exits. One node serves.
    func testSIGTERMToTheMasterWhileItStopsAfterAHandoffFinishesTheStop() async throws {
        let pair = try makePair()
        try await pair.startPair()
        try slowAction(pair, "stop", .alpha, seconds: "0.7")
        try pair.breakCheck(.alpha)
        try await pair.waitUntil("alpha's stop runs", timeout: 15) { FileManager.default.fileExists(atPath: pair.directory.file("alpha.stopping")) }
        XCTAssertEqual(pair.terminate(.alpha, grace: 60), 0, pair.logs)
        let log = pair.log(.alpha)
        XCTAssertTrue(log.contains("finishing the quiescing in flight first"), log)
        await assertOnlyBetaServes(pair, "alpha's agent exited before its stop")
    }

    /// Beta's service answers and alpha's does not (`why` if alpha's does).
    private func assertOnlyBetaServes(_ pair: PairFixture, _ why: String) async {
        let alphaServes = await pair.serving(.alpha)
        let betaServes = await pair.serving(.beta)
        XCTAssertFalse(alphaServes, "\(why)\n\(pair.logs)")
        XCTAssertTrue(betaServes, pair.logs)
    }

    /// `systemctl stop` on the standby while it stops its service for a failback (its stop
    /// takes 0.7 s of its 1 s timeout): it finishes the stop, then exits; alpha serves alone.
    func testSIGTERMToTheStandbyWhileItStopsForAFailbackFinishesIt() async throws {
        let pair = try makePair()
        try await pair.startPair()
        try pair.breakCheck(.alpha)
        try await pair.waitUntil("beta serves", timeout: 20) { await pair.serving(.beta) }
        try await pair.waitUntil("alpha's service stops", timeout: 15) { await !pair.serving(.alpha) }
        try pair.repairCheck(.alpha)
        try slowAction(pair, "stop", .beta, seconds: "0.7")
        try await pair.waitUntil("alpha's checks pass again", timeout: 20) { pair.statusObject(.alpha)?["healthy"] as? Bool == true }
        // `vacataire failback` waits for the outcome: run it beside the test.
        let failback = Thread { _ = try? pair.admin(.alpha, ["failback"]) }
        failback.start()
        try await pair.waitUntil("beta's stop runs", timeout: 15) { FileManager.default.fileExists(atPath: pair.directory.file("beta.stopping")) }
        XCTAssertEqual(pair.terminate(.beta, grace: 60), 0, pair.logs)
        XCTAssertTrue(pair.log(.beta).contains("finishing the quiescing in flight first"), pair.log(.beta))
        let betaServes = await pair.serving(.beta)
        XCTAssertFalse(betaServes, "beta's agent exited before its stop\n\(pair.logs)")
        try await pair.waitUntil("alpha serves", timeout: 15) { await pair.serving(.alpha) }
    }

    /// Starts the pair, slows beta's start to 3 s, breaks alpha's check, and once `node` is
    /// in `phase` sends it SIGTERM (systemd's stop, with its time to finish): returns the
    /// stopped agent's log, after checking that it exited cleanly and said what it finished.
    private func sigtermDuringAHandoff(_ pair: PairFixture, to node: PairFixture.Node, phase: String) async throws -> String {
        try await pair.startPair()
        try slowStart(pair, .beta, seconds: 3)
        try pair.breakCheck(.alpha)
        try await pair.waitUntil("\(node.rawValue) is \(phase)", timeout: 15) { pair.transitions(node).contains { $0.contains("-> \(phase)") } }
        XCTAssertEqual(pair.terminate(node, grace: 60), 0, pair.logs)
        let log = pair.log(node)
        XCTAssertTrue(log.contains("agent stopping: finishing the \(phase) in flight first"), log)
        return log
    }

    /// Makes `node`'s start action take `seconds` longer: the pair's service.sh behind a wrapper.
    private func slowStart(_ pair: PairFixture, _ node: PairFixture.Node, seconds: Int) throws {
        try slowAction(pair, "start", node, seconds: "\(seconds)")
    }

    /// Makes `node`'s `action` (start or stop) take `seconds` longer (once per pair), after
    /// creating NODE.{action}ping (alpha.stopping) in the pair's directory.
    private func slowAction(_ pair: PairFixture, _ action: String, _ node: PairFixture.Node, seconds: String) throws {
        let real = pair.directory.file("service-real.sh")
        try FileManager.default.moveItem(atPath: pair.directory.file("service.sh"), toPath: real)
        let wrapper = try pair.directory.write("service.sh", """
            #!/bin/sh
            [ "$1" = \(action) ] && [ "$2" = \(node.rawValue) ] && touch \(node.rawValue).\(action == "stop" ? "stopping" : "starting") && sleep \(seconds)
            exec ./service-real.sh "$@"

            """)
        chmod(wrapper, 0o755)
    }

    /// The pages both nodes sent so far: mails whose subject names a role change or a loss.
    private func pages(_ pair: PairFixture) -> [String] {
        pair.sink.messages().compactMap { $0.headers["subject"] }
            .filter { ["FAILOVER", "TAKEOVER", "PEER LOST", "NOBODY"].contains(where: $0.contains) }
    }

    // MARK: - (d) witness unreachable

    func testStandbyThatCannotReachTheWitnessDoesNotTakeOver() async throws {
        let pair = try makePair(unreachableWitness: true)
        try await pair.startPair()
        pair.killAgent(.alpha)
        pair.killService(.alpha)
        // Its decision (probing again every dead_after while the peer stays silent, the same
        // refusal each time, is the machine's: FailoverMachineTests).
        try await pair.waitUntil("beta's guard refuses", timeout: PairFixture.deadAfter + 5) {
            // The incident's epoch is the last beta heard of (e1, or e0 when alpha died before its first active heartbeat reached beta).
            pair.log(.beta).contains("-peer-lost): peer lost, not taking over: the witness does not answer")
        }
        let betaServes = await pair.serving(.beta)
        XCTAssertFalse(betaServes, "beta took over without its witness\n\(pair.logs)")
        XCTAssertFalse(pair.transitions(.beta).contains { $0.contains("-> taking-over") || $0.contains("-> active") }, pair.logs)
        XCTAssertTrue(pair.log(.beta).contains("-peer-lost (peer-lost) opened: peer lost: no heartbeat from alpha"), pair.logs)
        let peerLostMail = try await waitForMail(pair, subjectContaining: "PEER LOST: beta cannot hear alpha")
        XCTAssertTrue(peerLostMail.body.contains("Event:     peer-lost"), peerLostMail.body)
    }

    // MARK: - Helpers

    private func waitForMail(_ pair: PairFixture, subjectContaining text: String) async throws -> SMTPSink.Received {
        var found: SMTPSink.Received?
        try await pair.waitUntil("an email whose subject contains \(text)", timeout: 10) {
            found = pair.sink.messages().first { $0.headers["subject"]?.contains(text) == true }
            return found != nil
        }
        return try XCTUnwrap(found)
    }

    private func waitForTrap(_ pair: PairFixture, oid: String) async throws -> TrapReceiver.Received {
        var found: TrapReceiver.Received?
        try await pair.waitUntil("a trap \(oid)", timeout: 10) {
            found = pair.traps.notifications().first { $0.value("snmpTrapOID") == "OID: LE-VACATAIRE-MIB::\(oid)" }
            return found != nil
        }
        return try XCTUnwrap(found)
    }
}

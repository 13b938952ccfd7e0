import Foundation
import VacataireNotify
import VacataireTestSupport
import XCTest

/// The operator-seat suite: the pair as operators deploy it (`PairFixture.deployed()`: three
/// namespace hosts, real HAProxy, aiosmtpd with STARTTLS and AUTH, snmptrapd with SNMPv3
/// authPriv, a web service started and stopped by the agents and checked by an `http` check
/// of its exact page size), asserting what people and the load balancer see: mails and traps
/// per incident, and lb's samples of both services and of HAProxy every 20 ms.
///
/// Every scenario prints its figures (`[operator] ...` lines). `VACATAIRE_KEEP_PAIR=1` keeps the lab's files
/// (agents' logs, configurations, samples) and prints where.
final class OperatorScenarioTests: XCTestCase {
    private var lab: PairFixture?

    override func tearDown() {
        lab?.tearDown()
        lab = nil
    }

    // MARK: - The lab itself

    /// The lab's plumbing, as every scenario relies on it: from inside each node's
    /// namespace, `vacataire notify-test` reaches lb's SMTP server (STARTTLS, AUTH) and NMS
    /// (SNMPv3 authPriv with the node's engine id); lb samples both services and HAProxy.
    func testLabDeliversThroughTheLoadBalancerHost() throws {
        let lab = try PairFixture.deployed()
        self.lab = lab
        let mark = lab.mark()
        for node in PairFixture.Node.allCases {
            let result = try lab.onNode(node, ["notify-test"])
            XCTAssertEqual(result.status, 0, "notify-test from \(node.rawValue): \(result.stdout)\(result.stderr)")
        }
        let mails = try lab.sink.waitForMessages(mark.mails + 2, timeout: 20).dropFirst(mark.mails)
        let traps = try lab.traps.waitForNotifications(mark.traps + 2, timeout: 20).dropFirst(mark.traps)
        XCTAssertEqual(mails.count, 2)
        for mail in mails {
            XCTAssertTrue(mail.tls && mail.authenticated, "a mail arrived without STARTTLS or AUTH: \(mail.headers)")
        }
        XCTAssertEqual(Set(mails.compactMap { $0.headers["x-vacataire-node"] }), ["alpha", "beta"])
        for trap in traps {
            XCTAssertTrue(trap.security.contains("SNMP v3, user vacataire"), "a trap arrived without the SNMPv3 user: \(trap.security)")
        }
        XCTAssertTrue(lab.waitUntil(timeout: 5) { lab.samples.samples.count >= 10 }, "lb's sampler wrote no samples")
        let last = try XCTUnwrap(lab.lastSample)
        XCTAssertEqual(last.alpha.who, "refused", "no agent runs, so alpha's service is off: \(last.alpha)")
        XCTAssertEqual(last.frontend.status, 503, "HAProxy has no server up: \(last.frontend)")
    }

    // MARK: - Scenarios

    /// The master's page is truncated (1024 of 4096 bytes): one page (one failover mail and
    /// one trap) that names the failing check and its output; once the standby's service
    /// answers, no sample without a serving node; both answer only in one short window
    /// (the standby's start and verification), which is measured.
    func testTruncatedPageOnTheMasterPagesOnceAndNeverLeavesTheServiceDown() throws {
        let lab = try startLab()
        let mark = lab.mark()
        try lab.truncatePage(.alpha, true)
        let betaAnswered = lab.waitUntil(timeout: 20) { lab.samples.since(mark.time).first(where: \.beta.answers) != nil }
        let alphaStopped = betaAnswered && lab.waitUntil(timeout: 20) {
            guard let last = lab.lastSample else { return false }
            return !last.alpha.answers && last.beta.answers
        }
        lab.waitUntilNotificationsSettled()
        let samples = lab.samples.since(mark.time)
        let mails = lab.mails(since: mark)
        let traps = lab.trapsReceived(since: mark)
        report("truncated page on the master", lab: lab, mark: mark, mails: mails, traps: traps)

        XCTAssertTrue(betaAnswered, "beta's service never answered within 20 s of alpha's page being truncated\n\(lab.logs)")
        XCTAssertTrue(alphaStopped, "alpha's service did not stop with beta's answering within 20 s\n\(lab.allTransitions(.alpha))")
        if let started = samples.first(where: \.beta.answers) {
            let after = samples.since(started.time)
            let overlap = after.duration(where: \.both)
            print(String(
                format: "[operator] beta's service answered %.3f s after the truncation; then both answered for %.3f s in %d window(s); nobody answered in %d sample(s) (%.3f s)",
                started.time.timeIntervalSince(mark.time), overlap, after.windows(where: \.both).count, after.nobodyCount,
                after.duration(where: \.nobody)))
            print(String(
                format: "[operator] HAProxy answered other than 200 in %d sample(s) (%.3f s) after the truncation, %d of them after beta's service answered",
                samples.frontendErrors.count, samples.duration { !$0.frontend.answers }, after.frontendErrors.count))
            XCTAssertEqual(after.nobodyCount, 0, "samples with nobody serving after beta's service started:\n\(samples.timeline(since: mark.time))")
            // The failing master leaves the rotation as soon as it hears its verified
            // replacement serves: HAProxy gives out its truncated page for at most about one
            // of its check intervals (200 ms) once it routes to beta.
            if let routed = samples.first(where: { $0.frontend.answers && $0.frontend.who == "beta" }) {
                let truncated = samples.since(routed.time).duration { $0.frontend.answers && $0.frontend.who == "alpha" }
                print(String(format: "[operator] HAProxy served alpha's truncated page for %.3f s after it first routed to beta", truncated))
                XCTAssertLessThanOrEqual(truncated, 0.3, "alpha's truncated page after HAProxy routed to beta:\n\(samples.timeline(since: mark.time))")
            }
            XCTAssertLessThanOrEqual(after.windows(where: \.both).count, 1, "both answered in more than one window:\n\(samples.timeline(since: mark.time))")
        }
        XCTAssertEqual(mails.pages.count, 1, "pages by mail for one failover:\n\(mails.listing)")
        XCTAssertEqual(traps.pages.count, 1, "pages by trap for one failover:\n\(traps.listing)")
        let failover = mails.filter { $0.event == "failover" }
        XCTAssertEqual(failover.count, 1, "failover mails:\n\(mails.listing)")
        if let page = failover.first {
            XCTAssertTrue(page.body.contains("home-page"), "the failover page names the failing check `home-page`:\n\(page.body)")
            XCTAssertTrue(
                page.body.contains("expected \(PairFixture.pageBytes) bytes, got 1024"),
                "the failover page gives the check's output (expected 4096 bytes, got 1024):\n\(page.body)")
        }
    }

    /// The master loses both links (public and peer), then gets them back, and the admin
    /// fails back: the whole incident is one mail thread, nothing of it is delivered after
    /// the mail that closed it (the failback), and lb never sees both services answer.
    func testIsolatedMasterAndRejoinMakeOneIncidentThread() throws {
        let lab = try startLab()
        let mark = lab.mark()
        try lab.network.setPrivateLink(up: false)
        try lab.network.setPublicLink(.alpha, up: false)
        // The isolated master steps down and queues the page it cannot deliver; beta takes over.
        let alphaQueued = lab.waitUntil(timeout: 20) {
            guard let status = lab.statusObject(.alpha) else { return false }
            return status["state"] as? String != "active" && (status["outboxPending"] as? Int ?? 0) > 0
        }
        let queuedAt = Date()
        let betaAnswered = lab.waitUntil(timeout: 20) { lab.lastSample?.beta.answers == true }
        // The cut lasts long enough for what alpha queued to arrive late, as after any real
        // isolation (NotifiableEvent.lateAfter).
        Thread.sleep(until: queuedAt.addingTimeInterval(NotifiableEvent.lateAfter))
        let rejoined = lab.mark()
        try lab.network.setPublicLink(.alpha, up: true)
        try lab.network.setPrivateLink(up: true)
        lab.waitUntilNotificationsSettled()

        let failbackMark = lab.mark()
        var failback = try lab.admin(.alpha, ["failback"])
        print("[operator] vacataire failback on alpha: exit \(failback.status): \(failback.stdout)\(failback.stderr)")
        if failback.status != 0 {
            XCTFail("`vacataire failback` on the rejoined master failed (exit \(failback.status)): \(failback.stdout)\(failback.stderr)")
            failback = try lab.admin(.alpha, ["failback", "--force"])
            print("[operator] vacataire failback --force on alpha: exit \(failback.status): \(failback.stdout)\(failback.stderr)")
        }
        let alphaBack = lab.waitUntil(timeout: 20) { lab.frontendServes(.alpha) }
        lab.waitUntilNotificationsSettled()
        let samples = lab.samples.since(mark.time)
        let mails = lab.mails(since: mark)
        let traps = lab.trapsReceived(since: mark)
        report("master isolated and rejoined", lab: lab, mark: mark, mails: mails, traps: traps)
        print(String(
            format: "[operator] rejoined %.3f s after the cut; mails before the rejoin: %d, after: %d",
            rejoined.time.timeIntervalSince(mark.time), rejoined.mails - mark.mails, mails.count - (rejoined.mails - mark.mails)))

        XCTAssertTrue(betaAnswered, "beta's service never answered within 20 s of alpha's isolation\n\(lab.logs)")
        XCTAssertTrue(alphaQueued, "the isolated alpha did not step down with a page queued within 20 s:\n\(lab.allTransitions(.alpha))")
        XCTAssertTrue(alphaBack, "HAProxy did not serve alpha's page within 20 s of the failback")
        // Until the failback: a failback is make-before-break, so both may answer during it.
        let beforeFailback = samples.since(mark.time, until: failbackMark.time)
        print(String(
            format: "[operator] before the failback: both answering in %d sample(s), nobody in %d (%.3f s); during and after it: both answering %.3f s, nobody %.3f s",
            beforeFailback.bothCount, beforeFailback.nobodyCount, beforeFailback.duration(where: \.nobody),
            samples.since(failbackMark.time).duration(where: \.both), samples.since(failbackMark.time).duration(where: \.nobody)))
        XCTAssertEqual(beforeFailback.bothCount, 0, "samples where both services answered:\n\(samples.timeline(since: mark.time))")
        let threads = Set(mails.compactMap(\.threadRoot))
        XCTAssertEqual(threads.count, 1, "the incident's mails are in \(threads.count) threads (\(threads.sorted())):\n\(mails.listing)")
        let unthreaded = mails.filter { $0.threadRoot == nil }
        XCTAssertTrue(unthreaded.isEmpty, "mails outside any incident thread:\n\(unthreaded.listing)")
        // Three mails tell it: beta's takeover, beta's peer found, alpha's failback. What the
        // cut-off master wrote while isolated is not mailed late: its failback tells it.
        XCTAssertLessThanOrEqual(mails.count, 3, "an isolation is told in three mails at most:\n\(mails.listing)")
        let late = mails.filter { $0.node == "alpha" && $0.event == "peer-lost" }
        XCTAssertTrue(late.isEmpty, "alpha's self-fence page arrived after the rejoin:\n\(late.listing)")
        if let alphasFailback = mails.first(where: { $0.node == "alpha" && $0.event == "failback" }) {
            XCTAssertTrue(alphasFailback.body.contains("while cut off") && alphasFailback.body.contains("PEER-LOST at"),
                          "alpha's failback does not tell the page it could not send:\n\(alphasFailback.body)")
        }
        if let close = mails.first(where: { $0.event == "failback" }) {
            let late = mails.filter { $0.index > close.index && ($0.isPage || $0.threadRoot == close.threadRoot) }
            XCTAssertTrue(late.isEmpty, "delivered after the mail that closed the incident (#\(close.index)):\n\(late.listing)")
        } else {
            XCTFail("no FAILBACK mail closed the incident:\n\(mails.listing)")
        }
        if let close = traps.first(where: { $0.event == "failback" }) {
            let late = traps.filter { $0.index > close.index && $0.isPage }
            XCTAssertTrue(late.isEmpty, "traps after the one that closed the incident (#\(close.index)):\n\(late.listing)")
        } else {
            XCTFail("no FAILBACK trap closed the incident:\n\(traps.listing)")
        }
    }

    /// The private peer link (the only peer path) is cut while both nodes and the witness
    /// are fine, until the standby has decided and the warning is out, then restored: at
    /// most one warning and one recovery, by mail and by trap; no role changes, alpha
    /// serves throughout.
    func testPeerLinkCutWithBothHealthyWarnsOnceAndRecoversOnce() throws {
        let lab = try startLab()
        let changesBefore = PairFixture.Node.allCases.map { lab.stateChanges($0).count }
        let mark = lab.mark()
        try lab.network.setPrivateLink(up: false)
        // The standby's decision, and the warning delivered.
        let refused = lab.waitUntil(timeout: 20) { lab.transitions(.beta).contains { $0.contains("not taking over") } }
        lab.waitUntilNotificationsSettled()
        let restored = lab.mark()
        try lab.network.setPrivateLink(up: true)
        let rejoined = lab.waitUntil(timeout: 20) {
            PairFixture.Node.allCases.allSatisfy { node in
                guard let peer = lab.statusObject(node)?["peer"] as? [String: Any], let heard = peer["lastHeardSeconds"] as? Double else { return false }
                return heard < PairFixture.heartbeat * 5
            }
        }
        lab.waitUntilNotificationsSettled()
        let samples = lab.samples.since(mark.time)
        let mails = lab.mails(since: mark)
        let traps = lab.trapsReceived(since: mark)
        report("peer link cut with both healthy", lab: lab, mark: mark, mails: mails, traps: traps)
        let newChanges = zip(PairFixture.Node.allCases, changesBefore).flatMap { node, count in
            lab.stateChanges(node).dropFirst(count).map { "\(node.rawValue): \($0)" }
        }
        print("[operator] state changes after the cut:\n\(newChanges.joined(separator: "\n"))")
        print("[operator] mails during the cut: \(restored.mails - mark.mails), after the restore: \(mails.count - (restored.mails - mark.mails))")

        XCTAssertTrue(refused, "beta recorded no refusal to take over within 20 s of the cut:\n\(lab.allTransitions(.beta))")
        XCTAssertTrue(rejoined, "the nodes did not hear each other within 20 s of the link's restore:\n\(lab.logs)")
        XCTAssertTrue(newChanges.isEmpty, "state changes during a peer-link cut with both healthy:\n\(newChanges.joined(separator: "\n"))")
        let events = try lab.onNode(.beta, ["events"]).stdout
        XCTAssertTrue(events.contains("peer lost"), "the standby records the peer-lost incident\n\(events)")
        XCTAssertTrue(events.contains("service still answers") || events.contains("not taking over"), "the guard's refusal is recorded\n\(events)")
        XCTAssertFalse(samples.samples.contains { $0.beta.answers }, "beta's service answered:\n\(samples.timeline(since: mark.time))")
        XCTAssertTrue(samples.samples.allSatisfy { $0.alpha.answers }, "alpha's service stopped answering:\n\(samples.timeline(since: mark.time))")
        let recoveryKinds: Set<String> = ["peer-found", "check-recovered"]
        XCTAssertLessThanOrEqual(mails.filter { !recoveryKinds.contains($0.event) }.count, 1, "warning mails:\n\(mails.listing)")
        XCTAssertLessThanOrEqual(mails.filter { recoveryKinds.contains($0.event) }.count, 1, "recovery mails:\n\(mails.listing)")
        XCTAssertLessThanOrEqual(traps.filter { !recoveryKinds.contains($0.event) }.count, 1, "warning traps:\n\(traps.listing)")
        XCTAssertLessThanOrEqual(traps.filter { recoveryKinds.contains($0.event) }.count, 1, "recovery traps:\n\(traps.listing)")
        XCTAssertFalse(mails.contains { PairFixture.roleChangeKinds.contains($0.event) }, "a mail announces a role change:\n\(mails.listing)")
        XCTAssertFalse(traps.contains { PairFixture.roleChangeKinds.contains($0.event) }, "a trap announces a role change:\n\(traps.listing)")
    }

    /// The standby alone is cut off (peer link and public network: neither alpha, nor
    /// alpha's service, nor the witness answers it): it cannot tell a dead master from its
    /// own isolation, so it never starts its service; alpha serves throughout.
    func testIsolatedStandbyNeverTakesOver() throws {
        let lab = try startLab()
        let changesBefore = lab.stateChanges(.beta).count
        let mark = lab.mark()
        try lab.network.setPrivateLink(up: false)
        try lab.network.setPublicLink(.beta, up: false)
        // Its decision: the witness does not answer, so it may be the isolated one.
        let refused = lab.waitUntil(timeout: 20) { lab.transitions(.beta).contains { $0.contains("not taking over: the witness does not answer") } }
        let curl = try lab.network.command(in: .beta, ["/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "1",
                                                   "http://127.0.0.1:\(PairFixture.deployedServicePort)/"])
        let service = try Repository.run(curl[0], Array(curl.dropFirst()))
        let samples = lab.samples.since(mark.time)
        let betaChanges = lab.stateChanges(.beta).dropFirst(changesBefore)
        print("[operator] beta's state changes while isolated:\n\(betaChanges.joined(separator: "\n"))")
        print("[operator] \(samples.summary(since: mark.time))")

        XCTAssertTrue(refused, "the isolated beta recorded no refusal (witness unreachable) within 20 s:\n\(lab.allTransitions(.beta))")
        XCTAssertFalse(betaChanges.contains { $0.contains("-> taking-over") || $0.contains("-> active") },
                       "the isolated standby took over:\n\(betaChanges.joined(separator: "\n"))\n\(lab.log(.beta))")
        XCTAssertEqual(service.stdout, "000", "beta's own service answers on beta (it must be off): \(service.stdout)")
        XCTAssertTrue(samples.samples.allSatisfy { $0.alpha.answers }, "alpha's service stopped answering:\n\(samples.timeline(since: mark.time))")
        XCTAssertTrue(samples.samples.allSatisfy { $0.frontend.answers }, "HAProxy stopped answering:\n\(samples.timeline(since: mark.time))")
    }

    /// alpha's machine crashes (every process in its namespace killed): beta takes over,
    /// and the people on call get exactly one page (one mail, one trap).
    func testMasterCrashPagesOnce() throws {
        let lab = try startLab()
        let mark = lab.mark()
        lab.crash(.alpha)
        let betaServes = lab.waitUntil(timeout: 25) { lab.frontendServes(.beta) }
        lab.waitUntilNotificationsSettled()
        let samples = lab.samples.since(mark.time)
        let mails = lab.mails(since: mark)
        let traps = lab.trapsReceived(since: mark)
        report("master crash", lab: lab, mark: mark, mails: mails, traps: traps)
        if let first = samples.first(where: \.beta.answers) {
            print(String(format: "[operator] beta's service answered %.3f s after the crash", first.time.timeIntervalSince(mark.time)))
        }

        XCTAssertTrue(betaServes, "HAProxy did not serve beta's page within 25 s of alpha's crash\n\(lab.logs)")
        XCTAssertEqual(mails.pages.count, 1, "pages by mail for one crash:\n\(mails.listing)")
        XCTAssertEqual(traps.pages.count, 1, "pages by trap for one crash:\n\(traps.listing)")
    }

    /// alpha's agent is killed (kill -9) and left dead for 60 s while its service runs on: beta must
    /// not take over (the service answers), and warns once that nothing protects it; when
    /// alpha's agent is back, one recovery. The service and HAProxy answer throughout.
    func testActiveAgentKilledAndLeftDeadWarnsOnceThenRecoversOnce() throws {
        let lab = try startLab()
        let mark = lab.mark()
        lab.killAgent(.alpha)
        let killedAt = Date()
        let warned = lab.waitUntil(timeout: 40) { lab.mails(since: mark).contains { $0.event == "peer-lost" } }
        // Left dead for a minute, well past the warning: nothing more is sent.
        Thread.sleep(until: killedAt.addingTimeInterval(60))
        let dead = lab.mark()
        try lab.start(.alpha)
        let recovered = lab.waitUntil(timeout: 30) { lab.mails(since: mark).contains { $0.event == "peer-found" } }
        lab.waitUntilNotificationsSettled()
        let samples = lab.samples.since(mark.time)
        let mails = lab.mails(since: mark)
        let traps = lab.trapsReceived(since: mark)
        report("active agent killed and left dead", lab: lab, mark: mark, mails: mails, traps: traps)

        XCTAssertTrue(warned, "no warning within 40 s of alpha's agent's death:\n\(mails.listing)\n\(lab.log(.beta))")
        XCTAssertTrue(recovered, "no recovery within 30 s of alpha's agent's restart:\n\(mails.listing)\n\(lab.logs)")
        XCTAssertEqual(mails.filter { $0.event == "peer-lost" }.count, 1, "warnings by mail:\n\(mails.listing)")
        XCTAssertEqual(mails.filter { $0.event == "peer-found" }.count, 1, "recoveries by mail:\n\(mails.listing)")
        XCTAssertEqual(dead.mails - mark.mails, 1, "mails while alpha's agent was dead, the warning alone:\n\(mails.listing)")
        let warning = mails.first { $0.event == "peer-lost" }
        XCTAssertTrue(warning?.body.contains("alpha's agent is silent but its service answers: no failover protection") == true, warning?.body ?? "")
        XCTAssertFalse(mails.contains { PairFixture.roleChangeKinds.contains($0.event) }, "a role change was announced:\n\(mails.listing)")
        XCTAssertFalse(traps.contains { PairFixture.roleChangeKinds.contains($0.event) }, "a role change was announced:\n\(traps.listing)")
        XCTAssertFalse(samples.samples.contains { $0.beta.answers }, "beta's service answered:\n\(samples.timeline(since: mark.time))")
        XCTAssertTrue(samples.samples.allSatisfy { $0.alpha.answers }, "alpha's service stopped answering:\n\(samples.timeline(since: mark.time))")
    }

    /// beta's clock is 90 s behind (libfaketime under its agent): each node refuses the
    /// other's datagrams. alpha keeps serving and its page says why it hears nothing, and
    /// what to check; beta never takes over (alpha's service answers).
    func testAClockThatIsOffIsPagedWithItsCause() throws {
        let lab = try startLab()
        XCTAssertEqual(lab.terminate(.beta), 0, lab.logs)
        let mark = lab.mark()
        try lab.start(.beta, environment: try PairFixture.clockOff(seconds: -90))
        let paged = lab.waitUntil(timeout: 30) { lab.mails(since: mark).contains { $0.event == "peer-lost" } }
        let samples = lab.samples.since(mark.time)
        let mails = lab.mails(since: mark)
        report("a clock 90 s off", lab: lab, mark: mark, mails: mails, traps: lab.trapsReceived(since: mark))

        XCTAssertTrue(paged, "no peer-lost page within 30 s:\n\(mails.listing)\n\(lab.logs)")
        let page = mails.first { $0.event == "peer-lost" }
        XCTAssertTrue(page?.body.contains("its datagrams arrive but are refused: clocks differ by 90 s (beta's is behind): check NTP on both nodes") == true,
                      page?.body ?? "")
        XCTAssertFalse(mails.contains { PairFixture.roleChangeKinds.contains($0.event) }, "a role change was announced:\n\(mails.listing)")
        XCTAssertFalse(samples.samples.contains { $0.beta.answers }, "beta's service answered:\n\(samples.timeline(since: mark.time))")
        XCTAssertTrue(samples.samples.allSatisfy { $0.alpha.answers }, "alpha's service stopped answering:\n\(samples.timeline(since: mark.time))")
    }

    /// A standby whose start fails (a full quota) when the master's page is truncated: one
    /// page, from alpha which keeps serving, naming both problems. Repaired, `vacataire
    /// ready` makes beta standby again without moving the service, and the next failure of
    /// alpha hands off to it.
    func testAStandbyWhoseStartFailsIsOnePageAndReadyProtectsThePairAgain() throws {
        let lab = try startLab()
        try makeStandbyFailed(lab)
        try lab.failStarts(.beta, false)
        let ready = try lab.onNode(.beta, ["ready"])
        XCTAssertEqual(ready.status, 0, ready.stdout + ready.stderr)
        XCTAssertTrue(lab.waitUntil(timeout: 10) { lab.status(.beta)?.state == "standby" }, lab.logs)
        XCTAssertTrue(lab.frontendServes(.alpha), "ready moved the service")
        let mark = lab.mark()
        try lab.truncatePage(.alpha, true)
        XCTAssertTrue(lab.waitUntil(timeout: 25) { lab.frontendServes(.beta) }, "the pair was not protected again:\n\(lab.logs)")
        lab.waitUntilNotificationsSettled()
        XCTAssertEqual(lab.mails(since: mark).pages.count, 1, lab.mails(since: mark).listing)
    }

    /// Power loss of both machines (every process killed, the agents started again), four
    /// times: both could start (alpha serves again, nobody paged); beta failed beforehand
    /// (alpha serves, nobody paged); alpha cannot start (beta serves, one page); neither can
    /// (one page that says nobody serves).
    func testPowerLossOfBothNodesServesAgainOrPagesOnce() throws {
        let lab = try startLab()
        func powerLoss(_ what: String) throws -> PairFixture.Mark {
            lab.waitUntilNotificationsSettled()
            let mark = lab.mark()
            lab.crash(.alpha)
            lab.crash(.beta)
            try lab.start(.alpha)
            try lab.start(.beta)
            print("[operator] power loss: \(what)")
            return mark
        }
        func pagesSettled(_ mark: PairFixture.Mark, _ expected: Int, _ what: String) -> [LabMail] {
            _ = lab.waitUntil(timeout: 30) { lab.mails(since: mark).pages.count >= expected }
            lab.waitUntilNotificationsSettled()
            let mails = lab.mails(since: mark)
            report("power loss: \(what)", lab: lab, mark: mark, mails: mails, traps: lab.trapsReceived(since: mark))
            XCTAssertEqual(mails.pages.count, expected, "\(what): pages\n\(mails.listing)")
            return mails
        }

        var mark = try powerLoss("both can start")
        var restarted = Date()
        XCTAssertTrue(lab.waitUntil(timeout: 20) { lab.status(.alpha)?.state == "active" && lab.frontendServes(.alpha, since: restarted) },
                      "alpha does not serve again:\n\(lab.logs)")
        print(String(format: "[operator] HAProxy served alpha %.2f s after both agents started again", Date().timeIntervalSince(restarted)))
        _ = pagesSettled(mark, 0, "both can start")

        try makeStandbyFailed(lab)
        mark = try powerLoss("beta failed beforehand")
        restarted = Date()
        XCTAssertTrue(lab.waitUntil(timeout: 20) { lab.status(.alpha)?.state == "active" && lab.frontendServes(.alpha, since: restarted) },
                      "alpha does not serve again:\n\(lab.logs)")
        XCTAssertTrue(lab.waitUntil(timeout: 10) { lab.status(.beta)?.state == "failed" }, lab.logs)
        _ = pagesSettled(mark, 0, "beta failed beforehand")

        try lab.failStarts(.beta, false)
        XCTAssertEqual(try lab.onNode(.beta, ["ready"]).status, 0, lab.logs)
        XCTAssertTrue(lab.waitUntil(timeout: 10) { lab.status(.beta)?.state == "standby" }, lab.logs)
        try lab.failStarts(.alpha, true)
        mark = try powerLoss("alpha cannot start")
        restarted = Date()
        XCTAssertTrue(lab.waitUntil(timeout: 30) { lab.status(.beta)?.state == "active" && lab.frontendServes(.beta, since: restarted) },
                      "beta does not serve:\n\(lab.logs)")
        let takeover = pagesSettled(mark, 1, "alpha cannot start")
        XCTAssertTrue(takeover.first?.body.contains("alpha is failed") == true, takeover.first?.body ?? "")

        try lab.failStarts(.alpha, false)
        XCTAssertEqual(try lab.onNode(.alpha, ["ready"]).status, 0, lab.logs)
        XCTAssertTrue(lab.waitUntil(timeout: 10) { lab.status(.alpha)?.state == "standby" }, lab.logs)
        try lab.failStarts(.beta, true)
        try lab.failStarts(.alpha, true)
        mark = try powerLoss("neither can start")
        let nobody = pagesSettled(mark, 1, "neither can start")
        let page = nobody.pages.first?.body ?? ""
        XCTAssertTrue(page.contains("nobody serves"), page)
        XCTAssertTrue(page.contains("Disk quota exceeded"), page)
        XCTAssertTrue(page.contains("vacataire ready"), page)
        XCTAssertFalse(lab.frontendServes(.alpha) || lab.frontendServes(.beta))
    }

    /// beta's start fails on a handoff (a full quota): alpha keeps serving and sends the one
    /// page, naming its truncated page and beta's failed start; beta is failed. alpha's
    /// page is whole again at the end.
    private func makeStandbyFailed(_ lab: PairFixture) throws {
        lab.waitUntilNotificationsSettled()
        let mark = lab.mark()
        try lab.failStarts(.beta, true)
        try lab.truncatePage(.alpha, true)
        XCTAssertTrue(lab.waitUntil(timeout: 25) { lab.status(.beta)?.state == "failed" }, "beta did not fail:\n\(lab.logs)")
        _ = lab.waitUntil(timeout: 15) { !lab.mails(since: mark).pages.isEmpty }
        lab.waitUntilNotificationsSettled()
        let mails = lab.mails(since: mark)
        report("a standby whose start fails", lab: lab, mark: mark, mails: mails, traps: lab.trapsReceived(since: mark))
        XCTAssertEqual(mails.pages.count, 1, "pages for a failed takeover:\n\(mails.listing)")
        let page = mails.pages.first?.body ?? ""
        XCTAssertTrue(page.contains("beta could not take over: start actions failed") && page.contains("Disk quota exceeded"), page)
        XCTAssertTrue(page.contains("home-page"), "the page names alpha's failing check:\n\(page)")
        XCTAssertEqual(lab.lastSample?.alpha.answers, true, "better a sick master than no master")
        try lab.truncatePage(.alpha, false)
        XCTAssertTrue(lab.waitUntil(timeout: 15) { (lab.statusObject(.alpha)?["healthy"] as? Bool) == true }, lab.logs)
    }

    /// alpha's agent is restarted (SIGTERM, then started again) while it serves: its
    /// service never stops, HAProxy never answers anything but 200, and nobody is paged.
    func testAgentRestartWithTheServiceUpIsInvisible() throws {
        let lab = try startLab()
        let mark = lab.mark()
        let downBefore = lab.haproxyDownTransitions(.alpha)
        let status = lab.terminate(.alpha)
        print("[operator] alpha's agent exited with status \(status.map(String.init) ?? "none") on SIGTERM")
        let stoppedLog = lab.log(.alpha)
        try lab.start(.alpha)
        let resumed = lab.waitUntil(timeout: 15) { lab.log(.alpha).contains("-> active") }
        // lb's own look at alpha's agent-check port finds it answering `up` again.
        let restarted = Date()
        let agentUp = lab.waitUntil(timeout: 10) {
            lab.samples.since(restarted).samples.contains { $0.others["alpha-agent"]?.who == "up" }
        }
        lab.waitUntilNotificationsSettled()
        let samples = lab.samples.since(mark.time)
        let mails = lab.mails(since: mark)
        let traps = lab.trapsReceived(since: mark)
        report("agent restart with the service up", lab: lab, mark: mark, mails: mails, traps: traps)
        let downAfter = lab.haproxyDownTransitions(.alpha)
        print("[operator] HAProxy's UP->DOWN transitions of alpha: \(downBefore.map(String.init) ?? "?") before the restart, \(downAfter.map(String.init) ?? "?") after")

        XCTAssertEqual(status, 0, "the agent did not exit cleanly on SIGTERM: status \(status.map(String.init) ?? "none") (128 + N: killed by signal N; 137: still running 5 s after SIGTERM); the end of its log:\n\(stoppedLog.suffix(3000))")
        XCTAssertTrue(resumed, "the restarted agent did not log `-> active` within 15 s:\n\(lab.log(.alpha))")
        XCTAssertTrue(agentUp, "alpha's agent-check did not answer `up` within 10 s of the restart:\n\(samples.timeline(since: mark.time))")
        XCTAssertTrue(samples.samples.allSatisfy { $0.alpha.answers }, "alpha's service stopped answering:\n\(samples.timeline(since: mark.time))")
        XCTAssertFalse(samples.samples.contains { $0.beta.answers }, "beta's service answered:\n\(samples.timeline(since: mark.time))")
        XCTAssertEqual(samples.frontendErrors.count, 0, "HAProxy answers other than 200:\n\(samples.timeline(since: mark.time))")
        let agentDown = samples.samples.filter { ["down", "maint"].contains($0.others["alpha-agent"]?.who ?? "") }
        print(String(format: "[operator] alpha's agent-check answered down or maint in %d sample(s) (%.3f s) while its service ran",
                     agentDown.count, samples.duration { ["down", "maint"].contains($0.others["alpha-agent"]?.who ?? "") }))
        XCTAssertEqual(agentDown.count, 0, "alpha's agent-check told HAProxy `down` while its service ran:\n\(samples.timeline(since: mark.time))")
        XCTAssertNotNil(downAfter, "HAProxy's stats socket did not answer")
        XCTAssertEqual(downAfter, downBefore, "HAProxy took alpha out (UP->DOWN) during the agent's restart:\n\(lab.log(.alpha))")
        XCTAssertEqual(mails.pages.count, 0, "pages by mail for a restart:\n\(mails.listing)")
        XCTAssertEqual(traps.pages.count, 0, "pages by trap for a restart:\n\(traps.listing)")
    }

    /// A planned switchover to beta, then a failback to alpha, both from the CLI: HAProxy
    /// answers 200 throughout, never a sample without a serving node; the overlap where
    /// both run is measured for each move.
    func testSwitchoverAndFailbackKeepTheServiceUp() throws {
        let lab = try startLab()
        let mark = lab.mark()
        let switchover = try lab.admin(.alpha, ["switchover"])
        print("[operator] vacataire switchover on alpha: exit \(switchover.status): \(switchover.stdout)\(switchover.stderr)")
        let onBeta = lab.waitUntil(timeout: 20) {
            guard let last = lab.lastSample else { return false }
            return lab.frontendServes(.beta) && !last.alpha.answers
        }
        lab.waitUntilNotificationsSettled()
        let middle = lab.mark()
        let failback = try lab.admin(.alpha, ["failback"])
        print("[operator] vacataire failback on alpha: exit \(failback.status): \(failback.stdout)\(failback.stderr)")
        let onAlpha = lab.waitUntil(timeout: 20) {
            guard let last = lab.lastSample else { return false }
            return lab.frontendServes(.alpha) && !last.beta.answers
        }
        lab.waitUntilNotificationsSettled()
        let samples = lab.samples.since(mark.time)
        let mails = lab.mails(since: mark)
        let traps = lab.trapsReceived(since: mark)
        report("switchover and failback", lab: lab, mark: mark, mails: mails, traps: traps)
        let there = samples.since(mark.time, until: middle.time)
        let back = samples.since(middle.time)
        print(String(
            format: "[operator] switchover: both answering %.3f s, nobody %.3f s, HAProxy non-200 %d; failback: both answering %.3f s, nobody %.3f s, HAProxy non-200 %d",
            there.duration(where: \.both), there.duration(where: \.nobody), there.frontendErrors.count,
            back.duration(where: \.both), back.duration(where: \.nobody), back.frontendErrors.count))

        XCTAssertEqual(switchover.status, 0, "`vacataire switchover` failed: \(switchover.stdout)\(switchover.stderr)")
        XCTAssertTrue(onBeta, "HAProxy did not move to beta (with alpha's service stopped) within 20 s of the switchover")
        XCTAssertEqual(failback.status, 0, "`vacataire failback` failed: \(failback.stdout)\(failback.stderr)")
        XCTAssertTrue(onAlpha, "HAProxy did not move back to alpha (with beta's service stopped) within 20 s of the failback")
        XCTAssertEqual(samples.frontendErrors.count, 0, "HAProxy answers other than 200:\n\(samples.timeline(since: mark.time))")
        XCTAssertEqual(samples.nobodyCount, 0, "samples with nobody serving:\n\(samples.timeline(since: mark.time))")
        XCTAssertLessThanOrEqual(there.windows(where: \.both).count, 1, "both answered in more than one window:\n\(there.timeline(since: mark.time))")
        XCTAssertLessThanOrEqual(back.windows(where: \.both).count, 1, "both answered in more than one window:\n\(back.timeline(since: middle.time))")
    }

    // MARK: - Helpers

    /// Builds the lab and starts the pair, failing the test for anything that went otherwise
    /// than documented.
    private func startLab(file: StaticString = #filePath, line: UInt = #line) throws -> PairFixture {
        let lab = try PairFixture.deployed()
        self.lab = lab
        for problem in try lab.startDeployedPair() {
            XCTFail("starting the pair: \(problem)", file: file, line: line)
        }
        return lab
    }

    /// Prints a scenario's figures: what lb saw, every mail and trap, the transitions.
    private func report(_ scenario: String, lab: PairFixture, mark: PairFixture.Mark, mails: [LabMail], traps: [LabTrap]) {
        let samples = lab.samples
        print("""
            [operator] === \(scenario) ===
            [operator] \(samples.summary(since: mark.time))
            [operator] mails: \(mails.count) (pages \(mails.pages.count)); traps: \(traps.count) (pages \(traps.pages.count))
            [operator] mails:
            \(mails.listing)
            [operator] traps:
            \(traps.listing)
            [operator] what lb saw (changes only):
            \(samples.timeline(since: mark.time))
            [operator] transitions:
            \(PairFixture.Node.allCases.map { node in lab.allTransitions(node).map { "  \(node.rawValue): \($0)" }.joined(separator: "\n") }.joined(separator: "\n"))
            """)
    }
}

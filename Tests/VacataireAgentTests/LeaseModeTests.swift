import Foundation
import VacataireCore
import VacataireTestSupport
import XCTest

/// `failover.mode: etcd` from the operator's seat: three agents elect their server through a
/// real three-member etcd cluster, HAProxy in front, each on a namespace host of its own
/// (`LeaseLab`); the samples of every service and of HAProxy every 20 ms, and the mails and
/// traps per incident, are what people and clients see.
final class LeaseModeTests: XCTestCase {
    var lab: LeaseLab!

    override func setUpWithError() throws {
        lab = try LeaseLab()
    }

    override func tearDown() {
        lab?.tearDown()
        lab = nil
    }

    /// Starts the three agents and waits until HAProxy serves alpha's page (alpha has the
    /// highest priority) and the others stand by; the first election pages nobody.
    func startCluster(file: StaticString = #filePath, line: UInt = #line) throws {
        let start = lab.mark()
        try lab.startAgents()
        let served = Wait.until(timeout: 30, every: 0.1) { lab.frontendNode == "alpha" }
        XCTAssertTrue(served, "HAProxy never served alpha's page\n\(lab.logs)", file: file, line: line)
        guard served else { throw FixtureError("the cluster did not start") }
        XCTAssertTrue(Wait.until(timeout: 10, every: 0.1) { ["beta", "gamma"].allSatisfy { lab.state($0) == "standby" } },
                      "beta and gamma stand by\n\(lab.logs)", file: file, line: line)
        lab.waitUntilNotificationsSettled(quiet: 2)
        XCTAssertEqual(lab.mails(since: start).pages.map(\.description), [], "a new cluster's first election pages nobody", file: file, line: line)
    }

    func testStatusOnAnyNodeShowsEveryMemberAndEveryEtcdEndpoint() throws {
        try startCluster()
        let status = try lab.admin("gamma", ["status"])
        XCTAssertEqual(status.status, 0, status.stderr)
        let text = status.stdout
        for line in ["alpha: LEADER, ready, priority 30, lease", "beta: standby, ready, priority 20, lease", "gamma: standby, ready, priority 10, lease",
                     "http://198.51.100.11:2379: healthy", "http://198.51.100.12:2379: healthy", "http://198.51.100.13:2379: healthy"] {
            XCTAssertTrue(text.contains(line), "`\(line)` in:\n\(text)")
        }
        XCTAssertTrue(text.contains("version \(VacataireCore.version)"), text)
        lab.killMember("e3")
        let degraded = try lab.admin("beta", ["status"]).stdout
        XCTAssertTrue(degraded.contains("http://198.51.100.13:2379: http://198.51.100.13:2379/health:"), "e3 is named with why it does not answer:\n\(degraded)")
    }

    /// Samples since `mark` in which no service answered, or HAProxy had nobody.
    func outages(since mark: LeaseLab.Mark) -> [ServiceSamples.Sample] {
        lab.samples.since(mark.time).samples.filter { LeaseLab.serving($0).isEmpty || !$0.frontend.answers }
    }

    /// Samples since `mark` in which two services answered at once.
    func doubles(since mark: LeaseLab.Mark) -> [ServiceSamples.Sample] {
        lab.samples.since(mark.time).samples.filter { LeaseLab.serving($0).count >= 2 }
    }

    func testTheLeadersFailingCheckHandsOffMakeBeforeBreakWithOnePage() throws {
        try startCluster()
        let mark = lab.mark()
        try lab.truncatePage("alpha", true)
        XCTAssertTrue(Wait.until(timeout: 30, every: 0.1) { lab.frontendNode == "beta" && lab.state("alpha") != "active" && lab.state("beta") == "active" },
                      "beta (the next priority) takes over\n\(lab.logs)")
        XCTAssertTrue(Wait.until(timeout: 10, every: 0.1) { !LeaseLab.serving(lab.samples.samples.last!).contains("alpha") }, "alpha stops its service")
        lab.waitUntilNotificationsSettled()
        XCTAssertEqual(outages(since: mark).count, 0, "HAProxy always had a server: \(outages(since: mark).prefix(5))")
        let pages = lab.mails(since: mark).pages
        XCTAssertEqual(pages.map(\.event), ["failover"], "one page:\n\(lab.mails(since: mark).listing)")
        XCTAssertEqual(pages.first?.node, "beta", "the node that took over pages")
        XCTAssertTrue(pages.first?.body.contains("home-page") == true, "the page names alpha's failing check: \(pages.first?.body ?? "")")
        XCTAssertEqual(lab.trapsReceived(since: mark).pages.map(\.event), ["failover"], lab.trapsReceived(since: mark).listing)

        // One incident for the whole cluster, acknowledged from a node that did not page it.
        let incident = try XCTUnwrap(pages.first?.incident)
        XCTAssertEqual(lab.status("alpha")?["incidents"].flatMap { $0 as? [[String: Any]] }?.compactMap { $0["id"] as? String }, [incident],
                       "alpha sees beta's incident")
        let ackMark = lab.mark()
        let ack = try lab.admin("gamma", ["ack", "--comment", "looking at alpha's page"])
        XCTAssertEqual(ack.status, 0, ack.stdout + ack.stderr)
        XCTAssertTrue(ack.stdout.contains("beta, which paged it, stops its reminders"), ack.stdout)
        lab.waitUntilNotificationsSettled()
        let told = lab.mails(since: ackMark)
        XCTAssertEqual(told.map(\.event), ["acknowledged"], told.listing)
        XCTAssertEqual(told.first?.node, "beta", "the owner tells the acknowledgement")
        XCTAssertEqual(told.first?.incident, incident)
        XCTAssertTrue(told.first?.body.contains("looking at alpha's page") == true, told.first?.body ?? "")
        let acknowledged = lab.status("alpha")?["incidents"].flatMap { $0 as? [[String: Any]] }?.first?["acknowledgedBy"] as? String
        XCTAssertNotNil(acknowledged, "every node sees the acknowledgement")
    }

    func testTheLeaderKilledWithItsServiceIsReplacedWithinTheTTL() throws {
        try startCluster()
        let mark = lab.mark()
        lab.crash("alpha")
        let crashed = Date()
        XCTAssertTrue(Wait.until(timeout: 30, every: 0.05) { lab.frontendNode == "beta" }, "beta serves\n\(lab.logs)")
        let took = Date().timeIntervalSince(crashed)
        XCTAssertLessThan(took, Double(LeaseLab.ttlSeconds) + 5 + 2, "within ttl + start time")
        lab.waitUntilNotificationsSettled()
        let pages = lab.mails(since: mark).pages
        XCTAssertEqual(pages.map(\.event), ["takeover"], "one page:\n\(lab.mails(since: mark).listing)")
        XCTAssertEqual(pages.first?.node, "beta")
        XCTAssertEqual(doubles(since: mark).count, 0)
        print("lease mode: leader crash to HAProxy serving beta: \(String(format: "%.2f", took)) s (ttl \(LeaseLab.ttlSeconds) s)")
    }

    func testSwitchoverToANamedMemberAndFailbackNeverLeaveNobodyServing() throws {
        try startCluster()
        let mark = lab.mark()
        let switchover = try lab.admin("beta", ["switchover", "--to", "gamma"])
        XCTAssertEqual(switchover.status, 0, "switchover --to gamma, asked on beta: \(switchover.stdout)\(switchover.stderr)")
        XCTAssertTrue(Wait.until(timeout: 30, every: 0.1) { lab.frontendNode == "gamma" && lab.state("alpha") == "standby" }, "gamma serves\n\(lab.logs)")
        let failback = try lab.admin("gamma", ["failback"])
        XCTAssertEqual(failback.status, 0, "failback: \(failback.stdout)\(failback.stderr)")
        XCTAssertTrue(Wait.until(timeout: 30, every: 0.1) { lab.frontendNode == "alpha" && lab.state("gamma") == "standby" }, "alpha serves again\n\(lab.logs)")
        lab.waitUntilNotificationsSettled()
        XCTAssertEqual(outages(since: mark).count, 0, "nobody served in: \(outages(since: mark).prefix(5))")
    }

    func testOneEtcdMemberKilledAndRestartedChangesNothing() throws {
        try startCluster()
        let mark = lab.mark()
        // etcd's own leader, the worst one to lose: the others elect one before they answer.
        let member = try XCTUnwrap(lab.raftLeader(), "one etcd member leads")
        lab.killMember(member)
        sleep(UInt32(LeaseLab.ttlSeconds * 2))
        try lab.startMember(member)
        XCTAssertTrue(Wait.until(timeout: 20, every: 0.2) { lab.memberHealthy(member) }, "\(member) rejoins")
        sleep(2)
        XCTAssertEqual(lab.state("alpha"), "active", lab.logs)
        XCTAssertEqual(outages(since: mark).count, 0)
        XCTAssertEqual(lab.mails(since: mark).pages.map(\.description), [])
        XCTAssertFalse(lab.log("alpha").contains("-> quiescing"), "no role change:\n\(lab.log("alpha").suffix(3000))")
    }

    func testTheLeaderCutFromEtcdAndItsPeersStopsBeforeItsLeaseCanExpire() throws {
        try startCluster()
        let mark = lab.mark()
        try lab.cut("alpha", from: LeaseLab.members + ["beta", "gamma"])
        XCTAssertTrue(Wait.until(timeout: 30, every: 0.05) { lab.frontendNode == "beta" }, "beta serves\n\(lab.logs)")
        XCTAssertTrue(lab.log("alpha").contains("cannot prove my lease"), "alpha stopped for want of its lease:\n\(lab.log("alpha").suffix(3000))")
        // Healed before alpha, blind, would page that it cannot tell who serves.
        sleep(2)
        try lab.cut("alpha", from: LeaseLab.members + ["beta", "gamma"], false)
        XCTAssertTrue(Wait.until(timeout: 15, every: 0.1) { lab.state("alpha") == "standby" && lab.state("beta") == "active" }, lab.logs)
        lab.waitUntilNotificationsSettled()
        XCTAssertEqual(doubles(since: mark).count, 0, "two services at once: \(doubles(since: mark).prefix(3))")
        let pages = lab.mails(since: mark).pages
        XCTAssertEqual(pages.map(\.event), ["takeover"], "one page, beta's:\n\(lab.mails(since: mark).listing)")
        XCTAssertEqual(pages.first?.node, "beta")
    }

    func testTwoOfThreeEtcdMembersLostIsOnePageAndItsRecoveryInTheSameThread() throws {
        try startCluster()
        let mark = lab.mark()
        lab.killMember("e2")
        lab.killMember("e3")
        XCTAssertTrue(Wait.until(timeout: 20, every: 0.1) { lab.samples.samples.last.map { LeaseLab.serving($0).isEmpty } == true },
                      "the leader stops: etcd has no quorum\n\(lab.logs)")
        lab.waitUntilNotificationsSettled()
        let lost = lab.mails(since: mark).pages
        XCTAssertEqual(lost.map(\.event), ["peer-lost"], "one page:\n\(lab.mails(since: mark).listing)")
        XCTAssertEqual(lost.first?.node, "alpha", "the leader that stopped pages")
        XCTAssertTrue(lost.first?.body.contains("no quorum") == true, lost.first?.body ?? "")
        XCTAssertEqual(doubles(since: mark).count, 0)
        let recoveryMark = lab.mark()
        try lab.startMember("e2")
        try lab.startMember("e3")
        XCTAssertTrue(Wait.until(timeout: 40, every: 0.1) { lab.frontendNode != nil }, "one leader again\n\(lab.logs)")
        lab.waitUntilNotificationsSettled()
        let after = lab.mails(since: recoveryMark)
        XCTAssertEqual(after.pages.map(\.event), [], "no page for the new election:\n\(after.listing)")
        XCTAssertEqual(after.map(\.event), ["peer-found"], after.listing)
        XCTAssertEqual(after.first?.threadRoot, lost.first?.threadRoot, "the recovery in the page's thread")
        XCTAssertEqual(after.first?.incident, lost.first?.incident)
        XCTAssertEqual(doubles(since: mark).count, 0)
    }

    func testEverythingRestartedAtOnceElectsOneLeader() throws {
        try startCluster()
        let mark = lab.mark()
        for node in LeaseLab.nodes { lab.crash(node) }
        for member in LeaseLab.members { lab.killMember(member) }
        for member in LeaseLab.members { try lab.startMember(member) }
        try lab.startAgents()
        XCTAssertTrue(Wait.until(timeout: 60, every: 0.1) { lab.frontendNode != nil }, "one leader again\n\(lab.logs)")
        sleep(3)
        let active = LeaseLab.nodes.filter { lab.state($0) == "active" }
        XCTAssertEqual(active.count, 1, "one active node: \(LeaseLab.nodes.map { lab.state($0) ?? "-" })")
        XCTAssertEqual(doubles(since: mark).count, 0, "\(doubles(since: mark).prefix(3))")
        lab.waitUntilNotificationsSettled()
        let pages = lab.mails(since: mark).pages
        XCTAssertEqual(pages.map(\.event), ["takeover"], "one page says who serves after the restart:\n\(lab.mails(since: mark).listing)")
    }
}

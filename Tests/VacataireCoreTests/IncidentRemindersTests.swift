import Foundation
import VacataireCore
import VacataireTestSupport
import XCTest

/// The repeat-until-acknowledged schedule and the peer-confirmation timeout, driven through
/// whole incidents with an explicit clock (no sleeping).
final class IncidentRemindersTests: XCTestCase {
    private let e2 = IncidentID(epoch: 2, topic: .roleChange)
    /// An instant on the monotonic clock, `seconds` after the test's start.
    private func at(_ seconds: TimeInterval) -> MonotonicInstant { .seconds(1_000 + seconds) }

    private func reminders(_ schedule: inout IncidentReminders, at seconds: TimeInterval, serving: Bool = true) -> [Int] {
        schedule.due(now: at(seconds), serving: serving).compactMap {
            if case .remind(_, _, _, _, let count) = $0 { return count }
            return nil
        }
    }

    /// The agent asks at every turn of its loop; the schedule remembers when it is next
    /// due and answers early questions without looking. Driven by the same seeded events, it
    /// must say exactly what a schedule that looks every time says.
    func testAskingAtEveryTurnSaysWhatLookingEveryTimeSays() {
        for seed in UInt64(1)...20 {
            var dice = Dice(state: seed)
            var asked = IncidentReminders(repeatInterval: .seconds(30), confirmTimeout: .seconds(7))
            var looking = asked
            let ids = (1...4).map { IncidentID(epoch: UInt64($0), topic: $0 % 2 == 0 ? .roleChange : .peerLost) }
            var now = 0.0
            var serving = true
            var said = 0
            while now < 600 {
                now += 0.05
                if dice.chance(0.01) {
                    let id = ids[dice.pick(ids.count)]
                    switch dice.pick(6) {
                    case 0, 1:
                        let pagedHere = dice.chance(0.5)
                        asked.opened(id, kind: .failover, reason: "r", pagedHere: pagedHere, now: at(now))
                        looking.opened(id, kind: .failover, reason: "r", pagedHere: pagedHere, now: at(now))
                    case 2:
                        let expiry: Duration? = dice.chance(0.5) ? dice.delay(upTo: .seconds(40)) : nil
                        asked.acknowledged(id, expiresIn: expiry, now: at(now))
                        looking.acknowledged(id, expiresIn: expiry, now: at(now))
                    case 3:
                        asked.confirmed(id)
                        looking.confirmed(id)
                    case 4:
                        asked.closed(id)
                        looking.closed(id)
                    default:
                        serving.toggle()
                    }
                }
                looking.closed(IncidentID(epoch: 999, topic: .peerLost))  // forgets what it learned
                let expected = looking.due(now: at(now), serving: serving)
                XCTAssertEqual(asked.due(now: at(now), serving: serving), expected, "seed \(seed) at \(now) s")
                said += expected.count
            }
            XCTAssertGreaterThan(said, 0, "seed \(seed): the events must make the schedule speak")
        }
    }

    func testRemindsEveryIntervalUntilAcknowledgedAndNotAfterClosing() {
        var schedule = IncidentReminders(repeatInterval: .seconds(60), confirmTimeout: .seconds(10))
        schedule.opened(e2, kind: .failover, reason: "alpha failed", pagedHere: true, now: at(0))
        XCTAssertEqual(reminders(&schedule, at: 59), [], "nothing before one interval")
        let first = schedule.due(now: at(60), serving: true)
        XCTAssertEqual(first, [.remind(e2, kind: .failover, reason: "alpha failed", openFor: 60, count: 1)])
        XCTAssertEqual(reminders(&schedule, at: 61), [])
        XCTAssertEqual(reminders(&schedule, at: 120), [2])
        XCTAssertEqual(reminders(&schedule, at: 500), [3], "missed reminders are not made up in a burst")
        XCTAssertEqual(reminders(&schedule, at: 559), [])
        schedule.acknowledged(e2, expiresIn: nil, now: at(559))
        XCTAssertTrue(schedule.isAcknowledged(e2, now: at(10_000)))
        XCTAssertEqual(reminders(&schedule, at: 10_000), [], "an acknowledgement without expiry lasts until closing")
        schedule.closed(e2)
        XCTAssertEqual(schedule.due(now: at(20_000), serving: true), [])
        XCTAssertEqual(schedule.incidents, [])
    }

    func testAcknowledgementExpiryResumesRemindersAtOnce() {
        var schedule = IncidentReminders(repeatInterval: .seconds(60), confirmTimeout: .seconds(10))
        schedule.opened(e2, kind: .takeover, reason: "alpha silent", pagedHere: true, now: at(0))
        schedule.acknowledged(e2, expiresIn: .seconds(30), now: at(0))
        XCTAssertEqual(reminders(&schedule, at: 29), [])
        XCTAssertEqual(schedule.due(now: at(100), serving: true), [
            .acknowledgementExpired(e2),
            .remind(e2, kind: .takeover, reason: "alpha silent", openFor: 100, count: 1),
        ])
        XCTAssertEqual(reminders(&schedule, at: 159), [])
        XCTAssertEqual(reminders(&schedule, at: 160), [2])
        schedule.acknowledged(e2, expiresIn: .seconds(840), now: at(160))
        XCTAssertEqual(reminders(&schedule, at: 999), [], "a second acknowledgement replaces the expired one")
    }

    func testAnAcknowledgementsExpiryDateKeepsItsPartOfASecond() {
        let acknowledgedAt = Date(timeIntervalSince1970: 1_700_000_000)
        XCTAssertEqual(acknowledgedAt.adding(.milliseconds(1_500)).timeIntervalSince(acknowledgedAt), 1.5, accuracy: 1e-6)
        XCTAssertEqual(acknowledgedAt.adding(.seconds(600)).timeIntervalSince(acknowledgedAt), 600, accuracy: 1e-6)
    }

    func testOnlyTheServingNodeRemindsOfARoleChange() {
        var schedule = IncidentReminders(repeatInterval: .seconds(60), confirmTimeout: .seconds(10))
        schedule.opened(e2, kind: .failover, reason: "failed over", pagedHere: false, now: at(0))
        schedule.confirmed(e2)
        XCTAssertEqual(reminders(&schedule, at: 60, serving: false), [], "the peer serves and reminds")
        XCTAssertEqual(reminders(&schedule, at: 120, serving: true), [1], "after a switchover this node reminds")
        let lost = IncidentID(epoch: 2, topic: .peerLost)
        schedule.opened(lost, kind: .peerLost, reason: "beta silent", pagedHere: true, now: at(120))
        XCTAssertEqual(schedule.due(now: at(180), serving: false), [.remind(lost, kind: .peerLost, reason: "beta silent", openFor: 60, count: 1)],
                       "an incident of its own is reminded by the node that has it; the role change by the serving peer")
    }

    func testThePeerPagesWhenNoConfirmationComesInTime() {
        var schedule = IncidentReminders(repeatInterval: .seconds(60), confirmTimeout: .seconds(10))
        schedule.opened(e2, kind: .failover, reason: "failed over", pagedHere: false, now: at(0))
        XCTAssertEqual(schedule.due(now: at(9.9), serving: false), [])
        XCTAssertEqual(schedule.due(now: at(10), serving: false), [.pageForPeer(e2, kind: .failover, reason: "failed over")])
        XCTAssertEqual(schedule.due(now: at(11), serving: false), [], "paged once")
        XCTAssertEqual(reminders(&schedule, at: 60, serving: false), [1], "having paged for its peer, it reminds too")
        schedule.confirmed(e2)
        XCTAssertEqual(reminders(&schedule, at: 120, serving: false), [], "until the peer confirms a delivery")
    }

    /// Only a role change waits for the peer's delivery confirmation: a loss this node only
    /// recorded is the peer's to page, or nobody's (it is paged here if nobody serves).
    func testOnlyARoleChangeAwaitsThePeersConfirmation() {
        var schedule = IncidentReminders(repeatInterval: .seconds(60), confirmTimeout: .seconds(10))
        let lost = IncidentID(epoch: 2, topic: .peerLost)
        schedule.opened(lost, kind: .peerLost, reason: "beta silent", pagedHere: false, now: at(0))
        schedule.opened(e2, kind: .failover, reason: "failed over", pagedHere: false, now: at(0))
        XCTAssertEqual(schedule.confirmationsAwaited, 1)
        XCTAssertEqual(schedule.due(now: at(10), serving: false), [.pageForPeer(e2, kind: .failover, reason: "failed over")])
    }

    func testAConfirmationInTimeOrEvenEarlyMeansNoSecondPage() {
        var schedule = IncidentReminders(repeatInterval: .seconds(60), confirmTimeout: .seconds(10))
        schedule.opened(e2, kind: .failover, reason: "failed over", pagedHere: false, now: at(0))
        schedule.confirmed(e2)
        XCTAssertEqual(schedule.due(now: at(30), serving: false), [])
        let e3 = IncidentID(epoch: 3, topic: .roleChange)
        schedule.confirmed(e3)
        schedule.opened(e3, kind: .failback, reason: "failed back", pagedHere: false, now: at(40))
        XCTAssertEqual(schedule.due(now: at(55), serving: false), [], "a confirmation that overtook the incident counts")
        let paged = IncidentID(epoch: 4, topic: .roleChange)
        schedule.opened(paged, kind: .takeover, reason: "took over", pagedHere: true, now: at(60))
        XCTAssertFalse(schedule.due(now: at(80), serving: true).contains { if case .pageForPeer = $0 { true } else { false } },
                       "the paging node awaits no confirmation")
    }

    /// After a restart the store says how long an incident has been open: the first
    /// reminder comes when a whole interval has passed since it opened, and an
    /// acknowledgement lasts what it had left; a wall clock step moves nothing after that.
    func testARestoredIncidentKeepsItsScheduleAndItsAge() {
        var schedule = IncidentReminders(repeatInterval: .seconds(60), confirmTimeout: .seconds(10))
        schedule.opened(e2, kind: .failover, reason: "alpha failed", openFor: .seconds(50), pagedHere: true, now: at(0))
        XCTAssertEqual(reminders(&schedule, at: 9), [])
        XCTAssertEqual(schedule.due(now: at(10), serving: true), [.remind(e2, kind: .failover, reason: "alpha failed", openFor: 60, count: 1)])
        let old = IncidentID(epoch: 1, topic: .peerLost)
        schedule.opened(old, kind: .peerLost, reason: "beta silent", openFor: .seconds(7200), pagedHere: true, now: at(10))
        schedule.acknowledged(old, expiresIn: .seconds(20), now: at(10))
        XCTAssertTrue(schedule.isAcknowledged(old, now: at(29)))
        XCTAssertEqual(schedule.due(now: at(30), serving: true), [
            .acknowledgementExpired(old), .remind(old, kind: .peerLost, reason: "beta silent", openFor: 7220, count: 1),
        ])
    }

    func testConfigSectionDefaultsAndErrors() throws {
        let directory = try TemporaryDirectory("incidents-config")
        defer { directory.remove() }
        let head = "node: {name: alpha, cluster: web-pair}\nstate_dir: state\n"
        let defaults = try Config.parse(head, file: directory.file("node.yaml"))
        XCTAssertEqual(defaults.incidents, IncidentsConfig(repeatInterval: ConfigDuration(seconds: 1800), confirmTimeout: ConfigDuration(seconds: 30)))
        let set = try Config.parse(head + "incidents: {repeat_interval: 10m, confirm_timeout: 5s}\n", file: directory.file("node.yaml"))
        XCTAssertEqual(set.incidents.repeatInterval.seconds, 600)
        XCTAssertEqual(set.incidents.confirmTimeout.seconds, 5)
        do {
            _ = try Config.parse(head + "incidents:\n  repeat_interval: 500ms\n  confirm_timeout: 2s\n  repeat: 1m\n", file: directory.file("node.yaml"))
            XCTFail("expected errors")
        } catch {
            let lines = error.problems.map { "\($0.line ?? 0) \($0.key): \($0.message)" }
            XCTAssertTrue(lines.contains("4 incidents.repeat_interval: must be at least 1s, found 500ms"), "\(lines)")
            XCTAssertTrue(lines.contains { $0.hasPrefix("5 incidents.confirm_timeout: must not be longer than repeat_interval") }, "\(lines)")
            XCTAssertTrue(lines.contains { $0.hasPrefix("6 incidents.repeat") }, "an unknown key is reported\n\(lines)")
        }
    }
}

final class CheckChangePolicyTests: XCTestCase {
    func testWhichCheckChangesPage() {
        // A serving node's critical failure is told by the failover page it causes.
        XCTAssertFalse(CheckChangePolicy.pages(.failing, severity: .critical, state: .active))
        XCTAssertFalse(CheckChangePolicy.pages(.failing, severity: .critical, state: .failed), "the admin is at work")
        XCTAssertTrue(CheckChangePolicy.pages(.failing, severity: .critical, state: .standby), "the pair lost its spare")
        XCTAssertTrue(CheckChangePolicy.pages(.recovered, severity: .critical, state: .standby))
        XCTAssertTrue(CheckChangePolicy.pages(.failing, severity: .warning, state: .active), "a warning check pages anywhere")
        // No news: a first pass, and a service check following its service.
        XCTAssertFalse(CheckChangePolicy.pages(.firstResultPassed, severity: .warning, state: .standby))
        XCTAssertFalse(CheckChangePolicy.pages(.followedTheService, severity: .critical, state: .standby))
        XCTAssertFalse(CheckChangePolicy.pages(.followedTheService, severity: .warning, state: .active))
    }
}

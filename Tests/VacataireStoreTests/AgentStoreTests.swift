import Foundation
import VacataireCore
import VacataireTestSupport
import XCTest

@testable import VacataireStore

final class AgentStoreTests: XCTestCase {
    private var scratch: CheckScratchDirectory!

    override func setUpWithError() throws {
        scratch = try CheckScratchDirectory("store")
    }

    override func tearDown() {
        scratch.remove()
    }

    private func t(_ seconds: Double) -> Date {
        Date(timeIntervalSince1970: 1_750_000_000 + seconds)
    }

    // MARK: - Role and epoch

    func testFreshStoreHasNoStateAndIsPrivateAndInWALMode() throws {
        let store = try AgentStore(stateDirectory: scratch.path)
        XCTAssertEqual(store.path, scratch.file("vacataire.sqlite"))
        XCTAssertNil(try store.loadFailoverState())
        let mode = try FileManager.default.attributesOfItem(atPath: store.path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        let journal = try store.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        XCTAssertEqual(journal, "wal")
        let synchronous = try store.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        XCTAssertEqual(synchronous, 2, "writes are synced (FULL)")
        let applied = try store.pool.read { try StoreMigration.migrator.appliedMigrations($0) }
        XCTAssertEqual(applied, StoreMigration.allCases.map(\.rawValue))
    }

    func testStateRoundTripsAndSurvivesReopening() throws {
        do {
            let store = try AgentStore(stateDirectory: scratch.path)
            try store.saveFailoverState(PersistedFailoverState(role: .active, epoch: 6), at: Date())
            try store.saveFailoverState(PersistedFailoverState(role: .failed, epoch: 7), at: Date())
            XCTAssertEqual(try store.loadFailoverState(), PersistedFailoverState(role: .failed, epoch: 7))
            try store.close()
        }
        let reopened = try AgentStore(stateDirectory: scratch.path)
        XCTAssertEqual(try reopened.loadFailoverState(), PersistedFailoverState(role: .failed, epoch: 7))
        let rows = try reopened.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM failover_state") }
        XCTAssertEqual(rows, 1)
    }

    /// A burst of check changes is written as one transaction, kept whole and in order, and
    /// so are the notifications they decide.
    func testABatchOfEventsAndOfDecidedNotificationsKeepsItsOrder() throws {
        let store = try AgentStore(stateDirectory: scratch.path)
        let events = (0..<300).map { EventRecord(time: t(Double($0)), category: .check, kind: .checkFailed, reason: "check c\($0) is failing") }
        let ids = try store.appendEvents(events)
        XCTAssertEqual(ids.count, 300)
        XCTAssertEqual(ids, ids.sorted())
        XCTAssertEqual(try store.events(limit: 1000).map(\.reason), events.map(\.reason))
        let decided = (0..<50).map { Data("n\($0)".utf8) }
        let journal = try store.journalDecided(decided, at: Date())
        XCTAssertEqual(try store.decidedNotifications().map(\.id), journal)
        XCTAssertEqual(try store.decidedNotifications().map(\.event), decided)
    }

    /// The largest epoch round-trips; one beyond it (a hand-written store, or what SQLite's
    /// signed integers make of 2^64 - 1) is refused with the column and value, never used.
    func testTheLargestEpochRoundTripsAndABiggerOneIsRefused() throws {
        let store = try AgentStore(stateDirectory: scratch.path)
        try store.saveFailoverState(PersistedFailoverState(role: .standby, epoch: Epoch.largest), at: Date())
        XCTAssertEqual(try store.loadFailoverState()?.epoch, Epoch.largest)
        try store.saveFailoverState(PersistedFailoverState(role: .standby, epoch: UInt64.max), at: Date())
        XCTAssertThrowsError(try store.loadFailoverState()) { error in
            XCTAssertTrue("\(error)".contains("failover_state.epoch holds -1, outside 0 to 2^62"), "\(error)")
        }
    }

    /// Many writes, never closed (as after a crash): another open sees every commit and a
    /// consistent file.
    func testReopeningWithoutCloseSeesEveryCommit() throws {
        let writer = try AgentStore(stateDirectory: scratch.path)
        for epoch in 1...300 {
            try writer.saveFailoverState(PersistedFailoverState(role: epoch.isMultiple(of: 2) ? .active : .standby, epoch: UInt64(epoch)), at: Date())
            try writer.appendEvent(EventRecord(time: t(Double(epoch)), category: .transition, reason: "epoch \(epoch)"))
        }
        // A second, independent connection pool on the same file while the first is open.
        let reader = try AgentStore(stateDirectory: scratch.path)
        XCTAssertEqual(try reader.loadFailoverState(), PersistedFailoverState(role: .active, epoch: 300))
        XCTAssertEqual(try reader.events(limit: 1000).count, 300)
        let check = try reader.pool.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
        XCTAssertEqual(check, "ok")
    }

    // MARK: - Opening errors

    func testStateDirectoryUnderARegularFileIsAnErrorNamingThePath() throws {
        let file = scratch.file("not-a-directory")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        XCTAssertThrowsError(try AgentStore(stateDirectory: file)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("\(file)/vacataire.sqlite"), text)
            XCTAssertTrue(text.contains("Not a directory"), text)
        }
    }

    func testMissingStateDirectoryIsAnErrorNamingThePath() throws {
        let missing = scratch.file("missing/state")
        XCTAssertThrowsError(try AgentStore(stateDirectory: missing)) { error in
            XCTAssertTrue("\(error)".contains("\(missing)/vacataire.sqlite"), "\(error)")
        }
    }

    func testAFileThatIsNotADatabaseIsAnErrorNamingThePath() throws {
        let path = scratch.file("vacataire.sqlite")
        try Data(String(repeating: "not a database at all\n", count: 100).utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try AgentStore(path: path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("cannot open the state database \(path)"), text)
            XCTAssertTrue(text.contains("not a database"), text)
        }
    }

    func testASchemaFromANewerVersionIsRefused() throws {
        do {
            let store = try AgentStore(stateDirectory: scratch.path)
            try store.pool.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9-from-the-future')")
            }
            try store.close()
        }
        XCTAssertThrowsError(try AgentStore(stateDirectory: scratch.path)) { error in
            XCTAssertTrue("\(error)".contains("newer version"), "\(error)")
        }
    }

    // MARK: - Incidents

    func testOpeningAnIncidentTwiceIsIdempotent() throws {
        let store = try AgentStore(stateDirectory: scratch.path)
        let id = IncidentID(epoch: 7, topic: .roleChange)
        XCTAssertEqual(try store.openIncident(id, kind: .takeover, reason: "no heartbeat for 15 s", at: t(0)), .opened)
        XCTAssertEqual(try store.openIncident(id, kind: .takeover, reason: "raised by the peer too", at: t(3)), .alreadyOpen)
        let open = try store.openIncidents()
        XCTAssertEqual(open.count, 1)
        XCTAssertEqual(open.first?.id, id)
        XCTAssertEqual(open.first?.kind, .takeover)
        XCTAssertEqual(open.first?.reason, "no heartbeat for 15 s")
        XCTAssertEqual(open.first?.openedAt, t(0))
        XCTAssertNil(open.first?.acknowledgement)
    }

    func testAcknowledgingAnUnknownIncidentIsFalse() throws {
        let store = try AgentStore(stateDirectory: scratch.path)
        XCTAssertFalse(try store.acknowledgeIncident(IncidentID(epoch: 3, topic: .roleChange), author: "alice", comment: nil, at: t(0)))
        XCTAssertFalse(try store.closeIncident(IncidentID(epoch: 3, topic: .roleChange), reason: "over", at: t(0)))
    }

    func testAcknowledgeKeepsTheFirstThenCloseRemovesItFromTheOpenList() throws {
        let store = try AgentStore(stateDirectory: scratch.path)
        let lost = IncidentID(epoch: 7, topic: .peerLost)
        let role = IncidentID(epoch: 8, topic: .roleChange)
        try store.openIncident(lost, kind: .peerLost, reason: "peer lost", at: t(0))
        try store.openIncident(role, kind: .takeover, reason: "took over", at: t(1))
        XCTAssertTrue(try store.acknowledgeIncident(role, author: "alice (uid 1000)", comment: "on it", at: t(5)))
        XCTAssertTrue(try store.acknowledgeIncident(role, author: "node-b (peer)", comment: nil, at: t(6)))
        XCTAssertEqual(try store.incident(role)?.acknowledgement,
                       IncidentRecord.Acknowledgement(author: "alice (uid 1000)", comment: "on it", time: t(5)))

        XCTAssertTrue(try store.closeIncident(lost, reason: "peer found", at: t(9)))
        XCTAssertEqual(try store.openIncidents().map(\.id), [role])
        let closed = try store.incident(lost)
        XCTAssertEqual(closed?.id, lost)
        XCTAssertEqual(closed?.closedAt, t(9))
        XCTAssertEqual(closed?.closeReason, "peer found")
        XCTAssertEqual(closed?.isOpen, false)
        XCTAssertNil(try store.incident(IncidentID(epoch: 99, topic: .handoffFailed)))
    }

    func testAnAcknowledgementsExpiryIsTheLatestAndSurvivesReopening() throws {
        let store = try AgentStore(stateDirectory: scratch.path)
        let role = IncidentID(epoch: 3, topic: .roleChange)
        try store.openIncident(role, kind: .failover, reason: "failed over", at: t(0))
        try store.acknowledgeIncident(role, author: "alice", comment: "for an hour", at: t(1), expiresAt: t(3601))
        try store.close()
        let reopened = try AgentStore(stateDirectory: scratch.path)
        XCTAssertEqual(try reopened.incident(role)?.acknowledgement?.expiresAt, t(3601), "kept across a restart")
        try reopened.acknowledgeIncident(role, author: "bob", comment: "for good", at: t(4000))
        let acknowledgement = try reopened.incident(role)?.acknowledgement
        XCTAssertEqual(acknowledgement?.author, "alice", "the first author is kept")
        XCTAssertNil(acknowledgement?.expiresAt, "the latest ack, without expiry, silences reminders until closed")
    }

    func testRaisingAClosedIncidentAgainReopensItUnacknowledged() throws {
        let store = try AgentStore(stateDirectory: scratch.path)
        let lost = IncidentID(epoch: 7, topic: .peerLost)
        try store.openIncident(lost, kind: .peerLost, reason: "peer lost", at: t(0))
        try store.acknowledgeIncident(lost, author: "alice", comment: nil, at: t(1))
        try store.closeIncident(lost, reason: "peer found", at: t(2))
        XCTAssertEqual(try store.openIncident(lost, kind: .peerLost, reason: "peer lost again", at: t(3)), .reopened)
        let record = try store.incident(lost)
        XCTAssertEqual(record?.isOpen, true)
        XCTAssertNil(record?.acknowledgement)
        XCTAssertEqual(record?.reason, "peer lost again")
        XCTAssertEqual(record?.openedAt, t(0))
    }

    /// A retry planned further ahead than the longest backoff is due at once: the wall
    /// clock went back after it was planned, and waiting for the difference would hold a
    /// page for as long as the step.
    func testARetryPlannedBeyondTheLongestBackoffIsDueAfterTheClockWentBack() throws {
        let store = try AgentStore(stateDirectory: scratch.path)
        try store.enqueue(messageID: "<a@b>", kind: "failover", priority: .page, event: Data("{}".utf8),
                          destinations: ["email:relay"], at: t(0), limit: 100)
        let delivery = try XCTUnwrap(try store.dueDeliveries(now: t(0)).first)
        try store.markFailed(delivery.id, error: "connection refused", retryAt: t(3600 + 60), at: t(3600))
        // The clock steps back an hour: the retry now looks 61 minutes away.
        XCTAssertEqual(try store.dueDeliveries(now: t(1)).count, 0, "without a horizon it waits")
        XCTAssertEqual(try store.dueDeliveries(now: t(1), horizon: 300).map(\.id), [delivery.id])
        XCTAssertEqual(try store.dueDeliveries(now: t(3600), horizon: 300).count, 0, "a retry within the horizon waits its turn")
    }

    func testIncidentIDsReadBackFromTheirText() {
        for topic in [IncidentID.Topic.roleChange, .peerLost, .handoffFailed, .actionFailed, .drillFailed] {
            let id = IncidentID(epoch: 42, topic: topic)
            XCTAssertEqual(IncidentID(storedText: id.description), id)
        }
        for bad in ["", "e", "7", "e7-", "e7-role-change", "e-peer-lost", "ex", "e7-unknown", "e99999999999999999999999"] {
            XCTAssertNil(IncidentID(storedText: bad), bad)
        }
    }

    // MARK: - Events

    func testEventsFilterBySinceAndIncidentAndKeepTheNewest() throws {
        let store = try AgentStore(stateDirectory: scratch.path)
        let e7 = IncidentID(epoch: 7, topic: .roleChange)
        let e8 = IncidentID(epoch: 8, topic: .roleChange)
        try store.appendEvent(EventRecord(time: t(0), category: .agent, kind: .agentStarted, reason: "agent started"))
        try store.appendEvent(EventRecord(time: t(10), category: .transition, kind: .takeover, incident: e7,
                                          reason: "standby -> taking-over: no heartbeat"))
        try store.appendEvent(EventRecord(time: t(11), category: .action, incident: e7, reason: "start exited 0 after 0.2 s",
                                          detail: "nginx started\n"))
        try store.appendEvent(EventRecord(time: t(20), category: .admin, kind: .acknowledged, incident: e7,
                                          reason: "acknowledged", author: "alice"))
        try store.appendEvent(EventRecord(time: t(30), category: .transition, incident: e8, reason: "failback"))

        let all = try store.events(limit: 100)
        XCTAssertEqual(all.map(\.reason).count, 5)
        XCTAssertEqual(all.first?.kind, .agentStarted)
        XCTAssertEqual(all.compactMap(\.id), all.compactMap(\.id).sorted())

        let ofE7 = try store.events(incident: e7, limit: 100)
        XCTAssertEqual(ofE7.map(\.time), [t(10), t(11), t(20)])
        XCTAssertEqual(ofE7[1].detail, "nginx started\n")
        XCTAssertEqual(ofE7[1].category, .action)
        XCTAssertEqual(ofE7[2].author, "alice")

        XCTAssertEqual(try store.events(since: t(11), limit: 100).map(\.time), [t(11), t(20), t(30)])
        XCTAssertEqual(try store.events(since: t(11), incident: e7, limit: 100).map(\.time), [t(11), t(20)])
        XCTAssertEqual(try store.events(limit: 2).map(\.time), [t(20), t(30)], "the newest, oldest first")
        XCTAssertEqual(try store.events(limit: 0), [])
        XCTAssertEqual(try store.events(incident: IncidentID(epoch: 1, topic: .peerLost), limit: 10), [])
    }

    // MARK: - Times

    func testTimesAreStoredAsGRDBWritesADateSoOldAndNewRowsCompareAlike() throws {
        let times = [
            t(0), t(0.5), t(59.999), t(86_399.25), t(0.007), t(60.04), Date(timeIntervalSince1970: 0),
            Date(timeIntervalSince1970: 951_782_400.001),  // 2000-02-29
            Date.distantFuture,
        ]
        for time in times {
            XCTAssertEqual(time.storedText, String.fromDatabaseValue(time.databaseValue), "\(time)")
            XCTAssertEqual(
                Date.fromDatabaseValue(time.storedText.databaseValue)!.timeIntervalSince1970,
                time.timeIntervalSince1970, accuracy: 0.001)
        }
    }

    func testADueRetryWrittenByAnOlderVersionIsFoundBesideANewOne() throws {
        let store = try AgentStore(stateDirectory: scratch.path)
        try store.enqueue(messageID: "m1", kind: "email", priority: .page, event: Data("{}".utf8),
                          destinations: ["ops", "nms"], at: t(0), limit: 100)
        let nms = try XCTUnwrap(try store.dueDeliveries(now: t(0)).first { $0.destination == "nms" })
        // The older version bound a `Date`; GRDB wrote its own text.
        try store.pool.write { db in
            try db.execute(sql: "UPDATE outbox_deliveries SET next_attempt_at = ? WHERE destination = 'ops'", arguments: [t(5)])
        }
        try store.markFailed(nms.id, error: "refused", retryAt: t(7), at: t(1))
        XCTAssertEqual(try store.dueDeliveries(now: t(6)).map(\.destination), ["ops"])
        XCTAssertEqual(try store.dueDeliveries(now: t(7)).map(\.destination).sorted(), ["nms", "ops"])
        XCTAssertEqual(try store.nextAttempt(), t(5))
    }
}

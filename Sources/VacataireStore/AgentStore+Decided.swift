import Foundation
import GRDB

/// The journal of decided notifications: each notification the agent decides is written
/// here before the decision's next effect runs, and deleted once the outbox has taken it
/// (committed, held back by the rate limiter, or kept in memory). A notification still
/// here when the agent starts was decided before a crash: the outbox takes it then.
extension AgentStore {
    /// Writes a decided notification (encoded by the notifier); returns its journal id.
    public func journalDecided(_ event: Data, at time: Date) throws -> Int64 {
        try journalDecided([event], at: time).last ?? 0
    }

    /// Writes several decided notifications in one transaction, in order; returns their ids.
    public func journalDecided(_ events: [Data], at time: Date) throws -> [Int64] {
        try write(events.count == 1 ? "journal a decided notification" : "journal \(events.count) decided notifications") { db in
            try events.map { event in
                try db.execute(sql: "INSERT INTO decided_notifications (event, decided_at) VALUES (?, ?)", arguments: [event, time.storedText])
                return db.lastInsertedRowID
            }
        }
    }

    /// The outbox took the notification: it leaves the journal.
    public func forgetDecided(_ id: Int64) throws {
        try forgetDecided([id])
    }

    /// The outbox took these notifications: they leave the journal, in one transaction.
    public func forgetDecided(_ ids: [Int64]) throws {
        try write(ids.count == 1 ? "clear a decided notification" : "clear \(ids.count) decided notifications") { db in
            for id in ids {
                try db.execute(sql: "DELETE FROM decided_notifications WHERE id = ?", arguments: [id])
            }
        }
    }

    /// Notifications decided but never taken by the outbox, oldest first.
    public func decidedNotifications() throws -> [(id: Int64, event: Data)] {
        try read("read the decided notifications") { db in
            try Row.fetchAll(db, sql: "SELECT id, event FROM decided_notifications ORDER BY id").map { ($0["id"], $0["event"]) }
        }
    }
}

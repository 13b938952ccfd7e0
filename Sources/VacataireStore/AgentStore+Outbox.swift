import Foundation
import GRDB

/// One delivery the outbox still owes: a notification (as the notifier encoded it) to one
/// destination.
public struct OutboxDelivery: Sendable, Equatable {
    public var id: Int64
    public var outboxID: Int64
    public var messageID: String
    /// The notification, encoded by the notifier (JSON); the store does not read it.
    public var event: Data
    public var destination: String
    public var attempts: Int
    public var createdAt: Date
}

/// What `vacataire status` shows of the outbox.
public struct OutboxBacklog: Sendable, Equatable {
    /// Deliveries not yet accepted by their server (a notification decided but not yet
    /// given its deliveries counts as one).
    public var pending: Int
    /// Deliveries given up after `max_age`.
    public var expired: Int
    /// The oldest pending delivery's notification time.
    public var oldestPending: Date?
}

/// How urgent a notification is: a page (role change, incident) is never evicted.
public enum OutboxPriority: Int, Sendable {
    case page = 0
    case notice = 1
}

extension AgentStore {
    /// Commits a notification and one pending delivery per destination, due now, before
    /// anything is sent. When the outbox holds `limit` notifications or more, the oldest
    /// notices go first (never a page); returns how many were evicted.
    @discardableResult
    public func enqueue(
        messageID: String, kind: String, priority: OutboxPriority, event: Data, destinations: [String],
        at time: Date, limit: Int
    ) throws -> (id: Int64, evicted: Int) {
        try write("commit a notification to the outbox") { db in
            try db.execute(
                sql: "INSERT INTO outbox (message_id, kind, priority, event, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [messageID, kind, priority.rawValue, String(decoding: event, as: UTF8.self), time.storedText])
            let id = db.lastInsertedRowID
            for destination in destinations {
                try db.execute(
                    sql: """
                        INSERT INTO outbox_deliveries (outbox_id, destination, state, attempts, next_attempt_at)
                        VALUES (?, ?, 'pending', 0, ?)
                        """,
                    arguments: [id, destination, time.storedText])
            }
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0
            var evicted = 0
            if count > limit {
                let victims = try Int64.fetchAll(
                    db, sql: "SELECT id FROM outbox WHERE priority = ? AND id != ? ORDER BY id LIMIT ?",
                    arguments: [OutboxPriority.notice.rawValue, id, count - limit])
                for victim in victims {
                    try db.execute(sql: "DELETE FROM outbox_deliveries WHERE outbox_id = ?", arguments: [victim])
                    try db.execute(sql: "DELETE FROM outbox WHERE id = ?", arguments: [victim])
                }
                evicted = victims.count
            }
            return (id, evicted)
        }
    }

    /// Pending deliveries due at `now`, oldest notification first. With `horizon` (the
    /// longest wait ever scheduled), a delivery planned further ahead than that is due too:
    /// the wall clock went back since it was planned, and it must not wait the difference.
    public func dueDeliveries(now: Date, horizon: TimeInterval? = nil, limit: Int = 100) throws -> [OutboxDelivery] {
        let beyond = horizon.map { now.addingTimeInterval($0) } ?? Date.distantFuture
        return try pendingDeliveries(
            where: "(d.next_attempt_at <= ? OR d.next_attempt_at > ?)", order: "o.priority, d.outbox_id, d.id LIMIT ?",
            arguments: [now.storedText, beyond.storedText, limit])
    }

    /// Every pending delivery of notifications of `kind`, due or not, oldest first.
    public func pendingDeliveries(kind: String) throws -> [OutboxDelivery] {
        try pendingDeliveries(where: "o.kind = ?", order: "d.outbox_id, d.id", arguments: [kind])
    }

    /// Pending deliveries with their notifications, filtered by `condition` (SQL over `d`,
    /// the delivery, and `o`, its notification).
    private func pendingDeliveries(where condition: String, order: String, arguments: StatementArguments) throws -> [OutboxDelivery] {
        try read("read the outbox") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT d.id, d.outbox_id, d.destination, d.attempts, o.message_id, o.event, o.created_at
                    FROM outbox_deliveries d JOIN outbox o ON o.id = d.outbox_id
                    WHERE d.state = 'pending' AND \(condition)
                    ORDER BY \(order)
                    """,
                arguments: arguments
            ).map { row in
                let event: String = row["event"]
                return OutboxDelivery(
                    id: row["id"], outboxID: row["outbox_id"], messageID: row["message_id"], event: Data(event.utf8),
                    destination: row["destination"], attempts: row["attempts"], createdAt: row["created_at"])
            }
        }
    }

    /// Pending deliveries that are no longer news (`withdrawn`): never tried again, not
    /// counted as given up, `why` kept as their last error.
    public func markWithdrawn(_ deliveries: [Int64], why: String, at time: Date) throws {
        guard !deliveries.isEmpty else { return }
        try write("withdraw deliveries") { db in
            for delivery in deliveries {
                try db.execute(
                    sql: "UPDATE outbox_deliveries SET state = 'withdrawn', last_error = ?, finished_at = ? WHERE id = ? AND state = 'pending'",
                    arguments: [why, time.storedText, delivery])
            }
        }
    }

    /// When the earliest pending delivery is due (of those due after `time`, when given);
    /// nil when none is.
    public func nextAttempt(after time: Date? = nil) throws -> Date? {
        try read("read the outbox") { db in
            if let time {
                return try Date.fetchOne(
                    db, sql: "SELECT MIN(next_attempt_at) FROM outbox_deliveries WHERE state = 'pending' AND next_attempt_at > ?",
                    arguments: [time.storedText])
            }
            return try Date.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM outbox_deliveries WHERE state = 'pending'")
        }
    }

    /// The server accepted it: the delivery is done.
    public func markDelivered(_ delivery: Int64, at time: Date) throws {
        try write("mark a delivery done") { db in
            try db.execute(
                sql: "UPDATE outbox_deliveries SET state = 'delivered', attempts = attempts + 1, last_error = NULL, finished_at = ? WHERE id = ?",
                arguments: [time.storedText, delivery])
        }
    }

    /// It failed: try again at `retryAt`, or give up (`expired`) when `retryAt` is nil.
    public func markFailed(_ delivery: Int64, error: String, retryAt: Date?, at time: Date) throws {
        try write("record a failed delivery") { db in
            if let retryAt {
                try db.execute(
                    sql: "UPDATE outbox_deliveries SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
                    arguments: [error, retryAt.storedText, delivery])
            } else {
                try db.execute(
                    sql: "UPDATE outbox_deliveries SET state = 'expired', attempts = attempts + 1, last_error = ?, finished_at = ? WHERE id = ?",
                    arguments: [error, time.storedText, delivery])
            }
        }
    }

    /// Pending and expired deliveries, for status.
    public func outboxBacklog() throws -> OutboxBacklog {
        try read("read the outbox") { db in
            // A notification decided and journaled but not yet given its deliveries is owed too.
            let pending = try Int.fetchOne(
                db, sql: "SELECT (SELECT COUNT(*) FROM outbox_deliveries WHERE state = 'pending') + (SELECT COUNT(*) FROM decided_notifications)") ?? 0
            let expired = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox_deliveries WHERE state = 'expired'") ?? 0
            let oldest = try Date.fetchOne(
                db, sql: "SELECT MIN(o.created_at) FROM outbox_deliveries d JOIN outbox o ON o.id = d.outbox_id WHERE d.state = 'pending'")
            return OutboxBacklog(pending: pending, expired: expired, oldestPending: oldest)
        }
    }

    /// Deletes notifications whose every delivery finished before `before` (history is
    /// in the events table); keeps the outbox small.
    public func pruneOutbox(finishedBefore before: Date) throws {
        try write("prune the outbox") { db in
            try db.execute(
                sql: """
                    DELETE FROM outbox WHERE id NOT IN (
                        SELECT outbox_id FROM outbox_deliveries WHERE state = 'pending' OR finished_at >= ?)
                    """,
                arguments: [before.storedText])
        }
    }
}

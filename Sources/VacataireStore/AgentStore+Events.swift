import Foundation
import GRDB
import VacataireCore

extension AgentStore {
    /// Appends one event to the history and returns its id.
    @discardableResult
    public func appendEvent(_ event: EventRecord) throws -> Int64 {
        try appendEvents([event]).last ?? 0
    }

    /// Appends `events` to the history in one transaction, in order; returns their ids.
    @discardableResult
    public func appendEvents(_ events: [EventRecord]) throws -> [Int64] {
        try write(events.count == 1 ? "append an event" : "append \(events.count) events") { db in
            try events.map { event in
                try db.execute(
                    sql: """
                        INSERT INTO events (time, category, kind, incident, reason, detail, author)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        event.time.storedText, event.category.rawValue, event.kind?.rawValue, event.incident?.description,
                        event.reason, event.detail, event.author,
                    ])
                return db.lastInsertedRowID
            }
        }
    }

    /// The newest `limit` events at or after `since` (all if nil), of one incident (any if
    /// nil), returned oldest first, in the order they were appended.
    public func events(since: Date? = nil, incident: IncidentID? = nil, limit: Int = 100) throws -> [EventRecord] {
        guard limit > 0 else { return [] }
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let since {
            conditions.append("time >= ?")
            arguments += [since.storedText]
        }
        if let incident {
            conditions.append("incident = ?")
            arguments += [incident.description]
        }
        arguments += [limit]
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT * FROM (SELECT * FROM events \(filter) ORDER BY id DESC LIMIT ?) ORDER BY id"
        return try read("read the event history") { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { try eventRecord($0) }
        }
    }

    func eventRecord(_ row: Row) throws -> EventRecord {
        let id: Int64? = row["id"]
        let categoryText: String? = row["category"]
        guard let categoryText, let category = EventRecord.Category(rawValue: categoryText) else {
            throw StoreError.unreadable(path: path, detail: "event \(id ?? 0): category `\(categoryText ?? "NULL")` is unknown")
        }
        let time: Date? = row["time"]
        let reason: String? = row["reason"]
        guard let time, let reason else {
            throw StoreError.unreadable(path: path, detail: "event \(id ?? 0) has no time or reason")
        }
        // A kind or incident this version cannot name is left out rather than failing the history.
        let kindText: String? = row["kind"]
        let incidentText: String? = row["incident"]
        var record = EventRecord(
            time: time, category: category, kind: kindText.flatMap(EventKind.init(rawValue:)),
            incident: incidentText.flatMap(IncidentID.init(storedText:)),
            reason: reason, detail: row["detail"], author: row["author"])
        record.id = id
        return record
    }
}

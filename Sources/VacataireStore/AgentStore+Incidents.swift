import Foundation
import GRDB
import VacataireCore

extension AgentStore {
    /// Opens incident `id`. Idempotent: both nodes, or one node twice, may raise the same id.
    ///
    /// A closed incident raised again is reopened, unacknowledged, with the new reason.
    @discardableResult
    public func openIncident(_ id: IncidentID, kind: EventKind, reason: String, at time: Date) throws -> IncidentOpening {
        try write("open incident \(id)") { db in
            let closed = try Row.fetchOne(db, sql: "SELECT closed_at IS NOT NULL AS closed FROM incidents WHERE id = ?",
                                          arguments: [id.description])
            guard let closed else {
                try db.execute(
                    sql: "INSERT INTO incidents (id, epoch, topic, kind, reason, opened_at) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [id.description, id.epoch.storedValue, id.topic.rawValue, kind.rawValue, reason, time.storedText])
                return .opened
            }
            guard closed["closed"] == true else { return .alreadyOpen }
            try db.execute(
                sql: """
                    UPDATE incidents SET kind = ?, reason = ?, closed_at = NULL, close_reason = NULL,
                        acknowledged_at = NULL, acknowledged_by = NULL, ack_comment = NULL
                    WHERE id = ?
                    """,
                arguments: [kind.rawValue, reason, id.description])
            return .reopened
        }
    }

    /// Records an acknowledgement; false if the incident is unknown here.
    ///
    /// The first acknowledgement's author, comment and time are kept: the peer's echo of an
    /// ack made here changes nothing. The expiry is the latest acknowledgement's: an ack
    /// given after an earlier one expired silences the reminders again.
    @discardableResult
    public func acknowledgeIncident(_ id: IncidentID, author: String, comment: String?, at time: Date, expiresAt: Date? = nil) throws -> Bool {
        try write("acknowledge incident \(id)") { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM incidents WHERE id = ?", arguments: [id.description]) != nil else {
                return false
            }
            try db.execute(
                sql: """
                    UPDATE incidents SET acknowledged_at = ?, acknowledged_by = ?, ack_comment = ?
                    WHERE id = ? AND acknowledged_at IS NULL
                    """,
                arguments: [time.storedText, author, comment, id.description])
            try db.execute(sql: "UPDATE incidents SET ack_expires_at = ? WHERE id = ?", arguments: [expiresAt?.storedText, id.description])
            return true
        }
    }

    /// Closes an incident: what it paged about is over. False if it is unknown here;
    /// closing a closed incident keeps its first closing time and reason.
    @discardableResult
    public func closeIncident(_ id: IncidentID, reason: String, at time: Date) throws -> Bool {
        try write("close incident \(id)") { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM incidents WHERE id = ?", arguments: [id.description]) != nil else {
                return false
            }
            try db.execute(
                sql: "UPDATE incidents SET closed_at = ?, close_reason = ? WHERE id = ? AND closed_at IS NULL",
                arguments: [time.storedText, reason, id.description])
            return true
        }
    }

    /// The ids of every incident of `epoch` or later, open or closed: the machine numbers a
    /// new incident past them, so that an id is never reused.
    public func incidentIDs(fromEpoch epoch: UInt64) throws -> [IncidentID] {
        try read("list incident ids") { db in
            try String.fetchAll(db, sql: "SELECT id FROM incidents WHERE epoch >= ?", arguments: [epoch.storedValue])
                .compactMap(IncidentID.init(storedText:))
        }
    }

    /// The incidents not closed yet, oldest first.
    public func openIncidents() throws -> [IncidentRecord] {
        try read("list open incidents") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM incidents WHERE closed_at IS NULL ORDER BY opened_at, epoch, id")
                .map { try incidentRecord($0) }
        }
    }

    /// One incident, open or closed; nil if unknown here.
    public func incident(_ id: IncidentID) throws -> IncidentRecord? {
        try read("read incident \(id)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM incidents WHERE id = ?", arguments: [id.description])
                .map { try incidentRecord($0) }
        }
    }

    func incidentRecord(_ row: Row) throws -> IncidentRecord {
        let idText: String? = row["id"]
        let kindText: String? = row["kind"]
        guard let idText, let id = IncidentID(storedText: idText) else {
            throw StoreError.unreadable(path: path, detail: "incidents.id holds `\(idText ?? "NULL")`, not an incident id")
        }
        guard let kindText, let kind = EventKind(rawValue: kindText) else {
            throw StoreError.unreadable(path: path, detail: "incident \(idText): kind `\(kindText ?? "NULL")` is unknown")
        }
        let reason: String? = row["reason"]
        let openedAt: Date? = row["opened_at"]
        guard let reason, let openedAt else {
            throw StoreError.unreadable(path: path, detail: "incident \(idText) has no reason or opening time")
        }
        let ackAuthor: String? = row["acknowledged_by"]
        let ackTime: Date? = row["acknowledged_at"]
        var acknowledgement: IncidentRecord.Acknowledgement?
        if let ackAuthor, let ackTime {
            acknowledgement = IncidentRecord.Acknowledgement(
                author: ackAuthor, comment: row["ack_comment"], time: ackTime, expiresAt: row["ack_expires_at"])
        }
        return IncidentRecord(
            id: id, kind: kind, reason: reason, openedAt: openedAt, acknowledgement: acknowledgement,
            closedAt: row["closed_at"], closeReason: row["close_reason"])
    }
}

import Foundation
import GRDB

extension AgentStore {
    /// Deliveries still pending, by destination (`email:NAME`, `snmp:NAME`), for the
    /// subagent's destination table.
    public func outboxPendingByDestination() throws -> [String: Int] {
        try read("read the outbox's pending deliveries by destination") { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT destination, COUNT(*) AS pending FROM outbox_deliveries WHERE state = 'pending' GROUP BY destination")
            var pending: [String: Int] = [:]
            for row in rows {
                pending[row["destination"]] = row["pending"]
            }
            return pending
        }
    }
}

import GRDB

/// The schema's steps, in order, as `DatabaseMigrator` records them in `grdb_migrations`.
///
/// Never edit a step that has shipped; add a new one.
enum StoreMigration: String, CaseIterable {
    case failoverState = "1-failover-state"
    case incidents = "2-incidents"
    case events = "3-events"
    case outbox = "4-notification-outbox"
    case acknowledgementExpiry = "5-acknowledgement-expiry"
    case writeProbe = "6-write-probe"
    case decidedNotifications = "7-decided-notifications"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for step in allCases {
            migrator.registerMigration(step.rawValue) { db in try step.apply(db) }
        }
        return migrator
    }

    func apply(_ db: Database) throws {
        switch self {
        case .failoverState:
            // One row: the role and epoch written before acting (`.persist`).
            try db.execute(sql: """
                CREATE TABLE failover_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    role TEXT NOT NULL,
                    epoch INTEGER NOT NULL,
                    updated_at TEXT NOT NULL
                ) STRICT
                """)
        case .incidents:
            // One row per incident id (`e7`, `e7-peer-lost`); both nodes use the same ids.
            try db.execute(sql: """
                CREATE TABLE incidents (
                    id TEXT PRIMARY KEY,
                    epoch INTEGER NOT NULL,
                    topic TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    opened_at TEXT NOT NULL,
                    acknowledged_at TEXT,
                    acknowledged_by TEXT,
                    ack_comment TEXT,
                    closed_at TEXT,
                    close_reason TEXT
                ) STRICT;
                CREATE INDEX incidents_open ON incidents (closed_at, opened_at);
                """)
        case .events:
            // The event history: append-only, one line each, newest last.
            try db.execute(sql: """
                CREATE TABLE events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    time TEXT NOT NULL,
                    category TEXT NOT NULL,
                    kind TEXT,
                    incident TEXT,
                    reason TEXT NOT NULL,
                    detail TEXT,
                    author TEXT
                ) STRICT;
                CREATE INDEX events_time ON events (time);
                CREATE INDEX events_incident ON events (incident, time);
                """)
        case .outbox:
            // The durable outbox: a notification is committed here before any
            // delivery is tried, with one delivery row per destination.
            try db.execute(sql: """
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    message_id TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    priority INTEGER NOT NULL,
                    event TEXT NOT NULL,
                    created_at TEXT NOT NULL
                ) STRICT;
                CREATE TABLE outbox_deliveries (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    outbox_id INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
                    destination TEXT NOT NULL,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    next_attempt_at TEXT NOT NULL,
                    last_error TEXT,
                    finished_at TEXT,
                    UNIQUE (outbox_id, destination)
                ) STRICT;
                CREATE INDEX outbox_due ON outbox_deliveries (state, next_attempt_at);
                """)
        case .acknowledgementExpiry:
            // `ack --expires`: reminders resume after this; NULL: quiet until closed.
            try db.execute(sql: "ALTER TABLE incidents ADD COLUMN ack_expires_at TEXT")
        case .writeProbe:
            // One row rewritten now and then (`probeWrite`): a store that stops taking
            // writes is known before a role change needs it.
            try db.execute(sql: "CREATE TABLE write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL) STRICT")
        case .decidedNotifications:
            // A notification as the machine decided it, written before the decision's next
            // effect and deleted once the outbox took it: a crash in between loses nothing.
            try db.execute(sql: """
                CREATE TABLE decided_notifications (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    event BLOB NOT NULL,
                    decided_at TEXT NOT NULL
                ) STRICT
                """)
        }
    }
}

import Foundation
import GRDB
import VacataireCore

/// The agent's durable state: one SQLite database (`vacataire.sqlite`) in the state
/// directory, in WAL mode, mode 0600.
///
/// It owns the role and epoch written before acting, the incidents and the event history.
/// Every method is one transaction, durable when it returns (`synchronous = FULL`), so a
/// crash at any instant leaves the last committed state and nothing half-written. Methods
/// are synchronous and short; call them from any thread or task.
public final class AgentStore: Sendable {
    /// The database file's name inside the state directory.
    public static let fileName = "vacataire.sqlite"

    /// The database file.
    public let path: String
    /// Why this store is held in memory instead of `path`, which could not be opened
    /// (`inMemory(standingInFor:because:)`); nil for the file itself.
    public let standIn: String?
    let pool: any DatabaseWriter
    /// The device and inode of the file opened, to learn that it was deleted or replaced
    /// under the running agent (its writes would then go to a file nobody can open again).
    let opened: FileIdentity?

    struct FileIdentity: Sendable, Equatable {
        var device: UInt64
        var inode: UInt64

        init?(path: String) {
            var status = stat()
            guard stat(path, &status) == 0 else { return nil }
            device = UInt64(status.st_dev)
            inode = UInt64(status.st_ino)
        }
    }

    /// Opens `<stateDirectory>/vacataire.sqlite`, creating and migrating it if needed.
    public convenience init(stateDirectory: String) throws {
        let directory = stateDirectory.hasSuffix("/") ? String(stateDirectory.dropLast()) : stateDirectory
        try self.init(path: "\(directory)/\(Self.fileName)")
    }

    /// Opens the database file at `path`, creating it (mode 0600) and migrating its schema.
    ///
    /// Throws `StoreError.cannotOpen` naming the path when the directory is missing or not
    /// writable, the file is not a SQLite database, or a newer version wrote its schema.
    public convenience init(path: String) throws {
        try Self.createPrivately(path)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: Self.configuration)
            // GRDB picks NORMAL for WAL (a commit may be lost on power failure); the role
            // and epoch must survive it, and writes are rare, so every commit is synced.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
        } catch {
            throw StoreError.cannotOpen(path: path, reason: Self.describe(error))
        }
        try self.init(path: path, pool: pool, standIn: nil, opened: FileIdentity(path: path))
    }

    /// An empty store in memory standing in for `path`, which could not be opened: the
    /// agent keeps its events, incidents and outbox there while it runs, and never starts
    /// its service on it (Docs/persistence.md, "When the state cannot be written").
    public static func inMemory(standingInFor path: String, because why: String) throws -> AgentStore {
        do {
            return try AgentStore(path: path, pool: DatabaseQueue(configuration: configuration), standIn: why, opened: nil)
        } catch {
            throw StoreError.cannotOpen(path: "memory", reason: Self.describe(error))
        }
    }

    /// A write that finds the database locked gives up after this long: the agent's
    /// heartbeats must not wait for another process (a locked database is "not writable").
    static let lockWait: TimeInterval = 0.2

    static var configuration: Configuration {
        var configuration = Configuration()
        configuration.label = "vacataire-store"
        configuration.busyMode = .timeout(lockWait)
        return configuration
    }

    private init(path: String, pool: any DatabaseWriter, standIn: String?, opened: FileIdentity?) throws {
        self.path = path
        self.pool = pool
        self.standIn = standIn
        self.opened = opened
        do {
            let migrator = StoreMigration.migrator
            if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
                throw StoreError.cannotOpen(
                    path: path, reason: "its schema was written by a newer version of vacataire; refusing to downgrade it")
            }
            try migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.cannotOpen(path: path, reason: Self.describe(error))
        }
    }

    /// Checkpoints the WAL and closes the database; later calls fail.
    public func close() throws {
        do {
            try pool.close()
        } catch {
            throw StoreError.failed(operation: "close", path: path, reason: Self.describe(error))
        }
    }

    // MARK: - Role and epoch

    /// The role and epoch last saved, or nil on a node that never persisted any.
    public func loadFailoverState() throws -> PersistedFailoverState? {
        try read("read the role and epoch") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT role, epoch FROM failover_state WHERE id = 1") else {
                return nil
            }
            let roleText: String? = row["role"]
            // A told role never reaches the store, but one that did reads as what it persists.
            guard let roleText, let role = PersistedRole(rawValue: roleText) ?? ServiceRole(rawValue: roleText)?.persisted else {
                throw StoreError.unreadable(path: path, detail: "failover_state.role holds `\(roleText ?? "NULL")`, not a role")
            }
            let epoch: Int64? = row["epoch"]
            guard let epoch else {
                throw StoreError.unreadable(path: path, detail: "failover_state.epoch is NULL")
            }
            guard epoch >= 0, UInt64(epoch) <= Epoch.largest else {
                throw StoreError.unreadable(path: path, detail: "failover_state.epoch holds \(epoch), outside 0 to 2^62")
            }
            return PersistedFailoverState(role: role, epoch: UInt64(storedValue: epoch))
        }
    }

    /// Writes the role and epoch (`.persist`) in one transaction, synced to disk on return.
    public func saveFailoverState(_ state: PersistedFailoverState, at time: Date) throws {
        try write("save the role and epoch") { db in
            try db.execute(
                sql: """
                    INSERT INTO failover_state (id, role, epoch, updated_at) VALUES (1, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET role = excluded.role, epoch = excluded.epoch, updated_at = excluded.updated_at
                    """,
                arguments: [state.role.rawValue, state.epoch.storedValue, time.storedText])
        }
    }

    /// Rewrites one row, to learn whether the database takes writes now (a full disk, a
    /// read-only file system, a lock held by another process, its file deleted or replaced
    /// under the running agent). Changes nothing else.
    public func probeWrite(at time: Date) throws {
        if let opened, FileIdentity(path: path) != opened {
            let what = FileManager.default.fileExists(atPath: path) ? "replaced by another file" : "deleted"
            throw StoreError.failed(
                operation: "keep its file", path: path,
                reason: "the database was \(what) under the running agent: nothing it records is kept across a restart; "
                    + "restart the agent to open it anew (systemctl restart vacataire)")
        }
        try write("test a write") { db in
            try db.execute(
                sql: "INSERT INTO write_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                arguments: [time.storedText])
        }
    }

    // MARK: - Plumbing

    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.failed(operation: operation, path: path, reason: Self.describe(error))
        }
    }

    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.write(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.failed(operation: operation, path: path, reason: Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return error.message ?? "\(error.resultCode)"
        }
        return "\(error)"
    }

    /// Creates the file with mode 0600 before SQLite does (its WAL and shared-memory files
    /// take the same mode), and tightens the mode of an existing one.
    static func createPrivately(_ path: String) throws {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            let directory = (path as NSString).deletingLastPathComponent
            throw StoreError.cannotOpen(path: path, reason: "\(reason) (is the state directory \(directory) a writable directory?)")
        }
        defer { _ = Glibc.close(descriptor) }
        if fchmod(descriptor, 0o600) != 0 {
            throw StoreError.cannotOpen(path: path, reason: "cannot make it private (mode 0600): \(String(cString: strerror(errno)))")
        }
        for suffix in ["-wal", "-shm"] {
            _ = chmod(path + suffix, 0o600)
        }
    }
}

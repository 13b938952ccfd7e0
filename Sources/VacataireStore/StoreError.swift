/// Why the store could not do what was asked; every message names the database file.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database cannot be created or opened (missing or unwritable state directory,
    /// a file that is not a SQLite database, a newer schema...).
    case cannotOpen(path: String, reason: String)
    /// A read or write failed on an open database (disk full, I/O error...).
    case failed(operation: String, path: String, reason: String)
    /// A row holds a value this version cannot read back (written by a newer version?).
    case unreadable(path: String, detail: String)

    /// The database opened but holds what this version cannot read: a human must look,
    /// unlike a store that takes no writes.
    public var isUnreadable: Bool {
        if case .unreadable = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open the state database \(path): \(reason)"
        case .failed(let operation, let path, let reason):
            return "state database \(path): cannot \(operation): \(reason)"
        case .unreadable(let path, let detail):
            return "state database \(path): \(detail)"
        }
    }
}

import Synchronization

/// The one `SNMPStatus` the agent publishes and the subagent reads, behind a lock: the
/// agent replaces its fields after each decision, and a read takes a copy without ever
/// calling into the agent. Empty (and publishing costs nothing) until the subagent starts.
public final class SNMPStatusBoard: Sendable {
    private let status = Mutex<SNMPStatus?>(nil)

    public init() {}

    /// Starts publishing with `initial`.
    func open(_ initial: SNMPStatus) {
        status.withLock { $0 = initial }
    }

    var isOpen: Bool {
        status.withLock { $0 != nil }
    }

    /// Changes the published status in place; nothing while the board is not open.
    func update(_ change: (inout SNMPStatus) -> Void) {
        status.withLock { published in
            guard published != nil else { return }
            change(&published!)
        }
    }

    /// The status as last published.
    var current: SNMPStatus? {
        status.withLock { $0 }
    }
}

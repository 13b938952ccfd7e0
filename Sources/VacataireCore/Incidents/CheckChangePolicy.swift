/// Which changes of a check's health page on their own (Docs/notifications.md, "Who
/// pages"). Pure, like the failover machine; the agent only carries the answer out.
///
/// A critical check's failure on a node that serves is told by the failover page it causes
/// (with the check and its output), and on a failed node the admin is already at work: only
/// a standby pages it (the pair lost its spare). A warning check pages wherever it runs.
/// A service check starting or stopping with its service, and a check's first result after
/// a start, are no news.
public enum CheckChangePolicy {
    /// What happened to the check.
    public enum Change: Sendable, Equatable {
        /// It became failing (`fall` failures in a row, or a first result that fails).
        case failing
        /// A failing check passed `rise` times.
        case recovered
        /// Its first result since the agent started, and it passed.
        case firstResultPassed
        /// A service check went idle with its service, or ran again as it started.
        case followedTheService
    }

    /// Whether this change is paged, on a node in `state`.
    public static func pages(_ change: Change, severity: CheckSeverity, state: FailoverStateName) -> Bool {
        switch change {
        case .firstResultPassed, .followedTheService:
            return false
        case .failing, .recovered:
            return severity == .warning || state == .standby
        }
    }
}

import Foundation
import VacataireCore

/// A check's health changed: what the engine (health verdict) and the notifier
/// (`check-failed`, `check-recovered`) consume from `CheckScheduler.transitions`.
public struct CheckTransition: Sendable, Equatable {
    public var check: String
    public var severity: CheckSeverity
    public var from: CheckHealth
    public var to: CheckHealth
    /// The result that caused the change.
    public var result: CheckResult
    public var at: Date
    /// The node's verdict right after this change.
    public var verdict: CheckVerdict

    public init(
        check: String, severity: CheckSeverity, from: CheckHealth, to: CheckHealth, result: CheckResult,
        at: Date, verdict: CheckVerdict
    ) {
        self.check = check
        self.severity = severity
        self.from = from
        self.to = to
        self.result = result
        self.at = at
        self.verdict = verdict
    }

    /// The notifier's event for this change: `check-failed` when the check became failing,
    /// `check-recovered` when a failing check became healthy, nil for the first pass after
    /// start (nothing to page about).
    public var event: EventKind? {
        switch (from, to) {
        case (_, .failing): return .checkFailed
        case (.failing, .healthy): return .checkRecovered
        default: return nil
        }
    }

    /// What this change is to `CheckChangePolicy`, which says whether it pages.
    public var change: CheckChangePolicy.Change {
        switch (from, to) {
        case (.idle, _), (_, .idle): return .followedTheService
        case (_, .failing): return .failing
        case (.pending, _): return .firstResultPassed
        default: return .recovered
        }
    }

    /// One sentence for the log and the event history.
    public var reason: String {
        "check \(check) \(from.rawValue) -> \(to.rawValue): \(result.message)"
    }
}

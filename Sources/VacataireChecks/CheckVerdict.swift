/// The scheduler's answer to "may this node serve?": healthy when every `critical` check
/// is healthy. Failing `warning` checks are listed but never make the node unhealthy.
public struct CheckVerdict: Sendable, Equatable {
    /// Critical checks that are failing.
    public var failing: [String]
    /// Critical checks with no result yet (the node is not healthy until they have one).
    public var pending: [String]
    /// Warning checks that are failing: for notification only.
    public var warnings: [String]

    public init(failing: [String] = [], pending: [String] = [], warnings: [String] = []) {
        self.failing = failing
        self.pending = pending
        self.warnings = warnings
    }

    public var healthy: Bool { failing.isEmpty && pending.isEmpty }

    /// One sentence for logs and `vacataire status`.
    public var reason: String {
        if !failing.isEmpty { return "unhealthy: failing critical check(s) \(failing.joined(separator: ", "))" }
        if !pending.isEmpty { return "not yet healthy: no result yet from \(pending.joined(separator: ", "))" }
        if !warnings.isEmpty { return "healthy; warning check(s) failing: \(warnings.joined(separator: ", "))" }
        return "healthy: all critical checks pass"
    }
}

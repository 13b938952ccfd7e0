/// The scheduler's answer to "may this node serve?": healthy when every `critical` check
/// is healthy. Failing `warning` checks are listed but never make the node unhealthy.
public struct CheckVerdict: Sendable, Equatable {
    /// Critical checks that are failing.
    public var failing: [String]
    /// Critical checks with no result yet (the node is not healthy until they have one).
    public var pending: [String]
    /// Warning checks that are failing: for notification only.
    public var warnings: [String]
    /// Critical service checks not running here (the service is off by design).
    public var idle: [String]
    /// Which critical checks judge the service (the rest judge the node).
    public var serviceChecks: Set<String>

    public init(failing: [String] = [], pending: [String] = [], warnings: [String] = [], idle: [String] = [], serviceChecks: Set<String> = []) {
        self.failing = failing
        self.pending = pending
        self.warnings = warnings
        self.idle = idle
        self.serviceChecks = serviceChecks
    }

    /// Every critical check that runs here is healthy (idle service checks do not count).
    public var healthy: Bool { failing.isEmpty && pending.isEmpty }

    /// One sentence for logs and `vacataire status`.
    public var reason: String {
        if !failing.isEmpty { return "unhealthy: failing critical check(s) \(failing.joined(separator: ", "))" }
        if !pending.isEmpty { return "not yet healthy: no result yet from \(pending.joined(separator: ", "))" }
        if !warnings.isEmpty { return "healthy; warning check(s) failing: \(warnings.joined(separator: ", "))" }
        if !idle.isEmpty { return "ready: node checks pass; service check(s) \(idle.joined(separator: ", ")) idle while the service is off" }
        return "healthy: all critical checks pass"
    }
}
